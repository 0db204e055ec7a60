#!/usr/bin/env bash
# Spec version gate, run by .ci/run (and usable in any CI): when the specs under the pipelines directory or
# pipewright.yaml (overrides of `versioned: true` environments count like spec changes) changed between a base commit
# and HEAD, run `pipewright diff <base> HEAD --fail-on policy`, which exits 1 when a changed pipeline's
# metadata.version was not bumped as its changes require (rules: docs/versioning.md).
#
# Base commit, first match wins:
#   1. the first argument (any revision);
#   2. $CI_MERGE_REQUEST_DIFF_BASE_SHA (GitLab merge request pipelines: the merge base with the target branch);
#   3. HEAD~1, the previous commit (branch pipelines, local runs). A repository with a single commit has nothing to gate.
# In merge request pipelines ($CI_MERGE_REQUEST_DIFF_BASE_SHA set) whose base commits generated/ (its manifest), it first
# runs `pipewright check --base <base>`: generated/ is checked only where the merge request can have changed it. That
# trusts the base to have passed a full `pipewright check`, which the default branch runs after every merge (.ci/run
# does; docs/gate.md). Branch pipelines get no such shortcut: their full check is .ci/run's.
# Environment: PIPEWRIGHT_PIPELINES_DIR (default pipelines), PIPEWRIGHT_OUT_DIR (default generated), PIPEWRIGHT_CLI
# (default: this checkout's dist/cli.js).
# Runs in the current directory's repository. A shallow clone is fine when it has the base commit; when it does not,
# the gate fails with the fix instead of gating nothing.
set -euo pipefail

dir="${PIPEWRIGHT_PIPELINES_DIR:-pipelines}"
out="${PIPEWRIGHT_OUT_DIR:-generated}"
cli="${PIPEWRIGHT_CLI:-$(cd "$(dirname "$0")/.." && pwd)/dist/cli.js}"

shallow="$(git rev-parse --is-shallow-repository)"
refuse_shallow() {
  echo "ci-diff-gate: this is a shallow clone without the base commit; its specs are not available." >&2
  echo "ci-diff-gate: fetch the history with \`git fetch --unshallow\` (GitLab CI: set GIT_DEPTH: 0)." >&2
  exit 1
}

base_rev="${1:-${CI_MERGE_REQUEST_DIFF_BASE_SHA:-}}"
if [ -z "$base_rev" ]; then
  if ! git rev-parse --verify --quiet 'HEAD~1^{commit}' >/dev/null; then
    [ "$shallow" = "true" ] && refuse_shallow
    echo "ci-diff-gate: HEAD has no parent commit; nothing to compare."
    exit 0
  fi
  base_rev="HEAD~1"
fi
case "$base_rev" in
  -*) echo "ci-diff-gate: refusing base revision '$base_rev' (looks like an option)" >&2; exit 1 ;;
esac
if ! base="$(git rev-parse --verify --quiet --end-of-options "${base_rev}^{commit}")"; then
  [ "$shallow" = "true" ] && refuse_shallow
  echo "ci-diff-gate: unknown base revision '$base_rev'" >&2
  exit 1
fi

if [ -n "${CI_MERGE_REQUEST_DIFF_BASE_SHA:-}" ] && [ -z "${1:-}" ] \
  && git cat-file -e "${base}:${out}/.pipewright-manifest.json" 2>/dev/null; then
  echo "ci-diff-gate: merge request: pipewright check --base ${base:0:12} (the base passed a full check on its branch)"
  node "$cli" check --base "$base" --out "$out" "$dir"
fi

if git diff --quiet --no-ext-diff --no-textconv "$base" HEAD -- "$dir" pipewright.yaml; then
  echo "ci-diff-gate: no spec changes under $dir/ since ${base:0:12}; nothing to gate."
  exit 0
fi
echo "ci-diff-gate: specs under $dir/ or pipewright.yaml changed since ${base:0:12}: pipewright diff ${base:0:12} HEAD --fail-on policy"
exec node "$cli" diff "$base" HEAD --fail-on policy --path "$dir"

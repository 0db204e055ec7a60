#!/usr/bin/env bash
# Starts a Docker-API-compatible engine for pipewright's docker executor and its tests (podman, see docs/runtime.md):
#   1. installs podman + runc + busybox-static when missing (Debian, root),
#   2. serves podman's Docker API on a unix socket (detached, idempotent),
#   3. builds the busybox test image localhost/pipewright-test:1.
# Run it (`scripts/engine-up.sh`, prints the DOCKER_HOST to use) or source it (`source scripts/engine-up.sh`, exports
# DOCKER_HOST and CONTAINERS_CONF into the calling shell). Re-running it is harmless.

_pw_engine_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$_pw_engine_here/containers.conf}"
_pw_engine_dir="${PIPEWRIGHT_ENGINE_DIR:-/run/pipewright}"
export DOCKER_HOST="unix://$_pw_engine_dir/podman.sock"

# The work runs in a subshell so that sourcing this file never changes the caller's shell options or exits it.
(
  set -euo pipefail
  here="$_pw_engine_here"
  dir="$_pw_engine_dir"
  sock="$dir/podman.sock"

  missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v curl >/dev/null || missing+=(curl)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "engine-up: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
  fi

  ping() { curl -fsS --max-time 2 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; }

  mkdir -p "$dir"
  if ping; then
    echo "engine-up: podman API already serving on $sock" >&2
  else
    rm -f "$sock"
    # setsid + nohup: the service outlives this script and the terminal that started it.
    setsid nohup podman system service --time=0 "unix://$sock" >"$dir/podman.log" 2>&1 </dev/null &
    echo $! >"$dir/podman.pid"
    for _ in $(seq 1 100); do
      ping && break
      sleep 0.1
    done
    ping || { echo "engine-up: podman API did not answer on $sock (see $dir/podman.log)" >&2; exit 1; }
    echo "engine-up: podman API serving on $sock (pid $(cat "$dir/podman.pid"))" >&2
  fi

  "$here/build-test-image.sh" >&2
)
_pw_engine_rc=$?
unset _pw_engine_here _pw_engine_dir
if [ "$_pw_engine_rc" -ne 0 ]; then
  # `return` when sourced, `exit` when executed.
  return "$_pw_engine_rc" 2>/dev/null || exit "$_pw_engine_rc"
fi
unset _pw_engine_rc
echo "DOCKER_HOST=$DOCKER_HOST"

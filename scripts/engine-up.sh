#!/usr/bin/env bash
# Starts a Docker-API-compatible engine for pipewright's docker executor and its tests (podman, see docs/runtime.md):
#   1. installs podman + runc + busybox-static when missing (Debian, root),
#   2. serves podman's Docker API on a unix socket (detached, idempotent),
#   3. builds the busybox test image localhost/pipewright-test:1.
# Run it (`scripts/engine-up.sh`, prints the DOCKER_HOST to use) or source it (`source scripts/engine-up.sh`, exports
# DOCKER_HOST and CONTAINERS_CONF into the calling shell). Re-running it is harmless.

_pw_engine_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_pw_engine_dir="${PIPEWRIGHT_ENGINE_DIR:-/run/pipewright}"
# The configuration is copied into the engine directory and the service reads that copy: a service that read it from
# the checkout that started it lost it when that checkout was deleted or re-cloned (podman then fell back to default
# ulimits, and every container failed with "setrlimit RLIMIT_NOFILE: operation not permitted").
_pw_engine_conf_source="${CONTAINERS_CONF:-$_pw_engine_here/containers.conf}"
export CONTAINERS_CONF="$_pw_engine_dir/containers.conf"
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
  if ! cmp -s "$_pw_engine_conf_source" "$CONTAINERS_CONF"; then
    cp "$_pw_engine_conf_source" "$CONTAINERS_CONF.tmp"
    mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
  fi
  # A service this script started earlier (its pid file) is replaced when it reads another configuration path (older
  # versions used the checkout's), or when its working directory was deleted (a removed work tree it was started
  # from: it still answers the API but fails every container start with "write child: broken pipe", ENGINE.md). A
  # service started by someone else (no pid file of ours) is left alone.
  pid="$(cat "$dir/podman.pid" 2>/dev/null || true)"
  why=""
  if [ -n "$pid" ] && [ -r "/proc/$pid/environ" ]; then
    if ! tr '\0' '\n' <"/proc/$pid/environ" | grep -qx "CONTAINERS_CONF=$CONTAINERS_CONF"; then
      why="it reads another configuration"
    elif [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" == *" (deleted)" ]]; then
      why="its working directory was deleted"
    fi
  fi
  if [ -n "$why" ]; then
    echo "engine-up: restarting the podman service (pid $pid): $why" >&2
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$sock" "$dir/podman.pid"
  fi
  if ping; then
    echo "engine-up: podman API already serving on $sock" >&2
  else
    rm -f "$sock"
    # setsid + nohup: the service outlives this script and the terminal that started it.
    # From /: a service started in a work tree that is later deleted breaks every container start (see above).
    (cd / && exec setsid nohup podman system service --time=0 "unix://$sock" >"$dir/podman.log" 2>&1 </dev/null) &
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
unset _pw_engine_here _pw_engine_dir _pw_engine_conf_source
if [ "$_pw_engine_rc" -ne 0 ]; then
  # `return` when sourced, `exit` when executed.
  return "$_pw_engine_rc" 2>/dev/null || exit "$_pw_engine_rc"
fi
unset _pw_engine_rc
echo "DOCKER_HOST=$DOCKER_HOST"

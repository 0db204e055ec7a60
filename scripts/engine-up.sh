#!/usr/bin/env bash
# Starts a Docker-API-compatible engine for pipewright's docker executor and its tests (podman, see docs/runtime.md):
#   1. installs podman + runc + busybox-static when missing (Debian, root),
#   2. serves podman's Docker API on a unix socket (detached, idempotent),
#   3. builds the busybox test image localhost/pipewright-test:1.
# Prints the DOCKER_HOST to use. Re-running it is harmless.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
dir="${PIPEWRIGHT_ENGINE_DIR:-/run/pipewright}"
sock="$dir/podman.sock"
export DOCKER_HOST="unix://$sock"

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
[ -x /bin/busybox ] || missing+=(busybox-static)
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
echo "DOCKER_HOST=$DOCKER_HOST"

#!/usr/bin/env bash
# Stops the podman API service started by engine-up.sh (by its recorded pid). Containers and images are kept.
set -euo pipefail
dir="${PIPEWRIGHT_ENGINE_DIR:-/run/pipewright}"
pidfile="$dir/podman.pid"
if [ -f "$pidfile" ]; then
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "engine-down: stopped podman API (pid $pid)"
  else
    echo "engine-down: podman API (pid $pid) was not running"
  fi
  rm -f "$pidfile" "$dir/podman.sock"
else
  echo "engine-down: nothing to stop (no $pidfile)"
fi

# Sourced by scripts/k8s-up.sh and scripts/k8s-down.sh: stops one component of the local control plane.
# pw_k8s_stop <run dir> <name> <log prefix>: stops the process named by <run dir>/pids/<name>.pid — only when it is
# alive and still runs from that run directory (its command line names it), so a recycled pid is left alone — with
# SIGTERM, then SIGKILL after 10 s; removes the pid file. Prints what it did on stderr.
pw_k8s_stop() {
  local dir="$1" name="$2" who="$3" pid
  pid="$(cat "$dir/pids/$name.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qzF -- "$dir" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$who: $name (pid $pid) ignored SIGTERM for 10s; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    echo "$who: stopped $name (pid $pid)" >&2
  elif [ -n "$pid" ]; then
    echo "$who: $name (pid $pid) was not running" >&2
  fi
  rm -f "$dir/pids/$name.pid"
}

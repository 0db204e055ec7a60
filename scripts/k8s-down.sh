#!/usr/bin/env bash
# Stops the local Kubernetes control plane that scripts/k8s-up.sh started: exactly the processes named by its pid files
# in the run directory (PIPEWRIGHT_K8S_DIR, default /run/pipewright/k8s), and only when each still runs from that run
# directory (a recycled pid is left alone). With --purge it also deletes the cluster's state (etcd data, certificates,
# kubeconfigs, logs), so the next k8s-up starts an empty cluster. The built binaries (machine cache) are kept.
set -euo pipefail
dir="${PIPEWRIGHT_K8S_DIR:-/run/pipewright/k8s}"
purge=0
case "${1:-}" in
--purge) purge=1 ;;
"") ;;
*)
  echo "usage: scripts/k8s-down.sh [--purge]" >&2
  exit 2
  ;;
esac

# shellcheck source=k8s/stop-component.sh
source "$(dirname "${BASH_SOURCE[0]}")/k8s/stop-component.sh"
# Reverse start order: kwok and the controllers first, etcd last.
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  pw_k8s_stop "$dir" "$name" k8s-down
done

if [ "$purge" = 1 ] && [ -d "$dir" ]; then
  rm -rf "$dir/etcd" "$dir/pki" "$dir/logs" "$dir/pids" "$dir"/*.kubeconfig "$dir/kwok-stages.yaml" "$dir/bin" "$dir/.up.lock"
  rmdir "$dir" 2>/dev/null || true
  echo "k8s-down: removed the cluster state in $dir" >&2
fi

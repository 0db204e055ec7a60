#!/usr/bin/env bash
# Starts a local Kubernetes control plane on 127.0.0.1 for pipewright's Kubernetes target and its tests
# (docs/kubernetes-local.md):
#   1. builds, once per version, etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok from
#      Go modules into a machine-level cache (scripts/k8s/build.sh; the versions are pinned in scripts/k8s/*/go.mod),
#   2. makes a CA, serving and client certificates, a service-account key pair and kubeconfigs (openssl),
#   3. starts etcd, the API server, the controller manager (Job, CronJob, garbage collector, namespace, service account
#      … controllers), the scheduler and kwok (simulated nodes: pods are scheduled and go through their phases, but no
#      container runs), each detached with its log in the run directory, and waits until each answers,
#   4. registers one simulated node and waits until it is Ready.
# Run it (`scripts/k8s-up.sh`, prints the KUBECONFIG to use) or source it (`source scripts/k8s-up.sh`, exports KUBECONFIG,
# PIPEWRIGHT_KUBECTL and puts the matching kubectl first on PATH). Re-running it is harmless: what runs is kept.
# scripts/k8s-down.sh stops what this started.
#
# Settings (environment): PIPEWRIGHT_K8S_DIR (run directory, default /run/pipewright/k8s), PIPEWRIGHT_K8S_CACHE (build
# cache, default /var/cache/pipewright/k8s), PIPEWRIGHT_K8S_PORT_BASE (default 6443: the API server's port; etcd, the
# controller manager, the scheduler and kwok use the next ports up).

_pw_k8s_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_pw_k8s_dir="${PIPEWRIGHT_K8S_DIR:-/run/pipewright/k8s}"

# The work runs in a subshell so that sourcing this file never changes the caller's shell options or exits it.
(
  set -euo pipefail
  here="$_pw_k8s_here"
  dir="$_pw_k8s_dir"
  base="${PIPEWRIGHT_K8S_PORT_BASE:-6443}"
  api_port="$base"
  etcd_port=$((base + 1))
  etcd_peer_port=$((base + 2))
  kcm_port=$((base + 3))
  sched_port=$((base + 4))
  kwok_port=$((base + 5))
  started=$(date +%s)

  say() { printf 'k8s-up: %s\n' "$*" >&2; }
  fail() {
    say "error: $*"
    exit 1
  }

  missing=()
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  command -v flock >/dev/null || missing+=(util-linux)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
  fi

  bin="$("$here/k8s/build.sh")"
  stages="$(dirname "$bin")/stages"
  mkdir -p "$dir/logs" "$dir/pki" "$dir/pids"
  # Only one k8s-up at a time per run directory (the build has its own lock).
  exec 8>"$dir/.up.lock"
  flock 8
  ln -sfn "$bin" "$dir/bin.tmp" && mv -T "$dir/bin.tmp" "$dir/bin"

  # ---- certificates and kubeconfigs (made once per run directory) ----
  pki="$dir/pki"
  cert() { # name subject [extensions]   (signed by $CA, default "ca")
    local name="$1" subj="$2" ext="${3:-}"
    [ -s "$pki/$name.crt" ] && return 0
    openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
    openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$ext" >"$pki/$name.ext"
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/${CA:-ca}.crt" -CAkey "$pki/${CA:-ca}.key" -CAcreateserial -days 3650 \
      -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt.tmp" 2>/dev/null
    mv "$pki/$name.crt.tmp" "$pki/$name.crt"
    rm -f "$pki/$name.csr" "$pki/$name.ext"
  }
  if [ ! -s "$pki/ca.crt" ]; then
    say "making certificates in $pki"
    rm -f "$pki"/*
    openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=pipewright-local-ca" -days 3650 -sha256 -out "$pki/ca.crt.tmp"
    mv "$pki/ca.crt.tmp" "$pki/ca.crt"
  fi
  # The front-proxy CA signs the client certificate the API server presents to aggregated API servers; the controller
  # manager and the scheduler read it (requestheader authentication) from kube-system/extension-apiserver-authentication.
  if [ ! -s "$pki/front-proxy-ca.crt" ]; then
    openssl genrsa -out "$pki/front-proxy-ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$pki/front-proxy-ca.key" -subj "/CN=pipewright-local-front-proxy-ca" -days 3650 \
      -sha256 -out "$pki/front-proxy-ca.crt.tmp"
    mv "$pki/front-proxy-ca.crt.tmp" "$pki/front-proxy-ca.crt"
    rm -f "$pki/front-proxy-client.crt"
  fi
  CA=front-proxy-ca cert front-proxy-client "/CN=front-proxy-client" "extendedKeyUsage=clientAuth"
  cert apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin "/O=system:masters/CN=pipewright-admin" "extendedKeyUsage=clientAuth"
  cert controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
  cert scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
  # kwok acts for every simulated kubelet (node and pod status of all its nodes).
  cert kwok "/O=system:masters/CN=kwok" "extendedKeyUsage=clientAuth"
  if [ ! -s "$pki/sa.pub" ]; then
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  fi
  chmod 600 "$pki"/*.key

  kubeconfig() { # name → $dir/<name>.kubeconfig (certificates embedded, so the file stands alone)
    local f="$dir/$1.kubeconfig"
    cat >"$f.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: pipewright-local
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
  - name: $1
    user:
      client-certificate-data: $(base64 -w0 <"$pki/$1.crt")
      client-key-data: $(base64 -w0 <"$pki/$1.key")
contexts:
  - name: pipewright-local
    context:
      cluster: pipewright-local
      user: $1
current-context: pipewright-local
EOF
    chmod 600 "$f.tmp"
    mv "$f.tmp" "$f"
  }
  for c in admin controller-manager scheduler kwok; do kubeconfig "$c"; done

  # kwok's stages: its own node and pod stages (copied from its module at build time) and pipewright's Job pod stages.
  {
    for f in node-initialize.yaml node-heartbeat-with-lease.yaml pod-ready.yaml pod-delete.yaml; do
      cat "$stages/$f"
      printf '\n---\n'
    done
    cat "$here/k8s/stages/pod-job-finish.yaml"
  } >"$dir/kwok-stages.yaml.tmp"
  if ! cmp -s "$dir/kwok-stages.yaml.tmp" "$dir/kwok-stages.yaml"; then
    mv "$dir/kwok-stages.yaml.tmp" "$dir/kwok-stages.yaml"
    stages_changed=1
  else
    rm -f "$dir/kwok-stages.yaml.tmp"
    stages_changed=0
  fi

  # ---- processes ----
  # A component is "ours and current" when its pid file names a live process running the binary it should run with
  # exactly the arguments it should have (a new version or a changed flag restarts it).
  running() { # name binary args…
    local pid
    pid="$(cat "$dir/pids/$1.pid" 2>/dev/null || true)"
    shift
    [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$1" ] &&
      [ "$(sha256sum <"/proc/$pid/cmdline" 2>/dev/null)" = "$(printf '%s\0' "$@" | sha256sum)" ]
  }
  # shellcheck source=k8s/stop-component.sh
  source "$here/k8s/stop-component.sh"
  stop() { pw_k8s_stop "$dir" "$1" k8s-up; }
  # Detached: its own session, cwd /, stdin closed, and without our lock descriptor (a daemon holding it would block
  # every later k8s-up); it outlives this script and the checkout that started it.
  launch() { # name binary args…
    local name="$1" exe="$2"
    shift 2
    local pidfile="$dir/pids/$name.pid"
    rm -f "$pidfile"
    # The pid is written by the process itself after setsid (which forks when its caller leads a process group).
    (cd / && exec setsid bash -c 'echo $$ >"$1.tmp" && mv "$1.tmp" "$1" && shift && exec "$@"' _ "$pidfile" "$exe" "$@" \
      >>"$dir/logs/$name.log" 2>&1 </dev/null 8>&-) &
    for _ in $(seq 1 50); do
      [ -s "$pidfile" ] && break
      sleep 0.1
    done
    [ -s "$pidfile" ] || fail "$name did not start (log: $dir/logs/$name.log)"
    say "started $name (pid $(cat "$pidfile"), log $dir/logs/$name.log)"
  }
  wait_for() { # what seconds command…
    local what="$1" secs="$2"
    shift 2
    local deadline=$(($(date +%s) + secs))
    until "$@" >/dev/null 2>&1; do
      [ "$(date +%s)" -lt "$deadline" ] || return 1
      sleep 0.2
    done
    say "$what ready after $(($(date +%s) - started))s"
  }
  tls_get() { # url, with the admin client certificate
    curl -fsS --max-time 3 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$1"
  }
  ensure() { # name check-command… -- launch-args…   (starts the component unless it is ours, current and healthy)
    local name="$1" exe="$bin/$1"
    shift
    local check=()
    while [ "$1" != "--" ]; do
      check+=("$1")
      shift
    done
    shift
    if running "$name" "$exe" "$@" && "${check[@]}" >/dev/null 2>&1; then
      say "$name already running (pid $(cat "$dir/pids/$name.pid"))"
      return 0
    fi
    stop "$name"
    launch "$name" "$exe" "$@"
    wait_for "$name" 60 "${check[@]}" || {
      tail -n 20 "$dir/logs/$name.log" >&2 || true
      fail "$name did not become healthy within 60s (log: $dir/logs/$name.log)"
    }
  }

  etcd_health() { curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'; }
  ensure etcd etcd_health -- \
    --name=pipewright-local --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="pipewright-local=http://127.0.0.1:$etcd_peer_port" \
    --listen-metrics-urls="" --unsafe-no-fsync --quota-backend-bytes=1073741824 --log-level=warn

  api_ready() { tls_get "https://127.0.0.1:$api_port/readyz" | grep -qx ok; }
  # ServiceAccount admission stays on (pods get their service account as on a real cluster); TaintNodesByCondition is
  # off because no node lifecycle controller runs to lift the not-ready taint it puts on every new node.
  ensure kube-apiserver api_ready -- \
    --bind-address=127.0.0.1 --secure-port="$api_port" --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$pki/front-proxy-client.crt" --proxy-client-key-file="$pki/front-proxy-client.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=Node,RBAC \
    --disable-admission-plugins=TaintNodesByCondition \
    --allow-privileged=true \
    --profiling=false

  kcm_healthy() { curl -fsS --max-time 2 -k "https://127.0.0.1:$kcm_port/healthz" | grep -qx ok; }
  ensure kube-controller-manager kcm_healthy -- \
    --kubeconfig="$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$dir/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$kcm_port" --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --controllers=job-controller,cronjob-controller,garbage-collector-controller,ttl-after-finished-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,pod-garbage-collector-controller,replicaset-controller,deployment-controller,endpointslice-controller,resourcequota-controller,clusterrole-aggregation-controller \
    --profiling=false

  sched_healthy() { curl -fsS --max-time 2 -k "https://127.0.0.1:$sched_port/healthz" | grep -qx ok; }
  ensure kube-scheduler sched_healthy -- \
    --kubeconfig="$dir/scheduler.kubeconfig" \
    --authentication-kubeconfig="$dir/scheduler.kubeconfig" \
    --authorization-kubeconfig="$dir/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$sched_port" --leader-elect=false --profiling=false

  [ "$stages_changed" = 0 ] || stop kwok
  kwok_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$kwok_port/healthz" >/dev/null; }
  ensure kwok kwok_healthy -- \
    --kubeconfig="$dir/kwok.kubeconfig" --config="$dir/kwok-stages.yaml" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 --cidr=10.244.0.0/16 --node-lease-duration-seconds=40 \
    --server-address="127.0.0.1:$kwok_port"

  # ---- one simulated node ----
  kubectl() { "$bin/kubectl" --kubeconfig="$dir/admin.kubeconfig" "$@"; }
  kubectl apply --server-side --field-manager=pipewright-k8s-up -f "$here/k8s/node.yaml" >/dev/null ||
    fail "could not register the simulated node"
  wait_for "node pipewright-node-1" 60 kubectl wait --for=condition=Ready node/pipewright-node-1 --timeout=5s ||
    fail "the simulated node did not become Ready (kwok log: $dir/logs/kwok.log)"
  # The service account controller gives every namespace its "default" account: proof the controllers act.
  wait_for "controllers" 60 kubectl get serviceaccount default -n default ||
    fail "the controller manager did not create the default service account (log: $dir/logs/kube-controller-manager.log)"
  say "control plane up in $(($(date +%s) - started))s: https://127.0.0.1:$api_port (kubectl: $bin/kubectl)"
)
_pw_k8s_rc=$?
if [ "$_pw_k8s_rc" -ne 0 ]; then
  unset _pw_k8s_here _pw_k8s_dir
  # `return` when sourced, `exit` when executed.
  return "$_pw_k8s_rc" 2>/dev/null || exit "$_pw_k8s_rc"
fi
export KUBECONFIG="$_pw_k8s_dir/admin.kubeconfig"
export PIPEWRIGHT_KUBECTL="$_pw_k8s_dir/bin/kubectl"
case ":$PATH:" in
*":$_pw_k8s_dir/bin:"*) ;;
*) export PATH="$_pw_k8s_dir/bin:$PATH" ;;
esac
unset _pw_k8s_here _pw_k8s_dir _pw_k8s_rc
echo "KUBECONFIG=$KUBECONFIG"

#!/usr/bin/env bash
# Builds the local Kubernetes control plane from Go modules (no prebuilt binary is downloaded; only the Go module proxy
# is used): kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from k8s.io/kubernetes, etcd from
# go.etcd.io/etcd/server/v3, kwok from sigs.k8s.io/kwok. The versions are pinned by the go.mod/go.sum files beside this
# script (kube/, etcd/, kwok/); go.sum is verified (-mod=readonly), so a build never resolves anything new.
#
# The binaries go to a machine-level cache keyed by the versions and by a hash of the pin files:
#   ${PIPEWRIGHT_K8S_CACHE:-/var/cache/pipewright/k8s}/<key>/bin
# A later run (any checkout on this machine, CI included) finds them there and builds nothing. The Go build cache used
# is ${PIPEWRIGHT_K8S_CACHE}/go-build, so the disk this costs is in one place (delete the directory to reclaim it).
#
# Prints the bin directory on stdout; progress goes to stderr. Exit 0 on success, 1 on a failed build, 2 when the
# machine cannot build (no Go, too old a Go, too little free disk).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${PIPEWRIGHT_K8S_CACHE:-/var/cache/pipewright/k8s}"
min_free_gb="${PIPEWRIGHT_K8S_MIN_FREE_GB:-10}"

say() { printf 'k8s-build: %s\n' "$*" >&2; }
die() {
  say "error: $2"
  exit "$1"
}

# The versions, read from the pin files (the single source of truth).
mod_version() { awk -v m="$2" '$1 == "require" && $2 == m { print $3 } $1 == m && $2 ~ /^v/ { print $2 }' "$here/$1/go.mod" | head -n 1; }
kube_version="$(mod_version kube k8s.io/kubernetes)"
etcd_version="$(mod_version etcd go.etcd.io/etcd/server/v3)"
kwok_version="$(mod_version kwok sigs.k8s.io/kwok)"
[ -n "$kube_version" ] && [ -n "$etcd_version" ] && [ -n "$kwok_version" ] ||
  die 2 "cannot read the pinned versions from $here/{kube,etcd,kwok}/go.mod"

# Bump when the way the binaries are built changes (flags, version stamps, copied files): the key then changes too.
recipe=1
pins_hash="$( (echo "recipe $recipe" && cat "$here"/kube/go.mod "$here"/kube/go.sum "$here"/etcd/go.mod "$here"/etcd/go.sum \
  "$here"/kwok/go.mod "$here"/kwok/go.sum) | sha256sum | cut -c1-12)"
key="kubernetes-${kube_version}_etcd-${etcd_version}_kwok-${kwok_version}_${pins_hash}"
dir="$cache_root/$key"
bin="$dir/bin"
tools=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

complete() {
  [ -f "$dir/complete" ] || return 1
  local t
  for t in "${tools[@]}"; do [ -x "$bin/$t" ] || return 1; done
}

if complete; then
  say "using $bin (built $(cat "$dir/complete"))"
  echo "$bin"
  exit 0
fi

# The polyglot machines have Go in /usr/local/go; a shell without it on PATH still finds it.
command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die 2 "Go is not installed (the control plane is built from Go modules; Go >= 1.26 is needed)"
go_minor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
[ -n "$go_minor" ] && [ "$go_minor" -ge 26 ] || die 2 "Go $(go env GOVERSION) is too old: Kubernetes $kube_version needs Go >= 1.26"

mkdir -p "$cache_root"
free_kb="$(df -Pk "$cache_root" | awk 'NR == 2 { print $4 }')"
if [ "$free_kb" -lt $((min_free_gb * 1024 * 1024)) ]; then
  die 2 "only $((free_kb / 1024 / 1024)) GB free on the filesystem of $cache_root; building the control plane needs about ${min_free_gb} GB (Go module and build caches). Free some space or set PIPEWRIGHT_K8S_CACHE to a larger disk"
fi

# One build at a time per machine: a second caller waits for the first and then reuses its binaries.
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  say "another build of the control plane is running; waiting for it"
  flock 9
fi
if complete; then
  echo "$bin"
  exit 0
fi

say "building $key into $bin (cold: tens of minutes on 2 cores)"
started=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/bin.tmp"
export GOCACHE="$cache_root/go-build"
export GOFLAGS="-mod=readonly -trimpath"
export CGO_ENABLED=0
# Release-style build date: the module's publication time (reproducible), not the build time.
build_date="$(go mod download -json "k8s.io/kubernetes@$kube_version" | sed -n 's/.*"Time": "\(.*\)",*/\1/p' | head -n 1)"

for m in kube etcd kwok; do
  mkdir -p "$dir/src/$m"
  cp "$here/$m/go.mod" "$here/$m/go.sum" "$dir/src/$m/"
done

# Kubernetes: version stamps as the release build sets them (otherwise the binaries call themselves v0.0.0-master and
# kubectl's version-skew checks misbehave).
minor="${kube_version#v1.}"
minor="${minor%%.*}"
ld=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
say "go build kube-apiserver kube-controller-manager kube-scheduler kubectl ($kube_version)"
(cd "$dir/src/kube" && go build -ldflags "-s -w$ld" -o "$dir/bin.tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl) || die 1 "building Kubernetes $kube_version failed"

say "go build etcd ($etcd_version)"
(cd "$dir/src/etcd" && go build -ldflags "-s -w" -o "$dir/bin.tmp/etcd" go.etcd.io/etcd/server/v3) ||
  die 1 "building etcd $etcd_version failed"

say "go build kwok ($kwok_version)"
(cd "$dir/src/kwok" && go build -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${kwok_version#v}" \
  -o "$dir/bin.tmp/kwok" sigs.k8s.io/kwok/cmd/kwok) || die 1 "building kwok $kwok_version failed"

# kwok's own Stage objects (node initialisation, heartbeat, pod readiness, deletion) ship in its module; keep a copy
# beside the binaries so starting the cluster never needs the module cache.
kwok_src="$(cd "$dir/src/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
mkdir -p "$dir/stages"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  pod/fast/pod-ready.yaml pod/fast/pod-delete.yaml; do
  [ -f "$kwok_src/kustomize/stage/$f" ] || die 1 "kwok $kwok_version has no kustomize/stage/$f"
  cp "$kwok_src/kustomize/stage/$f" "$dir/stages/$(basename "$f")"
done

mv "$dir/bin.tmp" "$bin"
took=$(($(date +%s) - started))
echo "$(date -u +%FT%TZ) in ${took}s" >"$dir/complete"
say "built in ${took}s: $(du -sh "$bin" | cut -f1) of binaries; Go build cache $(du -sh "$GOCACHE" | cut -f1)"
echo "$bin"

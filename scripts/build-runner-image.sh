#!/usr/bin/env bash
# Builds the pipewright runner image localhost/pipewright:<version> without a registry of base images: a rootfs of
# the host's node binary + the shared libraries ldd lists for it + `npm pack` of this project installed with its
# production dependencies (npm ci --omit=dev against package-lock.json), imported with `podman import`.
# Where a registry serves node images, the repository's Dockerfile builds the equivalent image instead.
#   scripts/build-runner-image.sh            # npm run build, then localhost/pipewright:<package.json version>
#   scripts/build-runner-image.sh --no-build # packs the dist/ already built (what the tests use: never rewrites dist/)
#   PIPEWRIGHT_RUNNER_IMAGE=… FORCE=1 scripts/build-runner-image.sh
# The image is labelled with the sha256 of the packed tarball, the lock file, the node binary and this script: an image with the
# same label is already what this would build, and is kept (FORCE=1 rebuilds anyway).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
version="$(node -p "require('$root/package.json').version")"
image="${PIPEWRIGHT_RUNNER_IMAGE:-localhost/pipewright:$version}"

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) echo "build-runner-image: unknown argument $arg (usage: $0 [--no-build])" >&2; exit 2 ;;
  esac
done
node_bin="$(command -v node)"
node_bin="$(readlink -f "$node_bin")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The npm package, exactly what `npm publish` would ship (npm pack gives its files fixed times: same input, same bytes).
if [ "$build" = 1 ]; then (cd "$root" && npm run build --silent >/dev/null); fi
[ -f "$root/dist/cli.js" ] || { echo "build-runner-image: $root/dist/cli.js missing (npm run build)" >&2; exit 1; }
(cd "$root" && npm pack --silent --pack-destination "$work" >/dev/null)
source_id="$(cat "$work"/pipewright-*.tgz "$root/package-lock.json" "$node_bin" "$0" | sha256sum | cut -c1-32)"
if [ "${FORCE:-0}" != 1 ] && podman image exists "$image" &&
  [ "$(podman image inspect --format '{{ index .Labels "dev.pipewright.source" }}' "$image")" = "$source_id" ]; then
  echo "runner image $image is up to date (source $source_id)"
  exit 0
fi
rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib/pipewright" "$rootfs/tmp" "$rootfs/etc" "$rootfs/home/pipewright"
chmod 1777 "$rootfs/tmp"

# node and every shared library it loads (ldd: "name => /path (addr)" and the loader "/lib64/ld-linux… (addr)").
cp "$node_bin" "$rootfs/usr/local/bin/node"
for lib in $(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
# The loader finds them through the cache ldconfig writes for the rootfs's own library directories.
ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | xargs -n1 dirname | sort -u >"$rootfs/etc/ld.so.conf"
ldconfig -r "$rootfs"

# Its production dependencies from the lock file.
tar -xzf "$work"/pipewright-*.tgz -C "$work"
cp -r "$work/package/." "$rootfs/usr/local/lib/pipewright/"
cp "$root/package-lock.json" "$rootfs/usr/local/lib/pipewright/"
(cd "$rootfs/usr/local/lib/pipewright" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
rm -f "$rootfs/usr/local/lib/pipewright/package-lock.json"
ln -s ../lib/pipewright/dist/cli.js "$rootfs/usr/local/bin/pipewright"

# A non-root user, certificates for HTTPS to an API server whose CA is not in the kubeconfig.
printf 'root:x:0:0:root:/root:/bin/false\npipewright:x:10001:10001:pipewright:/home/pipewright:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\npipewright:x:10001:\n' >"$rootfs/etc/group"
chown -R 10001:10001 "$rootfs/home/pipewright" 2>/dev/null || true
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$rootfs/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi

tar -C "$rootfs" -c . | podman import --quiet \
  --change 'ENV PATH=/usr/local/bin' \
  --change 'ENV NODE_ENV=production' \
  --change "LABEL dev.pipewright.source=$source_id" \
  --change 'USER 10001' \
  --change 'WORKDIR /home/pipewright' \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "/usr/local/lib/pipewright/dist/cli.js"]' \
  - "$image" >/dev/null
echo "built runner image $image ($(du -sh "$rootfs" | cut -f1) rootfs: node $(node -v), $(ls "$rootfs/usr/local/lib/pipewright/node_modules" | wc -l) packages)"

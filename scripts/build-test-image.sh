#!/usr/bin/env bash
# Builds the registry-free test image localhost/pipewright-test:1 from the host's static busybox:
# rootfs/bin/busybox plus one symlink per applet, imported with `podman import`. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
image="${PIPEWRIGHT_TEST_IMAGE:-localhost/pipewright-test:1}"

if podman image exists "$image"; then
  echo "test image $image already present"
  exit 0
fi
busybox="$(command -v busybox || true)"
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  busybox=/bin/busybox
fi
[ -x "$busybox" ] || { echo "build-test-image: busybox not found (apt-get install -y busybox-static)" >&2; exit 1; }

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/work"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -c . | podman import --change 'ENV PATH=/bin' --change 'WORKDIR /work' - "$image" >/dev/null
echo "built test image $image"

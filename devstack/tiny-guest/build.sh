#!/usr/bin/env bash
# Builds the tiny guest of Understudy's tests and demo, from Debian packages only, in seconds:
#
#   devstack/tiny-guest/build.sh OUTDIR
#
# OUTDIR/vmlinuz    Debian's stock kernel (the version linux-image-amd64 depends on)
# OUTDIR/initrd.gz  busybox-static, the virtio modules and an /init that keeps writing numbered
#                   records to /dev/vda (see init.sh beside this file for the record format)
#
# The .deb files are kept in OUTDIR/cache and reused, so a second run needs no network and a
# run with both outputs newer than their inputs does nothing. Needs apt-get (its lists updated),
# dpkg-deb and gzip; any user that can write OUTDIR (root not needed).
set -euo pipefail

die() { printf 'tiny-guest/build.sh: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build.sh OUTDIR"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
mkdir -p "$out/cache" 2>/dev/null || die "cannot create $out/cache"
out="$(cd "$out" && pwd)"
cache="$out/cache"

# The modules the Debian kernel builds virtio as, in the only order in which they load.
readonly modules=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk)

# Reuses a cached .deb matching GLOB, else downloads PACKAGE into the cache; prints its path.
deb() {
  local package="$1" glob="$2" found log
  found="$(find "$cache" -maxdepth 1 -name "$glob" -print | sort -V | tail -n 1)"
  if [ -z "$found" ]; then
    log="$cache/apt-get-download.log"
    # apt's sandbox user may not reach OUTDIR; that only costs a warning, kept in the log.
    (cd "$cache" && apt-get download "$package") >"$log" 2>&1 \
      || die "apt-get download $package failed (run apt-get update?): $(grep -m1 '^E:' "$log" || tail -n 1 "$log")"
    found="$(find "$cache" -maxdepth 1 -name "$glob" -print | sort -V | tail -n 1)"
    [ -n "$found" ] || die "apt-get download $package left no $glob in $cache"
  fi
  printf '%s\n' "$found"
}

kernel_deb() {
  local cached package
  cached="$(find "$cache" -maxdepth 1 -name 'linux-image-6.1.0-*-amd64_*_amd64.deb' -print | sort -V | tail -n 1)"
  if [ -n "$cached" ]; then
    printf '%s\n' "$cached"
    return
  fi
  package="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\.0-[0-9]+-amd64$/ {print $2; exit}')"
  [ -n "$package" ] || die "apt-cache finds no linux-image-6.1.0-*-amd64 behind linux-image-amd64 (run apt-get update?)"
  deb "$package" "${package}_*_amd64.deb"
}

kernel="$(kernel_deb)"
busybox="$(deb busybox-static 'busybox-static_*_amd64.deb')"

if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.gz" ] \
  && [ -z "$(find "$kernel" "$busybox" "$here/init.sh" "${BASH_SOURCE[0]}" -newer "$out/initrd.gz" -print)" ]; then
  exit 0
fi

work="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

version="$(basename "$kernel" | sed -E 's/^linux-image-(6\.1\.0-[0-9]+-amd64)_.*/\1/')"
# The kernel's few members we need, unpacked once per package: reaching them means decompressing
# the whole 70 MB package, which is most of a build's time.
unpacked="$cache/$(basename "$kernel" .deb)"
if [ ! -d "$unpacked" ]; then
  members=("./boot/vmlinuz-$version")
  for m in "${modules[@]}"; do
    case "$m" in
      virtio_blk) members+=("./lib/modules/$version/kernel/drivers/block/$m.ko") ;;
      *) members+=("./lib/modules/$version/kernel/drivers/virtio/$m.ko") ;;
    esac
  done
  mkdir -p "$work/kernel"
  dpkg-deb --fsys-tarfile "$kernel" | tar -x -C "$work/kernel" "${members[@]}" \
    || die "$kernel lacks the kernel or a virtio module (${members[*]})"
  # A concurrent build may have put it in place first; either copy serves.
  mv -T "$work/kernel" "$unpacked" 2>/dev/null || [ -d "$unpacked/boot" ] || die "cannot move the kernel into $unpacked"
fi
dpkg-deb --fsys-tarfile "$busybox" | tar -x -C "$work" ./bin/busybox || die "$busybox holds no bin/busybox"

root="$work/root"
mkdir -p "$root/bin" "$root/lib/modules" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
cp "$work/bin/busybox" "$root/bin/busybox"
for m in "${modules[@]}"; do
  cp "$unpacked/lib/modules/$version/kernel/drivers/"*/"$m.ko" "$root/lib/modules/$m.ko"
done
printf '%s\n' "${modules[@]}" >"$root/lib/modules/order"
cp "$here/init.sh" "$root/init"
chmod 0755 "$root/init" "$root/bin/busybox"

# busybox's own cpio makes the archive, so the host needs no cpio package.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$work/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) \
  | gzip -9 >"$work/initrd.gz" || die "making the initramfs failed"
cp "$unpacked/boot/vmlinuz-$version" "$work/vmlinuz"
# Readable by the qemu user of qemu:///system, whoever builds.
chmod 0644 "$work/vmlinuz" "$work/initrd.gz"
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/initrd.gz" "$out/initrd.gz"

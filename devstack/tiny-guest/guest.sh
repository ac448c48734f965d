#!/usr/bin/env bash
# Runs a tiny guest (build.sh) under qemu:///system: a persistent TCG domain of 128 MiB whose one
# virtio disk is a qcow2 v3 image (persistent dirty bitmaps need v3), which its /init fills with
# numbered records. Run as root, with libvirtd up (devstack/libvirt.sh up).
#
#   devstack/tiny-guest/guest.sh start NAME DISK [--uuid UUID] [--console FILE] [--args "K=V ..."]
#        builds the kernel and initramfs if needed, defines NAME and starts it; the guest's
#        console (one line per durable record) goes to FILE, default DISK's folder/NAME.console
#        --args adds kernel arguments, e.g. "understudy.delay=0.1 understudy.slots=64"
#   devstack/tiny-guest/guest.sh stop NAME
#        destroys NAME if it runs and undefines it with its checkpoint metadata
#
# The kernel and initramfs live in $UNDERSTUDY_TINY_GUEST (default /var/lib/understudy/tiny-guest).
set -euo pipefail

die() { printf 'tiny-guest/guest.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '/^#   devstack\/tiny-guest\/guest.sh start/,/^#$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly here
readonly kernel_dir="${UNDERSTUDY_TINY_GUEST:-/var/lib/understudy/tiny-guest}"
readonly uri=qemu:///system
readonly qemu_user=libvirt-qemu

virsh_() { virsh -q -c "$uri" "$@"; }

# QEMU runs as libvirt-qemu: every folder above a file it opens must let that user through.
reachable() {
  local path="$1" dir
  dir="$(dirname "$path")"
  while [ "$dir" != / ]; do
    runuser -u "$qemu_user" -- test -x "$dir" \
      || die "$dir (mode $(stat -c %a "$dir")) does not let $qemu_user reach $path"
    dir="$(dirname "$dir")"
  done
}

xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e "s/'/\&apos;/g" <<<"$1"; }

start() {
  [ $# -ge 2 ] || usage
  local name="$1" disk="$2" uuid="" console="" args="" format xml
  shift 2
  while [ $# -gt 0 ]; do
    case "$1" in
      --uuid) uuid="${2:?--uuid needs a value}"; shift 2 ;;
      --console) console="${2:?--console needs a value}"; shift 2 ;;
      --args) args="${2?--args needs a value}"; shift 2 ;;
      *) usage ;;
    esac
  done
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "domain name '$name' has characters other than letters, digits, _ . -"
  [ -f "$disk" ] || die "no disk image at $disk"
  disk="$(realpath "$disk")"
  format="$(qemu-img info -U --output=json "$disk" | sed -n 's/^ *"format": "\(.*\)",$/\1/p' | head -n 1)"
  [ "$format" = qcow2 ] || die "$disk is $format, not qcow2"
  qemu-img info -U "$disk" | grep -q 'compat: 1.1' || die "$disk is qcow2 v2; checkpoints need v3 (qemu-img amend -o compat=1.1)"
  console="${console:-$(dirname "$disk")/$name.console}"
  "$here/build.sh" "$kernel_dir"
  reachable "$disk"
  reachable "$kernel_dir/vmlinuz"
  reachable "$console"
  xml="<domain type='qemu'>
  <name>$name</name>${uuid:+
  <uuid>$(xml_escape "$uuid")</uuid>}
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$(xml_escape "$kernel_dir/vmlinuz")</kernel>
    <initrd>$(xml_escape "$kernel_dir/initrd.gz")</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet $(xml_escape "$args")</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$(xml_escape "$disk")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'><source path='$(xml_escape "$console")' append='on'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>"
  virsh_ define /dev/stdin <<<"$xml" >/dev/null || die "virsh define $name failed"
  virsh_ start "$name" >/dev/null || die "virsh start $name failed"
}

stop() {
  [ $# -eq 1 ] || usage
  local name="$1"
  virsh_ dominfo "$name" >/dev/null 2>&1 || return 0
  if [ "$(virsh_ domstate "$name")" != "shut off" ]; then
    virsh_ destroy "$name" >/dev/null || die "virsh destroy $name failed"
  fi
  virsh_ undefine "$name" --checkpoints-metadata >/dev/null || die "virsh undefine $name failed"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# A private libvirtd (with its own virtlogd) beside the system one, for tests that must stop,
# kill or restart "the" libvirtd without touching the daemon other tests use. Run as root.
#
#   devstack/libvirt-host.sh up DIR [--hostname NAME] [--bind SOURCE TARGET]...
#        starts virtlogd and libvirtd for DIR unless they run; prints the URI once it answers.
#        Idempotent. The options play a whole host (devstack/local-cloud.sh's libvirt computes):
#        --hostname NAME   a UTS namespace too, with hostname NAME (libvirt reports it, Nova names
#                          its node after it), and a tmpfs on /run, so nothing of the machine's
#                          /run is shared
#        --bind SOURCE TARGET  SOURCE (a folder or a file) mounted over TARGET too (a missing
#                          TARGET is made as a folder)
#        They apply when the namespace is made, with virtlogd: a running DIR keeps its own.
#        libvirtd listens on TCP or TLS when DIR/etc/libvirtd.conf sets listen_tcp or listen_tls.
#   devstack/libvirt-host.sh kill DIR   kill -9 of DIR's libvirtd only: its guests' QEMU keep running
#   devstack/libvirt-host.sh down DIR   stops DIR's libvirtd, virtlogd and any guest QEMU left
#   devstack/libvirt-host.sh uri DIR    the URI that reaches DIR's libvirtd
#   devstack/libvirt-host.sh pid DIR    the PID of DIR's virtlogd, whose namespace DIR's daemons
#                                       share: `nsenter -t PID -m -u` runs a command beside them
#
# The daemons run in a mount namespace of their own (made with the first virtlogd, entered again
# by every later libvirtd) in which DIR's folders stand in for libvirt's:
#   DIR/run -> /run/libvirt (its socket is DIR/run/libvirt-sock, reachable from outside)
#   DIR/etc -> /etc/libvirt (a fresh minimal configuration, never a copy of the system's)
#   DIR/lib -> /var/lib/libvirt, DIR/cache -> /var/cache/libvirt, DIR/log -> /var/log/libvirt
# A libvirtd started again finds its guests' state in DIR/run and reconnects to their QEMU.
set -euo pipefail
# shellcheck source=lib/stop-process
source "$(dirname "${BASH_SOURCE[0]}")/lib/stop-process"

readonly ready_timeout=30
readonly stop_timeout=15

die() { printf 'libvirt-host.sh: %s\n' "$*" >&2; exit 1; }

# The PID in DIR/NAME.pid, if that process lives and is NAME.
live_pid() {
  local dir="$1" name="$2" pid
  pid="$(cat "$dir/$name.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$name" ] && printf '%s\n' "$pid"
}

uri() { printf 'qemu+unix:///system?socket=%s/run/libvirt-sock\n' "$1"; }

configure() {
  local dir="$1" d
  for d in run etc lib cache log; do
    mkdir -p "$dir/$d"
  done
  # QEMU runs as libvirt-qemu and must reach its files under DIR/lib.
  chmod 0755 "$dir" "$dir/lib"
  [ -f "$dir/etc/libvirtd.conf" ] || cat >"$dir/etc/libvirtd.conf" <<EOF
# Written by devstack/libvirt-host.sh for a private libvirtd.
listen_tls = 0
listen_tcp = 0
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  # No AppArmor/SELinux here, and daemons beside each other must not share (and remove) cgroup paths.
  [ -f "$dir/etc/qemu.conf" ] || cat >"$dir/etc/qemu.conf" <<EOF
security_driver = "none"
cgroup_controllers = [ ]
EOF
  [ -f "$dir/etc/virtlogd.conf" ] || : >"$dir/etc/virtlogd.conf"
}

up() {
  local dir="$1" hostname="" listen=() binds=() ns deadline
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --hostname) [ $# -ge 2 ] || die "--hostname needs a NAME"; hostname="$2"; shift 2 ;;
      --bind) [ $# -ge 3 ] || die "--bind needs a SOURCE and a TARGET"; binds+=("$(realpath -m "$2")" "$3"); shift 3 ;;
      *) die "up: unknown argument '$1' (known: --hostname NAME, --bind SOURCE TARGET)" ;;
    esac
  done
  command -v libvirtd >/dev/null || die "libvirtd is not installed; run: devstack/libvirt.sh install"
  configure "$dir"
  if ! ns="$(live_pid "$dir" virtlogd)"; then
    unshare -m ${hostname:+-u} --propagation private -- sh -euc '
      dir="$1" hostname="$2"
      shift 2
      if [ -n "$hostname" ]; then
        hostname "$hostname"
        mount -t tmpfs -o mode=0755 tmpfs /run
        mkdir /run/libvirt
      fi
      # Without --hostname /run is the machine /run, where only a system libvirtd that ran made
      # /run/libvirt: the mount point is made here otherwise, empty (this namespace mounts over it).
      [ -d /run/libvirt ] || mkdir -p /run/libvirt
      mount --bind "$dir/run" /run/libvirt
      mount --bind "$dir/etc" /etc/libvirt
      mount --bind "$dir/lib" /var/lib/libvirt
      mount --bind "$dir/cache" /var/cache/libvirt
      mount --bind "$dir/log" /var/log/libvirt
      while [ $# -ge 2 ]; do
        [ -e "$2" ] || mkdir -p "$2"
        mount --bind "$1" "$2"
        shift 2
      done
      exec virtlogd -d -p "$dir/virtlogd.pid" -f "$dir/etc/virtlogd.conf"' sh "$dir" "$hostname" "${binds[@]}" \
      || die "virtlogd for $dir did not start"
    deadline=$((SECONDS + ready_timeout))
    until ns="$(live_pid "$dir" virtlogd)"; do
      [ "$SECONDS" -lt "$deadline" ] || die "virtlogd for $dir wrote no live pid file within ${ready_timeout}s"
      sleep 0.1
    done
  fi
  if ! live_pid "$dir" libvirtd >/dev/null; then
    # Without --listen, libvirtd opens no TCP or TLS socket whatever its configuration says.
    grep -Eq '^[[:space:]]*listen_(tcp|tls)[[:space:]]*=[[:space:]]*1' "$dir/etc/libvirtd.conf" && listen=(--listen)
    # -u: the UTS namespace of --hostname, if the namespace was made with one (else the machine's).
    nsenter -t "$ns" -m -u -- libvirtd -d "${listen[@]}" -p "$dir/libvirtd.pid" -f "$dir/etc/libvirtd.conf" \
      || die "libvirtd for $dir did not start (see $dir/log/libvirtd.log)"
  fi
  deadline=$((SECONDS + ready_timeout))
  until virsh -q -c "$(uri "$dir")" uri >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$(uri "$dir") does not answer after ${ready_timeout}s (see $dir/log/libvirtd.log)"
    sleep 0.1
  done
  uri "$dir"
}

# Sends SIG to the process in DIR/NAME.pid and waits until it is gone (KILL after stop_timeout).
stop() {
  local dir="$1" name="$2" sig="$3" pid
  pid="$(live_pid "$dir" "$name")" || return 0
  stop_process "$sig" "$pid" "$stop_timeout"
}

down() {
  local dir="$1" f pid
  stop "$dir" libvirtd TERM
  # Guests the daemon left running (a test that failed before destroying its domain).
  for f in "$dir"/run/qemu/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = qemu-system-x86 ] && kill -KILL "$pid" 2>/dev/null || true
  done
  stop "$dir" virtlogd TERM
}

# Only `up` takes options.
if [ $# -lt 2 ] || { [ "$1" != up ] && [ $# -ne 2 ]; }; then
  sed -n '/^#   devstack\/libvirt-host.sh up/,/^#   devstack\/libvirt-host.sh pid/p' "${BASH_SOURCE[0]}" \
    | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
[ "$(id -u)" -eq 0 ] || die "needs root (libvirtd of qemu:///system runs as root)"
command="$1"
target="$(realpath -m "$2")"
shift 2
case "$command" in
  up) up "$target" "$@" ;;
  kill) stop "$target" libvirtd KILL ;;
  down) down "$target" ;;
  uri) uri "$target" ;;
  pid) live_pid "$target" virtlogd || die "no virtlogd runs for $target" ;;
  *) die "unknown command '$command' (up, kill, down, uri, pid)" ;;
esac

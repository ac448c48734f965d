#!/usr/bin/env bash
# A private libvirtd (with its own virtlogd) beside the system one, for tests that must stop,
# kill or restart "the" libvirtd without touching the daemon other tests use. Run as root.
#
#   devstack/libvirt-host.sh up DIR     starts virtlogd and libvirtd for DIR unless they run; prints
#                                       the URI once it answers. Idempotent.
#   devstack/libvirt-host.sh kill DIR   kill -9 of DIR's libvirtd only: its guests' QEMU keep running
#   devstack/libvirt-host.sh down DIR   stops DIR's libvirtd, virtlogd and any guest QEMU left
#   devstack/libvirt-host.sh uri DIR    the URI that reaches DIR's libvirtd
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
  local dir="$1" ns deadline
  command -v libvirtd >/dev/null || die "libvirtd is not installed; run: devstack/libvirt.sh install"
  configure "$dir"
  if ! ns="$(live_pid "$dir" virtlogd)"; then
    unshare -m --propagation private -- sh -euc '
      dir="$1"
      mount --bind "$dir/run" /run/libvirt
      mount --bind "$dir/etc" /etc/libvirt
      mount --bind "$dir/lib" /var/lib/libvirt
      mount --bind "$dir/cache" /var/cache/libvirt
      mount --bind "$dir/log" /var/log/libvirt
      exec virtlogd -d -p "$dir/virtlogd.pid" -f "$dir/etc/virtlogd.conf"' sh "$dir" \
      || die "virtlogd for $dir did not start"
    deadline=$((SECONDS + ready_timeout))
    until ns="$(live_pid "$dir" virtlogd)"; do
      [ "$SECONDS" -lt "$deadline" ] || die "virtlogd for $dir wrote no live pid file within ${ready_timeout}s"
      sleep 0.1
    done
  fi
  if ! live_pid "$dir" libvirtd >/dev/null; then
    nsenter -t "$ns" -m -- libvirtd -d -p "$dir/libvirtd.pid" -f "$dir/etc/libvirtd.conf" \
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

[ $# -eq 2 ] || { sed -n '/^#   devstack\/libvirt-host.sh up/,/^#   devstack\/libvirt-host.sh uri/p' "${BASH_SOURCE[0]}" \
  | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "needs root (libvirtd of qemu:///system runs as root)"
target="$(realpath -m "$2")"
case "$1" in
  up) up "$target" ;;
  kill) stop "$target" libvirtd KILL ;;
  down) down "$target" ;;
  uri) uri "$target" ;;
  *) die "unknown command '$1' (up, kill, down, uri)" ;;
esac

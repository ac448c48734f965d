#!/usr/bin/env bash
# libvirtd and virtlogd for Understudy's tests and demo, on machines without systemd as PID 1.
# Run as root.
#
#   devstack/libvirt.sh install   apt-get what the tiny guest and the agent's libvirt tests use
#   devstack/libvirt.sh up        starts virtlogd and libvirtd unless they run; returns once
#                                 qemu:///system answers. Idempotent.
#   devstack/libvirt.sh down      stops the daemons that `up` started (never ones it found running)
#   devstack/libvirt.sh status    exit 0 when both run, 3 when neither does, 1 otherwise
#
# `up` records in $UNDERSTUDY_LIBVIRT_RUN (default /run/understudy-libvirt) the PID of every
# daemon it started; `down` stops exactly those (TERM, then KILL).
set -euo pipefail
# shellcheck source=lib/stop-process
source "$(dirname "${BASH_SOURCE[0]}")/lib/stop-process"

readonly run="${UNDERSTUDY_LIBVIRT_RUN:-/run/understudy-libvirt}"
readonly daemons=(virtlogd libvirtd)
readonly packages=(qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients busybox-static libnbd-bin)
readonly ready_timeout=30
readonly stop_timeout=15

die() { printf 'libvirt.sh: %s\n' "$*" >&2; exit 1; }

require_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root (libvirtd of qemu:///system runs as root)"; }

# The PID a daemon wrote for itself (both write /run/NAME.pid as root), if that process lives.
running_pid() {
  local name="$1" pid
  pid="$(cat "/run/$name.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$name" ] && printf '%s\n' "$pid"
}

install() {
  require_root install
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || die "apt-get install ${packages[*]} failed"
}

up() {
  require_root up
  local name pid deadline
  for name in "${daemons[@]}"; do
    command -v "$name" >/dev/null || die "$name is not installed; run: $0 install"
  done
  mkdir -p "$run"
  for name in "${daemons[@]}"; do
    if running_pid "$name" >/dev/null; then
      continue
    fi
    "$name" -d || die "$name -d failed"
    deadline=$((SECONDS + ready_timeout))
    until pid="$(running_pid "$name")"; do
      [ "$SECONDS" -lt "$deadline" ] || die "$name started but wrote no live /run/$name.pid within ${ready_timeout}s"
      sleep 0.1
    done
    printf '%s\n' "$pid" >"$run/$name.pid"
  done
  deadline=$((SECONDS + ready_timeout))
  until virsh -q -c qemu:///system uri >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "qemu:///system does not answer after ${ready_timeout}s"
    sleep 0.2
  done
}

down() {
  require_root down
  local i name pid
  # Reverse order: libvirtd first, then the log daemon it writes to.
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    name="${daemons[$i]}"
    pid="$(cat "$run/$name.pid" 2>/dev/null || true)"
    rm -f "$run/$name.pid"
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" != "$name" ]; then
      continue
    fi
    stop_process TERM "$pid" "$stop_timeout"
  done
}

status() {
  local name pid up=0
  for name in "${daemons[@]}"; do
    if pid="$(running_pid "$name")"; then
      printf '%s running (pid %s)\n' "$name" "$pid"
      up=$((up + 1))
    else
      printf '%s stopped\n' "$name"
    fi
  done
  [ "$up" -eq "${#daemons[@]}" ] && return 0
  [ "$up" -eq 0 ] && return 3
  return 1
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  status) status ;;
  *) sed -n '/^#   devstack\/libvirt.sh install/,/^#$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

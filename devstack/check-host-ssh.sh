#!/usr/bin/env bash
# Checks the hosts' sshd of devstack/local-cloud.sh's libvirt computes (devstack/lib/host-ssh)
# without a cloud: two hosts laid out as local-cloud.sh lays out compute1 and compute2 (each a
# devstack/libvirt-host.sh namespace with its own hostname, /etc/hosts, storage at one instances
# path, and the shared ~/.ssh bound over root's), on addresses of their own, each with its sshd.
# Then, from inside host 1, exactly the commands Nova's libvirt driver runs for a cold migration or
# resize to host 2, and a check that each landed in host 2's storage only. Run as root; it stops
# what it started and removes DIR unless --keep.
#
#   devstack/check-host-ssh.sh [--net 127.0.3] [--keep] [DIR]
#        DIR defaults to a new folder under /tmp; --net the hosts' addresses NET.1 and NET.2
#        (127.0.3 by default: not the cloud's 127.0.2, so a running cloud is left alone).
#        Exit 0 when every check passed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly here
# shellcheck source=lib/host-ssh
source "$here/lib/host-ssh"

die() { printf 'check-host-ssh: %s\n' "$*" >&2; exit 1; }
ok() { printf 'ok   %s\n' "$*"; }

net=127.0.3 keep=0 dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --net) [ $# -ge 2 ] || die "--net needs a value"; net=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -*) die "unknown option '$1' (known: --net NET, --keep)" ;;
    *) dir=$1; shift ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, sshd)"
[ -x /usr/sbin/sshd ] || die "sshd is not installed (apt-get install openssh-server)"
[ "$net" != 127.0.2 ] || die "127.0.2 is the single-machine cloud's: pick another --net"
[ -n "$dir" ] || dir="$(mktemp -d /tmp/check-host-ssh.XXXXXX)"
mkdir -p "$dir"
dir="$(realpath "$dir")"
hosts=(sshcheck1 sshcheck2)
# The instances path, as Nova sees it on every host: the same path, each host's own storage.
instances="$dir/instances"
sshd_pids=()

cleanup() {
  local pid h
  for pid in "${sshd_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for h in "${hosts[@]}"; do
    if [ -d "$dir/$h" ]; then "$here/libvirt-host.sh" down "$dir/$h" || true; fi
  done
  if [ "$keep" -eq 0 ]; then rm -rf "$dir"; else echo "kept: $dir" >&2; fi
}
trap cleanup EXIT

specs=()
for i in 1 2; do specs+=("${hosts[i - 1]}=$net.$i"); done
host_ssh_prepare "$dir/ssh" "${specs[@]}"
target="$(host_ssh_target)"
for i in 1 2; do
  h=${hosts[i - 1]}
  mkdir -p "$dir/$h/instances" "$instances"
  printf '127.0.0.1 localhost\n%s.1 %s\n%s.2 %s\n' "$net" "${hosts[0]}" "$net" "${hosts[1]}" >"$dir/$h/hosts"
  "$here/libvirt-host.sh" up "$dir/$h" --hostname "$h" --bind "$dir/$h/instances" "$instances" \
    --bind "$dir/$h/hosts" /etc/hosts --bind "$dir/ssh/dot-ssh" "$target" >/dev/null
  host_sshd_command "$dir/ssh" "$h" "$("$here/libvirt-host.sh" pid "$dir/$h")"
  setsid "${cmd[@]}" </dev/null >>"$dir/$h/sshd.log" 2>&1 &
  sshd_pids+=($!)
done
for i in 1 2; do
  deadline=$((SECONDS + 10))
  until (exec 3<>"/dev/tcp/$net.$i/$host_ssh_port") 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || die "sshd of ${hosts[i - 1]} not listening on $net.$i:$host_ssh_port; see $dir/${hosts[i - 1]}/sshd.log"
    sleep 0.1
  done
done
ok "both sshd listen ($net.1:$host_ssh_port, $net.2:$host_ssh_port), each in its host's namespace"

# in_host N COMMAND...: COMMAND inside host N's namespaces, as nova-compute runs there.
in_host() {
  local n=$1
  shift
  nsenter -t "$("$here/libvirt-host.sh" pid "$dir/${hosts[n - 1]}")" -m -u -- "$@"
}

uuid="$(cat /proc/sys/kernel/random/uuid)"
b="$net.2"
# What Nova's libvirt driver runs on the source (host 1) for a move to host 2, whose my_ip is $b.
# _is_path_shared_with: touch a file in the instance's folder on DEST; shared if it shows here.
tmp="$instances/$uuid/$(tr -d - </proc/sys/kernel/random/uuid).tmp"
in_host 1 mkdir -p "$instances/$uuid"
in_host 1 ssh -o BatchMode=yes "$b" mkdir -p "$instances/$uuid"
in_host 1 ssh -o BatchMode=yes "$b" touch "$tmp"
[ -f "$dir/${hosts[1]}/instances/$uuid/$(basename "$tmp")" ] || die "touch over ssh did not land in host 2's storage"
in_host 1 test ! -e "$tmp" || die "host 1 sees the file touched on host 2: the storage looks shared"
ok "ssh -o BatchMode=yes $b touch: in host 2's storage, not seen from host 1 (Nova: not shared)"
in_host 1 ssh -o BatchMode=yes "$b" rm "$tmp"
[ ! -e "$dir/${hosts[1]}/instances/$uuid/$(basename "$tmp")" ] || die "rm over ssh left the file on host 2"
ok "ssh -o BatchMode=yes $b rm: gone from host 2's storage"
in_host 1 rmdir "$instances/$uuid"
# create_dir, then the disks copied from UUID_resize (a qcow2 disk: no -C; disk.info: -C).
in_host 1 mkdir -p "$instances/${uuid}_resize"
in_host 1 qemu-img create -q -f qcow2 "$instances/${uuid}_resize/disk" 64M
in_host 1 qemu-io -f qcow2 -c 'write -P 0x5a 0 1M' "$instances/${uuid}_resize/disk" >/dev/null
echo '{"disk": "qcow2"}' | in_host 1 tee "$instances/${uuid}_resize/disk.info" >/dev/null
in_host 1 ssh -o BatchMode=yes "$b" mkdir -p "$instances/$uuid"
in_host 1 scp -r "$instances/${uuid}_resize/disk" "$b:$instances/$uuid/disk"
in_host 1 scp -C -r "$instances/${uuid}_resize/disk.info" "$b:$instances/$uuid/disk.info"
cmp "$dir/${hosts[0]}/instances/${uuid}_resize/disk" "$dir/${hosts[1]}/instances/$uuid/disk" \
  || die "the disk scp copied to host 2 differs from host 1's"
cmp -s "$dir/${hosts[0]}/instances/${uuid}_resize/disk.info" "$dir/${hosts[1]}/instances/$uuid/disk.info" \
  || die "disk.info on host 2 differs"
in_host 2 qemu-img check -q "$instances/$uuid/disk" || die "the copied disk fails qemu-img check on host 2"
[ ! -e "$dir/${hosts[0]}/instances/$uuid" ] || die "the copy also made $uuid in host 1's storage"
[ ! -e "$dir/${hosts[1]}/instances/${uuid}_resize" ] || die "host 1's ${uuid}_resize shows in host 2's storage"
ok "scp -r disk and scp -C -r disk.info to $b:$instances/$uuid: identical, in host 2's storage only"
# The revert's and a failure's clean-up on the destination (_cleanup_remote_migration: rm -rf).
in_host 1 ssh -o BatchMode=yes "$b" rm -rf "$instances/$uuid"
[ ! -e "$dir/${hosts[1]}/instances/$uuid" ] || die "rm -rf over ssh left host 2's $uuid"
ok "ssh -o BatchMode=yes $b rm -rf: gone from host 2's storage"
# The same by host name (finish_migration's fallback_from_host), and the other way round.
[ "$(in_host 2 ssh -o BatchMode=yes "${hosts[0]}" hostname)" = "${hosts[0]}" ] \
  || die "host 2 reaches host 1 by name, but not in host 1's UTS namespace"
ok "ssh -o BatchMode=yes ${hosts[0]} (by name, from host 2): runs in host 1 (hostname ${hosts[0]})"

# The same through Nova's own code, where its Python modules are installed (Debian's python3-nova):
# the driver's shared-storage probe, create_dir, copy_image (scp, -C for a non-qcow2 file) and the
# clean-up's remove_dir, with Nova's default configuration (remote_filesystem_transport = ssh).
if /usr/bin/python3 -c 'import nova.virt.libvirt.driver' 2>/dev/null; then
  in_host 1 mkdir -p "$instances/${uuid}_resize"
  in_host 1 /usr/bin/python3 - "$b" "$instances" "$uuid" <<'PYTHON'
import os
import sys
import types

import nova.conf
nova.conf.CONF([], project="nova", default_config_files=[])
from nova.virt.libvirt import driver
from nova.virt.libvirt import utils
from nova.virt.libvirt.volume import remotefs

dest, instances, uuid = sys.argv[1:]
inst_base = os.path.join(instances, uuid)
resize = inst_base + "_resize"
fs = remotefs.RemoteFilesystem()
assert type(fs.driver).__name__ == "SshDriver", fs.driver
# migrate_disk_and_power_off, step by step, as the source runs it.
me = types.SimpleNamespace(_remotefs=fs, get_host_ip_addr=lambda: "not " + dest)
# As in a real move, the folder exists here and not yet on DEST: there Nova's touch fails, which
# it counts as "not shared" (the hand-run touch above is the probe succeeding on DEST).
os.makedirs(inst_base)
shared = driver.LibvirtDriver._is_path_shared_with(me, dest, inst_base)
os.rmdir(inst_base)
assert shared is False, "Nova calls the storage shared"
fs.create_dir(dest, inst_base)
with open(os.path.join(resize, "disk"), "wb") as f:
    f.write(os.urandom(1 << 20))
with open(os.path.join(resize, "disk.info"), "w") as f:
    f.write('{"%s": "raw"}' % os.path.join(inst_base, "disk"))
utils.copy_image(os.path.join(resize, "disk"), os.path.join(inst_base, "disk"), host=dest, compression=False)
utils.copy_image(os.path.join(resize, "disk.info"), os.path.join(inst_base, "disk.info"), host=dest)
print("nova: not shared; create_dir and copy_image to", dest, "done")
PYTHON
  cmp "$dir/${hosts[0]}/instances/${uuid}_resize/disk" "$dir/${hosts[1]}/instances/$uuid/disk" \
    || die "Nova's copy_image: host 2's disk differs from host 1's"
  cmp -s "$dir/${hosts[0]}/instances/${uuid}_resize/disk.info" "$dir/${hosts[1]}/instances/$uuid/disk.info" \
    || die "Nova's copy_image: host 2's disk.info differs"
  for f in "$dir/${hosts[1]}/instances/$uuid"/*; do
    case "${f##*/}" in disk | disk.info) ;; *) die "Nova's shared-storage probe left $f on host 2" ;; esac
  done
  [ ! -e "$dir/${hosts[0]}/instances/$uuid" ] || die "Nova's create_dir made $uuid in host 1's storage"
  ok "Nova's own code (python3-nova): _is_path_shared_with says not shared, create_dir, copy_image: in host 2's storage only"
  in_host 1 /usr/bin/python3 -c '
import sys
import nova.conf
nova.conf.CONF([], project="nova", default_config_files=[])
from nova.virt.libvirt.volume import remotefs
remotefs.RemoteFilesystem().remove_dir(sys.argv[1], sys.argv[2])' "$b" "$instances/$uuid"
  [ ! -e "$dir/${hosts[1]}/instances/$uuid" ] || die "Nova's remove_dir left host 2's $uuid"
  ok "Nova's own remove_dir (a failed or reverted move's clean-up on the destination): gone from host 2"
else
  echo "skip Nova's own code: /usr/bin/python3 cannot import nova (python3-nova not installed)"
fi

# The refusals: a host key other than the one pinned, and a client without the key.
if in_host 1 ssh -o BatchMode=yes -o "HostKeyAlias=[$net.1]:$host_ssh_port" "$b" true 2>"$dir/refused.log"; then
  die "ssh accepted host 2's key as host 1's"
fi
grep -q 'HOST IDENTIFICATION HAS CHANGED' "$dir/refused.log" || die "unexpected refusal: $(cat "$dir/refused.log")"
ok "a host key other than the pinned one: refused (REMOTE HOST IDENTIFICATION HAS CHANGED)"
if ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
  -o IdentitiesOnly=yes -o IdentityAgent=none -i /dev/null -p "$host_ssh_port" "root@$b" true 2>"$dir/refused.log"; then
  die "sshd let in a client without the key"
fi
grep -q 'Permission denied (publickey)' "$dir/refused.log" || die "unexpected refusal: $(cat "$dir/refused.log")"
ok "a client without the key (the machine's root, outside the hosts): Permission denied (publickey)"
if cmp -s "$target/id_ed25519" "$dir/ssh/dot-ssh/id_ed25519"; then
  die "the machine's $target holds the hosts' key: the bind leaked"
fi
ok "the machine's own $target is not the hosts' (the bind stays inside their namespaces)"
echo "all checks passed"

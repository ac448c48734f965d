#!/usr/bin/env bash
# A real OpenStack on one machine, for Understudy's tests and demo: Debian 12's own packages
# (OpenStack Zed) of Keystone, Placement, Glance, a lone neutron-server and Nova, with MariaDB and
# RabbitMQ, every one listening on 127.0.0.1 only, and THREE nova-compute processes
# (hosts compute1..3) that can live-migrate and evacuate: on Nova's fake driver, or on its real
# libvirt driver with a libvirtd per host (--virt libvirt, below).
# No systemd needed: each daemon is started in its own session (setsid), its PID recorded, and
# `down` stops exactly those process groups. Run as root.
#
#   devstack/local-cloud.sh install        apt-get the packages (nothing is started on install)
#   devstack/local-cloud.sh up [--virt fake|libvirt] [--report-interval SECONDS] [--service-down-time SECONDS]
#        installs what is missing, configures, starts what is not running, restarts what reads a
#        changed setting, and returns once the 3 computes are up and mapped to cell1. Nova's
#        report_interval and service_down_time default to 2 s and 10 s here (Nova's own defaults:
#        10 s and 60 s) so a dead compute shows as down within seconds; changing them restarts
#        only the Nova processes. --virt picks the computes' driver: fake (the default) runs no
#        guest; libvirt runs real QEMU (TCG) guests, each host with a libvirtd of its own.
#        Changing it restarts only the computes and starts or stops the hosts' daemons.
#        Idempotent.
#   devstack/local-cloud.sh down           stops everything `up` started (TERM, then KILL), the
#                                          hosts' sshd, libvirtd, virtlogd and guests too
#   devstack/local-cloud.sh status         what runs, its memory, Nova's compute services
#                                          (exit 0: all runs, 3: nothing runs, 1: some)
#   devstack/local-cloud.sh kill-compute computeN   SIGKILL one nova-compute: a crashed host
#   devstack/local-cloud.sh start-compute computeN  start it again
#   devstack/local-cloud.sh park-checkpoints computeN
#        on libvirt computes, while no agent runs on that host: drops the checkpoint metadata its
#        libvirtd holds (an agent killed mid-round and not started again left it), as the agent's
#        own start-up does, so that nova-compute can start and delete or undefine its instances
#        (`up` does it too, on hosts whose nova-compute is stopped)
#   devstack/local-cloud.sh fence computeN [--pidfile FILE]... [--domain NAME]...
#        the controller's process fencer, this cloud's stand-in for a power-off: SIGKILLs that
#        host's nova-compute and each process named by a PID file (its agent: "PID [STARTTIME]",
#        the start time as /proc/PID/stat's field 22 guards against a reused PID) and destroys
#        each libvirt domain named (its guests; virsh, $LIBVIRT_DEFAULT_URI, else that host's
#        libvirtd on libvirt computes, else qemu:///system).
#        Exit 0 once every one is confirmed gone (or was not running), 1 otherwise.
#
# State directory: $UNDERSTUDY_CLOUD_DIR, default /var/lib/understudy-cloud (one cloud per
# machine, as its ports are). It holds clouds.yaml (cloud "understudy", the admin) and openrc,
# the generated secrets, every service's config (etc/), logs (log/), PIDs (run/), MariaDB's and
# RabbitMQ's data, Glance's images and each compute's instances path. Delete it (after `down`)
# for a cloud from scratch.
# Made by `up` for tests and the demo: flavor "understudy.tiny" (64 MiB, 1 vCPU, 1 GB) and the
# 1 MiB raw image "understudy-tiny"; boot with "networks": "none" (there is no network agent).
#
# Libvirt computes (up --virt libvirt): host computeN is a libvirtd and a virtlogd of its own
# (devstack/libvirt-host.sh) in a mount and UTS namespace with hostname computeN (libvirt reports
# it, so Nova's node is computeN), its state in $state/hosts/computeN, listening on TCP at
# 127.0.2.N without authentication (every 127/8 address reaches lo; 127.0.0.1 is the services',
# 127.0.1.1 Debian's for the machine's name). Its nova-compute runs in that namespace, where the
# instances path $state/instances is the host's own storage, $state/hosts/computeN/instances: the
# same path on every host, as Nova keeps a migrated guest's disk paths, on different storage, so
# a live migration is a block migration between two daemons and an evacuation boots elsewhere.
# The machine's own libvirtd (qemu:///system) is not touched. `up` also makes the tiny guest
# (devstack/tiny-guest: a Debian kernel and a busybox initramfs whose /init writes numbered records
# to its disk and names each on its console, Nova's console log) into images: boot image
# "understudy-guest" with flavor "understudy.guest" (128 MiB), and "understudy.guest.large" to
# resize it to; its disk is instances/<uuid>/disk over a base image in instances/_base, as in
# production. Each host also runs an sshd in its namespace, at 127.0.2.N port 2022, for Nova's
# cold migration and resize, which make the destination's folder and copy the disks with ssh and
# scp as root (devstack/lib/host-ssh): keys only, nova-compute's key and the hosts' keys made once
# in $state/ssh, whose dot-ssh is bound over root's ~/.ssh in every host (the machine's own is
# neither used nor changed). devstack/check-host-ssh.sh checks that part without a cloud.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly here
readonly state="${UNDERSTUDY_CLOUD_DIR:-/var/lib/understudy-cloud}"
readonly computes=(compute1 compute2 compute3)
readonly python=/usr/bin/python3   # Debian's OpenStack modules live in the system Python only
readonly region=RegionOne
# Where computeN's libvirtd listens on libvirt computes: 127.0.2.N.
readonly host_net=127.0.2
# The tiny guest's kernel and initramfs, shared with devstack/tiny-guest/guest.sh.
readonly tiny_guest="${UNDERSTUDY_TINY_GUEST:-/var/lib/understudy/tiny-guest}"
# Each libvirt host's sshd and the ssh client its nova-compute finds (cold migration, resize).
# shellcheck source=lib/host-ssh
source "$here/lib/host-ssh"

# Debian packages of OpenStack Zed. nova-compute pulls qemu and libvirt, which the agent's demo
# guests use too; the fake driver itself needs neither. OpenSSH: each libvirt host's sshd, which
# Nova's cold migration and resize reach with ssh and scp.
readonly packages=(mariadb-server rabbitmq-server keystone placement-api glance-api
  neutron-server nova-api nova-conductor nova-scheduler nova-compute
  uwsgi-plugin-python3 curl openssh-server openssh-client)

# Start order; `down` stops in reverse.
readonly services=(mariadb epmd rabbitmq keystone placement glance neutron nova-api
  nova-conductor nova-scheduler "${computes[@]/#/nova-}")

readonly stop_timeout=15
readonly ready_timeout=240

log() { printf '%s local-cloud: %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'local-cloud: %s\n' "$*" >&2; exit 1; }

usage() {
  # The command list at the top of this file.
  sed -n '/^#   devstack\/local-cloud.sh install/,/^#$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it starts MariaDB, RabbitMQ and OpenStack's daemons)"
}

# --- packages ---------------------------------------------------------------------------------

packages_missing() {
  local missing=() pkg
  for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
  done
  echo "${missing[@]}"
}

# Nothing may start on install: this script starts and stops every daemon itself, on ports a
# distribution-started MariaDB or RabbitMQ would already hold.
deny_service_starts() {
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# Written by Understudy'"'"'s devstack/local-cloud.sh: no service starts on install.\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
  elif ! grep -qx 'exit 101' /usr/sbin/policy-rc.d; then
    die "/usr/sbin/policy-rc.d exists but does not deny every start (exit 101): packages would start their own MariaDB and RabbitMQ"
  fi
}

install_packages() {
  local missing
  missing="$(packages_missing)"
  [ -z "$missing" ] && return 0
  log "installing: $missing"
  deny_service_starts
  if [[ " $missing " == *" openssh-server "* ]]; then
    # policy-rc.d keeps the machine's sshd from starting now, but the package enables its unit for
    # every later boot (password logins on every address). The machine had no sshd: it keeps
    # none. Debian's unit, socket, init script and runit service all honour this file; delete it
    # to run one. The hosts' sshd are started by this script, not as the system's service.
    mkdir -p /etc/ssh
    printf '%s\n' "# Written by Understudy's devstack/local-cloud.sh, which installed openssh-server for its" \
      "# libvirt hosts' own sshd: the system's sshd does not start. Delete this file to run it." \
      >/etc/ssh/sshd_not_to_be_run
  fi
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >"$state/log/apt.log" 2>&1 \
    || die "apt-get install failed; see $state/log/apt.log"
}

# --- processes ----------------------------------------------------------------------------------

pidfile() { echo "$state/run/$1.pid"; }

# The kernel's start time of a PID (field 22 of /proc/PID/stat, counted after the command name,
# which may hold spaces): with the PID it names one process for good, even after PID reuse.
starttime() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  # shellcheck disable=SC2086 # split the fields
  set -- $stat
  echo "${20}"
}

# Prints "running" when NAME's recorded process is alive and is the one we started.
is_running() {
  local file pid start hash
  file="$(pidfile "$1")"
  [ -f "$file" ] || return 1
  read -r pid start hash <"$file"
  [ "$(starttime "$pid" || true)" = "$start" ]
}

recorded_hash() {
  local pid start hash
  read -r pid start hash <"$(pidfile "$1")"
  echo "$hash"
}

# start NAME HASH COMMAND...: runs COMMAND as its own session and process group, output to
# log/NAME.log, and records PID, start time and the config hash.
start() {
  local name=$1 hash=$2 pid
  shift 2
  setsid "$@" </dev/null >>"$state/log/$name.log" 2>&1 &
  pid=$!
  echo "$pid $(starttime "$pid") $hash" >"$(pidfile "$name")"
}

# Stops NAME's whole process group (workers outlive their parent): TERM, then KILL after a timeout.
stop() {
  local name=$1 signal=${2:-TERM} file pid start hash deadline
  file="$(pidfile "$name")"
  [ -f "$file" ] || return 0
  read -r pid start hash <"$file"
  if [ -d "/proc/$pid" ] && [ "$(starttime "$pid" || true)" != "$start" ]; then
    rm -f "$file"   # that PID now belongs to someone else: ours is long gone
    return 0
  fi
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill "-$signal" -- "-$pid" 2>/dev/null || true
    deadline=$((SECONDS + stop_timeout))
    while kill -0 -- "-$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        log "$name did not stop within ${stop_timeout}s of SIG$signal: killing it"
        kill -KILL -- "-$pid" 2>/dev/null || true
        deadline=$((SECONDS + stop_timeout))
      fi
      sleep 0.1
    done
  fi
  rm -f "$file"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for NAME SECONDS COMMAND...: until COMMAND succeeds, or NAME's process died, or time is up.
wait_for() {
  local name=$1 limit=$2 deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    is_running "$name" || die "$name exited while starting; see $state/log/$name.log"
    [ "$SECONDS" -lt "$deadline" ] || die "$name not ready after ${limit}s; see $state/log/$name.log"
    sleep 0.2
  done
}

http_up() { curl -s -o /dev/null --max-time 5 "$1"; }

# --- the hosts of libvirt computes ----------------------------------------------------------------

# The computes' driver `up` last set: fake or libvirt.
current_virt() { cat "$state/virt" 2>/dev/null || echo fake; }

host_address() { echo "$host_net.${1#compute}"; }
host_dir() { echo "$state/hosts/$1"; }
host_uri() { echo "qemu+tcp://$(host_address "$1")/system"; }
libvirt_host() { "$here/libvirt-host.sh" "$@"; }

# libvirt-host.sh keeps a configuration it finds in DIR/etc: this one is computeN's.
host_configure() {
  local host=$1 n=${1#compute} dir address other
  dir="$(host_dir "$host")"
  address="$(host_address "$host")"
  mkdir -p "$dir/etc" "$dir/instances"
  [ -s "$dir/host-uuid" ] || cat /proc/sys/kernel/random/uuid >"$dir/host-uuid"
  write_config "$dir/etc/libvirtd.conf" <<EOF
# Written by devstack/local-cloud.sh: the libvirtd of $host.
listen_tls = 0
listen_tcp = 1
listen_addr = "$address"
# On loopback only: nova-compute and the other hosts' libvirtd (migrations) connect here.
auth_tcp = "none"
# Fixed and distinct: libvirt refuses to migrate a guest to a host of the same UUID.
host_uuid = "$(cat "$dir/host-uuid")"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  write_config "$dir/etc/qemu.conf" <<EOF
# Written by devstack/local-cloud.sh: QEMU under the libvirtd of $host.
# No AppArmor/SELinux here, and daemons beside each other must not share (and remove) cgroup paths.
security_driver = "none"
cgroup_controllers = [ ]
# Incoming migrations on this host's address (libvirt would resolve the machine's name), on ports
# of its own.
migration_address = "$address"
migration_host = "$address"
migration_port_min = $((49152 + (n - 1) * 64))
migration_port_max = $((49152 + n * 64 - 1))
remote_display_port_min = $((5900 + (n - 1) * 10))
remote_display_port_max = $((5900 + n * 10 - 1))
EOF
  write_config "$dir/etc/virtlogd.conf" </dev/null
  # The host resolves its own name, as a real one does (sudo, which starts Nova's privsep
  # helpers, complains otherwise), and the other hosts' (a resize fetches an image Glance lost
  # from the source host by its name, over ssh).
  {
    printf '%s\n' "127.0.0.1 localhost" "::1 localhost ip6-localhost ip6-loopback"
    for other in "${computes[@]}"; do printf '%s %s\n' "$(host_address "$other")" "$other"; done
  } | write_config "$dir/hosts"
}

# Sets cmd to libvirt-host.sh's arguments that start computeN's daemons, and prints the hash
# that restarts them when they or the configuration change.
host_hash() {
  local host=$1 dir
  dir="$(host_dir "$host")"
  # Root's ~/.ssh is the hosts' own (lib/host-ssh): nova-compute's key, the hosts' keys, the port.
  cmd=(up "$dir" --hostname "$host" --bind "$dir/instances" "$state/instances" --bind "$dir/hosts" /etc/hosts
    --bind "$state/ssh/dot-ssh" "$(host_ssh_target)")
  { printf '%s\n' "${cmd[@]}"; cat "$dir"/etc/{libvirtd,qemu,virtlogd}.conf "$dir/hosts"; } | sha256sum | cut -c1-16
}

# Starts computeN's libvirtd and virtlogd unless they run with this configuration; restarts them
# (and its nova-compute, which runs in their namespace) when it changed. The record
# run/libvirt-computeN.pid names virtlogd, which holds the namespace.
host_up() {
  local host=$1 dir hash pid
  dir="$(host_dir "$host")"
  host_configure "$host"
  hash="$(host_hash "$host")"
  if is_running "libvirt-$host" && [ "$(recorded_hash "libvirt-$host")" != "$hash" ]; then
    log "restarting $host's libvirtd and virtlogd: their configuration changed (its guests stop)"
    stop "nova-$host"
    host_down "$host"
  fi
  is_running "libvirt-$host" || log "starting $host's libvirtd and virtlogd ($(host_uri "$host"))"
  host_hash "$host" >/dev/null   # for cmd: the hash above ran in a subshell
  libvirt_host "${cmd[@]}" >/dev/null || die "$host's libvirtd did not start; see $dir/log/libvirtd.log"
  pid="$(libvirt_host pid "$dir")"
  echo "$pid $(starttime "$pid") $hash" >"$(pidfile "libvirt-$host")"
}

# Stops computeN's sshd, libvirtd and virtlogd, and kills the guests they leave.
host_down() {
  local host=$1 dir
  dir="$(host_dir "$host")"
  if [ -f "$(pidfile "libvirt-$host")" ]; then log "stopping $host's sshd, libvirtd, virtlogd and guests"; fi
  stop "sshd-$host"
  if [ -d "$dir" ]; then libvirt_host down "$dir"; fi
  rm -f "$(pidfile "libvirt-$host")"
}

# Stops every host's daemons at once: libvirtd takes seconds to stop.
hosts_down() {
  local host pids=()
  for host in "${computes[@]}"; do
    host_down "$host" & pids+=($!)
  done
  wait "${pids[@]}"
}

# Every host's key and sshd configuration, and the ~/.ssh their namespaces bind (lib/host-ssh):
# before the hosts start, as a bind needs its source.
hosts_ssh_prepare() {
  local host specs=()
  for host in "${computes[@]}"; do specs+=("$host=$(host_address "$host")"); done
  host_ssh_prepare "$state/ssh" "${specs[@]}"
}

# Starts computeN's sshd in its namespace unless it runs there with this configuration, and
# waits until it listens.
host_sshd_up() {
  local host=$1
  launch "sshd-$host"
  wait_for "sshd-$host" 10 listening "$(host_address "$host")" "$host_ssh_port"
}

listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# The PID whose namespaces computeN's nova-compute enters.
host_namespace() {
  libvirt_host pid "$(host_dir "$1")" || die "$1's libvirtd does not run (run: $0 up --virt libvirt)"
}

# --- secrets and configuration ------------------------------------------------------------------

secret() {
  local file="$state/secrets/$1"
  if [ ! -s "$file" ]; then
    head -c 18 /dev/urandom | base64 | tr '+/' 'xy' >"$file"
  fi
  cat "$file"
}

load_secrets() {
  db_password="$(secret database)"
  service_password="$(secret service)"
  admin_password="$(secret admin)"
  controller_password="$(secret controller)"
}

db_url() { echo "mysql+pymysql://openstack:$db_password@127.0.0.1:3306/$1?charset=utf8"; }

# A [section] logging in to Keystone as service user nova/glance/...; $2 names the user.
auth_section() {
  cat <<EOF
[$1]
auth_type = password
auth_url = http://127.0.0.1:5000/v3
www_authenticate_uri = http://127.0.0.1:5000/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $service_password
region_name = $region
EOF
}

# Writes FILE from stdin only when its content changes, so unchanged configs keep their services.
write_config() {
  local file=$1 tmp
  tmp="$(mktemp "$file.XXXXXX")"
  cat >"$tmp"
  if cmp -s "$tmp" "$file"; then rm -f "$tmp"; else mv "$tmp" "$file"; fi
}

configure() {
  local etc="$state/etc" rabbit="rabbit://guest:guest@127.0.0.1:5672/"
  mkdir -p "$etc"/{mysql,keystone,placement,glance,neutron,nova}
  chmod 700 "$etc" "$state/secrets"

  write_config "$etc/mysql/my.cnf" <<EOF
[mysqld]
user = mysql
datadir = $state/mysql
socket = $state/run/mysql/mysqld.sock
pid-file = $state/run/mysql/mysqld.pid
bind-address = 127.0.0.1
port = 3306
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
# Small: a handful of servers at a time. Durability of the last second traded for fast schema syncs.
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 2
max_connections = 400
[client]
socket = $state/run/mysql/mysqld.sock
EOF
  # MariaDB's own user must be able to read it.
  chmod 711 "$etc" && chmod 755 "$etc/mysql" && chmod 644 "$etc/mysql/my.cnf"

  write_config "$etc/keystone/keystone.conf" <<EOF
[database]
connection = $(db_url keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $state/keystone/fernet-keys
[fernet_receipts]
key_repository = $state/keystone/fernet-keys
[credential]
key_repository = $state/keystone/credential-keys
EOF

  write_config "$etc/placement/placement.conf" <<EOF
[api]
auth_strategy = keystone
[placement_database]
connection = $(db_url placement)
$(auth_section keystone_authtoken placement)
EOF

  write_config "$etc/glance/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9292
# 0: serve from the parent process, no forked workers (memory).
workers = 0
enabled_backends = fs:file
[database]
connection = $(db_url glance)
$(auth_section keystone_authtoken glance)
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $state/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $state/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $state/glance/tasks
[oslo_concurrency]
lock_path = $state/glance/lock
EOF

  # Nova asks Neutron for security groups on every server show, so a Neutron API must exist; with
  # no agents and no mechanism drivers it is a small database-backed API (boot with networks none).
  write_config "$etc/neutron/neutron.conf" <<EOF
[DEFAULT]
core_plugin = ml2
service_plugins = router,port_forwarding
auth_strategy = keystone
transport_url = $rabbit
api_paste_config = /etc/neutron/api-paste.ini
state_path = $state/neutron
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
[database]
connection = $(db_url neutron)
$(auth_section keystone_authtoken neutron)
$(auth_section nova neutron)
[oslo_concurrency]
lock_path = $state/neutron/lock
EOF
  write_config "$etc/neutron/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,local
tenant_network_types = local
mechanism_drivers =
EOF

  # Nova's policy for Understudy's controller, as an operator installs it: oslo.policy reads
  # policy.d beside nova.conf, at the next request after a change.
  mkdir -p "$etc/nova/policy.d"
  write_config "$etc/nova/policy.d/understudy.yaml" <"$here/../etc/nova/policy.d/understudy.yaml"

  write_config "$etc/nova/nova.conf" <<EOF
[DEFAULT]
host = controller
my_ip = 127.0.0.1
state_path = $state/nova
transport_url = $rabbit
compute_driver = fake.FakeLiveMigrateDriver
# The knobs of \`up\`: how often each service reports, and how old a report may be before
# Nova calls the service down.
report_interval = $report_interval
service_down_time = $service_down_time
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[api_database]
connection = $(db_url nova_api)
[database]
connection = $(db_url nova)
$(auth_section keystone_authtoken nova)
$(auth_section placement nova)
$(auth_section neutron nova)
[glance]
api_servers = http://127.0.0.1:9292
[scheduler]
# New computes are mapped to cell1 by the scheduler itself, within seconds.
discover_hosts_in_cells_interval = 5
workers = 1
[conductor]
workers = 1
[vnc]
enabled = false
[oslo_concurrency]
lock_path = $state/nova/lock
EOF
  # Nova's API on its own eventlet server, one worker, like every other Nova service here: under
  # uwsgi's threads, eventlet's green threads deadlocked across them ("greenlet.error: cannot
  # switch to a different thread") and the API stopped answering after minutes of steady load.
  write_config "$etc/nova/nova-api.conf" <<EOF
[DEFAULT]
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = 8774
osapi_compute_workers = 1
EOF
  local host address
  for host in "${computes[@]}"; do
    if [ "$virt" = fake ]; then
      mkdir -p "$state/$host/instances"
      # The fake driver names its node after the host; each compute needs its own instances path.
      write_config "$etc/nova/$host.conf" <<EOF
[DEFAULT]
host = $host
state_path = $state/$host
instances_path = $state/$host/instances
[oslo_concurrency]
lock_path = $state/$host/lock
EOF
      continue
    fi
    address="$(host_address "$host")"
    mkdir -p "$state/$host" "$state/instances"
    # Nova names the node after libvirt's hostname, computeN in the host's namespace. The
    # instances path is the same on every host, each host's own storage in its namespace.
    # Nova passes tcp://ADDRESS to the source's libvirtd as the migration's destination; block
    # migration needs no setting (it is libvirt's NON_SHARED_INC), and tunnelling could not copy
    # disks. A cold migration or resize reaches the destination at its my_ip (the migration's
    # dest_host) with ssh and scp, as root: the hosts' sshd (lib/host-ssh). Rootwrap's filters
    # take privsep-helper's config files only under /etc: as root, sudo.
    write_config "$etc/nova/$host.conf" <<EOF
[DEFAULT]
host = $host
my_ip = $address
state_path = $state/$host
instances_path = $state/instances
compute_driver = libvirt.LibvirtDriver
[libvirt]
virt_type = qemu
connection_uri = $(host_uri "$host")
live_migration_scheme = tcp
live_migration_inbound_addr = $address
cpu_mode = custom
cpu_models = qemu64
# The tiny guest ignores ACPI: a soft reboot waits this long for it to shut down before Nova
# falls back to a hard reboot (120 s by default).
wait_soft_reboot_seconds = 5
[workarounds]
disable_rootwrap = true
[oslo_concurrency]
lock_path = $state/$host/lock
EOF
  done

  write_config "$state/clouds.yaml" <<EOF
# The single-machine cloud's admin, written by devstack/local-cloud.sh.
clouds:
  understudy:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      password: $admin_password
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: $region
    interface: public
    identity_api_version: 3
  # Understudy's controller with least privilege: roles service and understudy, Nova's policy
  # for them in etc/nova/policy.d/understudy.yaml (the README's "Least privilege").
  understudy-controller:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: understudy-controller
      password: $controller_password
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
    region_name: $region
    interface: public
    identity_api_version: 3
EOF
  write_config "$state/openrc" <<EOF
# The single-machine cloud's admin, written by devstack/local-cloud.sh: . $state/openrc
export OS_AUTH_URL=http://127.0.0.1:5000/v3
export OS_USERNAME=admin
export OS_PASSWORD=$admin_password
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=$region
export OS_INTERFACE=public
export OS_IDENTITY_API_VERSION=3
EOF
  chmod 600 "$state/clouds.yaml" "$state/openrc"
}

# --- the services -------------------------------------------------------------------------------

# The config files each service reads: with its command line, what its restart-on-change hash covers.
config_files() {
  local etc="$state/etc"
  case "$1" in
    mariadb) echo "$etc/mysql/my.cnf" ;;
    epmd | rabbitmq) ;;
    keystone) echo "$etc/keystone/keystone.conf" ;;
    placement) echo "$etc/placement/placement.conf" ;;
    glance) echo "$etc/glance/glance-api.conf" ;;
    neutron) echo "$etc/neutron/neutron.conf $etc/neutron/ml2_conf.ini" ;;
    nova-api) echo "$etc/nova/nova.conf $etc/nova/nova-api.conf" ;;
    nova-conductor | nova-scheduler) echo "$etc/nova/nova.conf" ;;
    nova-compute*) echo "$etc/nova/nova.conf $etc/nova/${1#nova-}.conf" ;;
    sshd-compute*) echo "$state/ssh/${1#sshd-}/sshd_config" ;;
    *) die "unknown service '$1'" ;;
  esac
}

# A WSGI API under uwsgi, as RESEARCH.md found to work: the large buffer lets token-carrying
# requests through, "Connection: close" spares clients that reuse connections their resets.
uwsgi_command() {
  local port=$1 script=$2
  cmd+=(uwsgi --plugin python3 --http-socket "127.0.0.1:$port" --wsgi-file "$script"
    --master --lazy-apps --processes 1 --threads 4 --die-on-term --need-app
    --buffer-size 65535 --add-header "Connection: close" --disable-logging)
}

# Sets cmd to the command line that runs service NAME.
command_for() {
  local name=$1 etc="$state/etc"
  cmd=()
  case "$name" in
    mariadb)
      cmd=(mariadbd --defaults-file="$etc/mysql/my.cnf") ;;
    epmd)
      # Erlang's port mapper, which RabbitMQ would otherwise start as an unrecorded daemon.
      cmd=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups epmd -address 127.0.0.1) ;;
    rabbitmq)
      # A node name on localhost needs no resolvable hostname; the cookie lives in its HOME; one
      # scheduler thread is plenty for a dozen clients.
      cmd=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups
        env HOME="$state/rabbitmq" RABBITMQ_NODENAME=rabbit@localhost
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1
        RABBITMQ_MNESIA_BASE="$state/rabbitmq/mnesia" RABBITMQ_LOGS=-
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +S 1:1"
        /usr/lib/rabbitmq/bin/rabbitmq-server) ;;
    keystone)
      cmd=(env OS_KEYSTONE_CONFIG_DIR="$etc/keystone")
      uwsgi_command 5000 /usr/bin/keystone-wsgi-public ;;
    placement)
      cmd=(env OS_PLACEMENT_CONFIG_DIR="$etc/placement")
      uwsgi_command 8778 /usr/bin/placement-api ;;
    glance)
      cmd=(glance-api --config-file "$etc/glance/glance-api.conf") ;;
    neutron)
      # The API alone: neutron-server would also fork an RPC and a periodic worker (~150 MiB
      # each) that only serve agents, and there are none.
      cmd=(env OS_NEUTRON_CONFIG_DIR="$etc/neutron" OS_NEUTRON_CONFIG_FILES="neutron.conf;ml2_conf.ini")
      uwsgi_command 9696 /usr/bin/neutron-api ;;
    nova-api)
      cmd=(nova-api --config-file "$etc/nova/nova.conf" --config-file "$etc/nova/nova-api.conf") ;;
    nova-conductor | nova-scheduler)
      cmd=("$name" --config-file "$etc/nova/nova.conf") ;;
    nova-compute*)
      cmd=(nova-compute --config-file "$etc/nova/nova.conf" --config-file "$etc/nova/${name#nova-}.conf")
      if [ "$(current_virt)" = libvirt ]; then
        # Beside its host's libvirtd: its hostname, and its storage at the instances path.
        cmd=(nsenter -t "$(host_namespace "${name#nova-}")" -m -u -- "${cmd[@]}")
      fi ;;
    sshd-compute*)
      # In its host's namespace (lib/host-ssh): a namespace made anew changes this command.
      host_sshd_command "$state/ssh" "${name#sshd-}" "$(host_namespace "${name#sshd-}")" ;;
    *) die "unknown service '$name'" ;;
  esac
}

# Sets cmd and prints the hash of NAME's command line and config files: what a running NAME is
# compared with to decide whether it must restart.
hash_of() {
  local files
  command_for "$1"
  files="$(config_files "$1")"
  # shellcheck disable=SC2086 # one word per file
  { printf '%s\n' "${cmd[@]}"; [ -z "$files" ] || cat $files; } | sha256sum | cut -c1-16
}

# Stops the named services at once: each takes seconds to shut down gracefully.
stop_all() {
  local name pids=()
  for name in "$@"; do
    stop "$name" & pids+=($!)
  done
  [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
}

# Starts each NAME unless it runs already with the same command and config files; first stops
# those that run with another (this is how new --report-interval/--service-down-time values
# reach the Nova processes, and only them).
launch() {
  local name changed=() hash
  for name in "$@"; do
    if is_running "$name" && [ "$(recorded_hash "$name")" != "$(hash_of "$name")" ]; then
      log "restarting $name: its configuration changed"
      changed+=("$name")
    fi
  done
  stop_all "${changed[@]}"
  for name in "$@"; do
    is_running "$name" && continue
    log "starting $name"
    hash="$(hash_of "$name")"
    command_for "$name"   # hash_of ran in a subshell: its cmd is gone
    start "$name" "$hash" "${cmd[@]}"
  done
}

mysql_root() { mariadb --defaults-file="$state/etc/mysql/my.cnf" -u root "$@"; }

prepare_directories() {
  mkdir -p "$state"/{log,run,done,secrets,keystone,glance/images,glance/staging,glance/tasks,glance/lock,neutron/lock,nova/lock}
  install -d -o mysql -g mysql -m 755 "$state/run/mysql"
  install -d -o rabbitmq -g rabbitmq -m 750 "$state/rabbitmq"
}

init_mariadb() {
  [ -d "$state/mysql/mysql" ] && return 0
  log "creating MariaDB's data directory"
  install -d -o mysql -g mysql -m 750 "$state/mysql"
  mariadb-install-db --defaults-file="$state/etc/mysql/my.cnf" --skip-test-db \
    --auth-root-authentication-method=socket >"$state/log/mariadb-install.log" 2>&1 \
    || die "mariadb-install-db failed; see $state/log/mariadb-install.log"
}

# One database user for every service's database, its password kept in the state directory;
# re-asserted on every `up`, so a regenerated secret takes effect.
init_databases() {
  local db sql="CREATE USER IF NOT EXISTS 'openstack'@'127.0.0.1' IDENTIFIED BY '$db_password';
ALTER USER 'openstack'@'127.0.0.1' IDENTIFIED BY '$db_password';"
  for db in keystone placement glance neutron nova_api nova nova_cell0; do
    sql+="CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON $db.* TO 'openstack'@'127.0.0.1';"
  done
  mysql_root -e "$sql"
}

# Set-up steps are idempotent but cost seconds each (Python start-up, password hashing): a marker
# per step skips them afterwards. The markers live with the databases and secrets they describe,
# in the state directory.
once() {
  local name=$1 marker="$state/done/$1"
  shift
  [ -f "$marker" ] && return 0
  if "$@" >>"$state/log/setup-$name.log" 2>&1; then
    touch "$marker"
  else
    log "set-up step $name failed; see $state/log/setup-$name.log"
    return 1
  fi
}

# The steps are chained with &&: run by once(), inside an `if`, errexit would not stop them.
sync_nova() {
  local conf="$state/etc/nova/nova.conf"
  nova-manage --config-file "$conf" api_db sync \
    && nova-manage --config-file "$conf" cell_v2 map_cell0 --database_connection "$(db_url nova_cell0)" \
    && { [ -n "$(mysql_root -N -e "SELECT id FROM nova_api.cell_mappings WHERE name = 'cell1'")" ] \
      || nova-manage --config-file "$conf" cell_v2 create_cell --name cell1; } \
    && nova-manage --config-file "$conf" db sync
}

sync_keystone() {
  local conf="$state/etc/keystone/keystone.conf"
  keystone-manage --config-file "$conf" db_sync \
    && keystone-manage --config-file "$conf" fernet_setup --keystone-user root --keystone-group root \
    && keystone-manage --config-file "$conf" credential_setup --keystone-user root --keystone-group root
}

# All schema syncs at once: on 2 cores they are mostly Python start-up and MariaDB DDL.
sync_schemas() {
  local pids=() pid failed=0 etc="$state/etc"
  once sync-keystone sync_keystone & pids+=($!)
  once sync-placement placement-manage --config-file "$etc/placement/placement.conf" db sync & pids+=($!)
  once sync-glance glance-manage --config-file "$etc/glance/glance-api.conf" db_sync & pids+=($!)
  once sync-neutron neutron-db-manage --config-file "$etc/neutron/neutron.conf" \
    --config-file "$etc/neutron/ml2_conf.ini" upgrade heads & pids+=($!)
  once sync-nova sync_nova & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" -eq 0 ] || die "a schema sync failed (logs: $state/log/setup-sync-*.log)"
}

# Bootstrap also re-asserts the admin's password, so a re-run follows the state directory's secret.
# Services validate tokens through Keystone's internal endpoint (keystonemiddleware's default).
bootstrap_keystone() {
  keystone-manage --config-file "$state/etc/keystone/keystone.conf" bootstrap \
    --bootstrap-password "$admin_password" --bootstrap-region-id "$region" \
    --bootstrap-public-url http://127.0.0.1:5000/v3 --bootstrap-internal-url http://127.0.0.1:5000/v3
}

rest() {
  OS_CLIENT_CONFIG_FILE="$state/clouds.yaml" SERVICE_PASSWORD="$service_password" \
    CONTROLLER_PASSWORD="$controller_password" \
    "$python" "$here/local-cloud/rest.py" "$@"
}

hosts_mapped() {
  local mapped
  mapped="$(mysql_root -N -e "SELECT host FROM nova_api.host_mappings" 2>/dev/null)" || return 1
  local host
  for host in "${computes[@]}"; do
    grep -qx "$host" <<<"$mapped" || return 1
  done
}

# computes_ready UTC: every compute mapped, up, and reporting since UTC (when `up` began: a stopped
# compute's last report may still count as up for service_down_time).
computes_ready() {
  hosts_mapped && rest computes-up --since "$1" "${computes[@]}"
}

# --- commands -----------------------------------------------------------------------------------

positive_seconds() {
  [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 '$2' is not a whole number of seconds above 0"
}

cmd_up() {
  report_interval=2
  service_down_time=10
  virt=fake
  while [ $# -gt 0 ]; do
    case "$1" in
      --virt) [ $# -ge 2 ] || die "--virt needs a value (fake or libvirt)"; virt=$2; shift 2 ;;
      --report-interval) [ $# -ge 2 ] || die "--report-interval needs a value"; report_interval=$2; shift 2 ;;
      --service-down-time) [ $# -ge 2 ] || die "--service-down-time needs a value"; service_down_time=$2; shift 2 ;;
      *) die "up: unknown argument '$1' (known: --virt fake|libvirt, --report-interval SECONDS, --service-down-time SECONDS)" ;;
    esac
  done
  case "$virt" in fake | libvirt) ;; *) die "--virt '$virt' is neither fake nor libvirt" ;; esac
  positive_seconds --report-interval "$report_interval"
  positive_seconds --service-down-time "$service_down_time"
  [ "$service_down_time" -gt "$report_interval" ] \
    || die "--service-down-time ($service_down_time) must exceed --report-interval ($report_interval), or every service looks down"

  require_root
  local began=$SECONDS began_at
  began_at="$(date -u +%Y-%m-%dT%H:%M:%S)"
  mkdir -p "$state/log"
  install_packages
  prepare_directories
  load_secrets
  echo "$virt" >"$state/virt"
  configure

  init_mariadb
  launch mariadb
  wait_for mariadb 60 mysql_root -e 'SELECT 1'
  init_databases
  launch epmd
  launch rabbitmq
  sync_schemas
  once keystone-bootstrap bootstrap_keystone || die "keystone-manage bootstrap failed"
  launch keystone
  wait_for rabbitmq 90 port_open 5672
  wait_for keystone 60 http_up http://127.0.0.1:5000/v3
  once catalog rest catalog || die "creating Keystone's catalog failed"
  once controller-user rest controller-user || die "creating the controller's Keystone user failed"
  local host
  if [ "$virt" = libvirt ]; then
    "$here/tiny-guest/build.sh" "$tiny_guest"
    mkdir -p "$state/guest"
    # The guest's disk: empty, as big as its records need (devstack/tiny-guest/init.sh).
    [ -s "$state/guest/disk.qcow2" ] || qemu-img create -q -f qcow2 "$state/guest/disk.qcow2" 32M
    hosts_ssh_prepare
    for host in "${computes[@]}"; do host_up "$host"; done
    for host in "${computes[@]}"; do host_sshd_up "$host"; done
    for host in "${computes[@]}"; do is_running "nova-$host" || park_checkpoints "$host"; done
  fi
  launch placement glance neutron nova-api nova-conductor nova-scheduler "${computes[@]/#/nova-}"
  [ "$virt" = libvirt ] || hosts_down
  wait_for placement 90 http_up http://127.0.0.1:8778/
  wait_for glance 90 http_up http://127.0.0.1:9292/
  wait_for neutron 120 http_up http://127.0.0.1:9696/
  wait_for nova-api 120 http_up http://127.0.0.1:8774/
  rest assets
  [ "$virt" = fake ] || rest guest-images "$tiny_guest/vmlinuz" "$tiny_guest/initrd.gz" "$state/guest/disk.qcow2"
  log "waiting for ${computes[*]} to be up and mapped to cell1"
  local deadline=$((SECONDS + ready_timeout))
  until computes_ready "$began_at"; do
    for name in "${computes[@]/#/nova-}" nova-conductor nova-scheduler; do
      is_running "$name" || die "$name exited; see $state/log/$name.log"
    done
    [ "$SECONDS" -lt "$deadline" ] || die "computes not up and mapped after ${ready_timeout}s; see $state/log/nova-*.log"
    sleep 1
  done
  log "ready in $((SECONDS - began))s (computes on the $virt driver, report_interval=${report_interval}s, service_down_time=${service_down_time}s); clouds.yaml: $state/clouds.yaml (cloud 'understudy'), openrc: $state/openrc"
}

# The OpenStack daemons first, then what they all use: RabbitMQ and its port mapper, MariaDB last.
cmd_down() {
  require_root
  local name openstack=()
  for name in "${services[@]}"; do
    case "$name" in mariadb | epmd | rabbitmq) ;; *) openstack+=("$name") ;; esac
  done
  for name in "${services[@]}"; do
    if [ -f "$(pidfile "$name")" ]; then log "stopping $name"; fi
  done
  stop_all "${openstack[@]}"
  hosts_down
  for name in rabbitmq epmd mariadb; do
    stop "$name"
  done
  # The next `up` picks the driver again (fake unless told).
  rm -f "$state/virt"
}

# Memory of processes: resident (RSS) and proportional (PSS, shared pages split between the
# processes sharing them) in KiB.
memory_of() {
  local pid rss=0 pss=0 value
  for pid in "$@"; do
    value="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" && rss=$((rss + ${value:-0}))
    value="$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null)" && pss=$((pss + ${value:-0}))
  done
  echo "$rss $pss"
}

# status_row NAME PID...: a line of `status` for these processes, counted in the totals; returns
# 1 when there are none (stopped).
status_row() {
  local name=$1 rss pss
  shift
  if [ $# -eq 0 ]; then
    printf '%-18s %-8s\n' "$name" stopped
    return 1
  fi
  read -r rss pss <<<"$(memory_of "$@")"
  total_rss=$((total_rss + rss))
  total_pss=$((total_pss + pss))
  printf '%-18s %-8s %6s %9d %9d\n' "$name" "$1" $# $((rss / 1024)) $((pss / 1024))
}

# The live process a libvirt-host.sh pid file names, if it is NAME.
live_daemon() {
  local file=$1 name=$2 pid
  pid="$(cat "$file" 2>/dev/null || true)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$name" ] && echo "$pid"
}

# Exit status: 0 when every service runs, 3 when none does, 1 in between.
cmd_status() {
  local name pid start hash total_rss=0 total_pss=0 running=0 expected=${#services[@]} host dir file guests
  printf '%-18s %-8s %6s %9s %9s\n' SERVICE PID PROCS RSS_MiB PSS_MiB
  for name in "${services[@]}"; do
    if is_running "$name"; then
      read -r pid start hash <"$(pidfile "$name")"
      # shellcheck disable=SC2046 # one word per PID, the group's leader first
      status_row "$name" "$pid" $(pgrep -g "$pid" | grep -vx "$pid") && running=$((running + 1))
    else
      status_row "$name" || true
    fi
  done
  # The hosts of libvirt computes: their daemons, and their guests (QEMU) apart, not counted as
  # services (a host without guests is whole).
  for host in "${computes[@]}"; do
    dir="$(host_dir "$host")"
    [ "$(current_virt)" = libvirt ] || [ -f "$(pidfile "libvirt-$host")" ] || continue
    expected=$((expected + 3))
    for name in libvirtd virtlogd; do
      # shellcheck disable=SC2046 # none or one PID
      status_row "$name-$host" $(live_daemon "$dir/$name.pid" "$name") && running=$((running + 1))
    done
    if is_running "sshd-$host"; then
      read -r pid start hash <"$(pidfile "sshd-$host")"
      status_row "sshd-$host" "$pid" && running=$((running + 1))
    else
      status_row "sshd-$host" || true
    fi
    guests=()
    for file in "$dir"/run/qemu/*.pid; do
      pid="$(live_daemon "$file" qemu-system-x86)" && guests+=("$pid")
    done
    [ ${#guests[@]} -eq 0 ] || status_row "guests-$host" "${guests[@]}"
  done
  printf '%-18s %-8s %6s %9d %9d\n' total "" "" $((total_rss / 1024)) $((total_pss / 1024))
  if is_running nova-api && [ -r "$state/secrets/service" ]; then
    load_secrets
    rest services || true
  fi
  [ "$running" -eq "$expected" ] && return 0
  [ "$running" -eq 0 ] && return 3
  return 1
}

compute_name() {
  local host
  for host in "${computes[@]}"; do
    [ "$host" = "$1" ] && return 0
  done
  die "'$1' is not a compute of this cloud (${computes[*]})"
}

cmd_kill_compute() {
  [ $# -eq 1 ] || die "usage: kill-compute HOST"
  compute_name "$1"
  require_root
  is_running "nova-$1" || die "nova-$1 is not running"
  stop "nova-$1" KILL
  log "nova-$1 killed"
}

# Drops the checkpoint metadata HOST's libvirtd holds for its domains (the QEMU bitmaps stay in
# the disks), unless HOST's nova-compute runs. On a real host the agent's `preserve` does this
# before nova-compute starts (its unit's ExecStartPre), and the demo and the tests that bring a
# host back start its agent first. But agents come and go with the tests: one killed mid-round and
# not started again (a test that failed) leaves a checkpoint defined, and the next nova-compute
# there dies in its start-up, which undefines the domains it destroys: libvirt refuses while
# checkpoints are defined ("cannot delete inactive domain with N checkpoints").
park_checkpoints() {
  local host=$1 uri domain checkpoint
  uri="$(host_uri "$host")"
  for domain in $(virsh -c "$uri" list --all --name 2>/dev/null); do
    for checkpoint in $(virsh -c "$uri" checkpoint-list "$domain" --name 2>/dev/null); do
      virsh -c "$uri" checkpoint-delete "$domain" "$checkpoint" --metadata >/dev/null 2>&1 \
        && log "$host: checkpoint $checkpoint of $domain left by an agent that did not return: its metadata dropped"
    done
  done
}

cmd_park_checkpoints() {
  [ $# -eq 1 ] || die "usage: park-checkpoints HOST"
  compute_name "$1"
  require_root
  [ "$(current_virt)" = libvirt ] || return 0
  host_up "$1"
  park_checkpoints "$1"
}

cmd_start_compute() {
  [ $# -eq 1 ] || die "usage: start-compute HOST"
  compute_name "$1"
  require_root
  is_running nova-conductor || die "the cloud is not up (run: $0 up)"
  if [ "$(current_virt)" = libvirt ]; then
    hosts_ssh_prepare
    host_up "$1"
    host_sshd_up "$1"
  fi
  launch "nova-$1"
}

# Kills the process a PID file names ("PID [STARTTIME]") and waits until it is gone.
fence_pidfile() {
  local file=$1 pid start rest deadline
  if [ ! -f "$file" ]; then
    echo "$file: no PID file, nothing runs"
    return 0
  fi
  read -r pid start rest <"$file" || true
  [[ "$pid" =~ ^[0-9]+$ ]] || die "$file: '$pid' is not a PID"
  if [ ! -d "/proc/$pid" ] || { [ -n "$start" ] && [ "$(starttime "$pid" || true)" != "$start" ]; }; then
    echo "$file: PID $pid is not running"
    return 0
  fi
  kill -KILL "$pid" 2>/dev/null || true
  deadline=$((SECONDS + stop_timeout))
  while [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "$file: PID $pid still runs ${stop_timeout}s after SIGKILL"
    sleep 0.1
  done
  echo "$file: PID $pid killed"
}

# fence_domain NAME HOST: destroys a libvirt domain and checks libvirt no longer runs it.
fence_domain() {
  local name=$1 uri=${LIBVIRT_DEFAULT_URI:-qemu:///system} domstate run_dir qemu_pid deadline
  if [ -z "${LIBVIRT_DEFAULT_URI:-}" ] && [ "$(current_virt)" = libvirt ]; then
    uri="$(host_uri "$2")"
  fi
  command -v virsh >/dev/null || die "virsh is not installed: cannot fence domain $name"
  if ! domstate="$(virsh -c "$uri" domstate "$name" 2>/dev/null)"; then
    echo "domain $name: not defined, nothing runs"
    return 0
  fi
  if [ "$domstate" != "shut off" ]; then
    # A power switch gives QEMU no time to tidy up: its process is killed (its PID file is
    # libvirt's, in that host's /run/libvirt), and once it is gone nothing of the guest runs.
    # libvirt's own bookkeeping of the death takes about 2 s more (a destroy waits for it), which
    # a failover need not wait for. Without a PID file, libvirt destroys it.
    run_dir=/run/libvirt
    [ -z "${LIBVIRT_DEFAULT_URI:-}" ] && [ "$(current_virt)" = libvirt ] && run_dir="$(host_dir "$2")/run"
    qemu_pid="$(cat "$run_dir/qemu/$(virsh -c "$uri" domname "$name" 2>/dev/null).pid" 2>/dev/null)" || true
    if [[ "$qemu_pid" =~ ^[0-9]+$ ]] && kill -KILL "$qemu_pid" 2>/dev/null; then
      deadline=$((SECONDS + stop_timeout))
      while [ -d "/proc/$qemu_pid" ] && [ "$(awk '{print $3}' "/proc/$qemu_pid/stat" 2>/dev/null)" != Z ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "domain $name: its QEMU (PID $qemu_pid) still runs ${stop_timeout}s after SIGKILL"
        sleep 0.05
      done
      echo "domain $name: its QEMU (PID $qemu_pid) killed"
      return 0
    fi
    virsh -c "$uri" destroy "$name" >/dev/null 2>&1 || true
    domstate="$(virsh -c "$uri" domstate "$name" 2>/dev/null)" || domstate="shut off"
  fi
  [ "$domstate" = "shut off" ] || die "domain $name is still $domstate after virsh destroy"
  echo "domain $name: shut off"
}

cmd_fence() {
  [ $# -ge 1 ] || die "usage: fence HOST [--pidfile FILE]... [--domain NAME]..."
  local host=$1 pidfiles=() domains=() item
  shift
  compute_name "$host"
  while [ $# -gt 0 ]; do
    case "$1" in
      --pidfile) [ $# -ge 2 ] || die "fence: --pidfile needs a FILE"; pidfiles+=("$2"); shift 2 ;;
      --domain) [ $# -ge 2 ] || die "fence: --domain needs a NAME"; domains+=("$2"); shift 2 ;;
      *) die "fence: unknown argument '$1' (usage: fence HOST [--pidfile FILE]... [--domain NAME]...)" ;;
    esac
  done
  require_root
  # stop returns once the whole process group is gone, SIGKILLing again if it must.
  stop "nova-$host" KILL
  for item in "${pidfiles[@]}"; do fence_pidfile "$item"; done
  for item in "${domains[@]}"; do fence_domain "$item" "$host"; done
  log "$host fenced: nova-$host, ${#pidfiles[@]} process(es) and ${#domains[@]} domain(s) confirmed stopped"
}

main() {
  [ $# -ge 1 ] || usage
  local command=$1
  shift
  case "$command" in
    install) require_root; mkdir -p "$state/log"; install_packages ;;
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    kill-compute) cmd_kill_compute "$@" ;;
    start-compute) cmd_start_compute "$@" ;;
    park-checkpoints) cmd_park_checkpoints "$@" ;;
    fence) cmd_fence "$@" ;;
    *) usage ;;
  esac
}

main "$@"

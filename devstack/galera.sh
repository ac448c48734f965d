#!/usr/bin/env bash
# A two-node MariaDB Galera cluster on this machine, for the tests of the controllers' shared
# records on Galera (what every production OpenStack control plane runs). Run as root.
#
#   devstack/galera.sh install   apt-get galera-4, mariadb-server and rsync (the state transfer)
#   devstack/galera.sh up        starts node 1 (a new cluster) then node 2 (joining it) unless
#                                they run; returns once both are synced in a cluster of 2.
#                                Idempotent.
#   devstack/galera.sh down      stops the nodes that `up` started (never ones it found running)
#   devstack/galera.sh status    exit 0 when both run, 3 when neither does, 1 otherwise
#
# Node 1 answers on 127.0.0.1:3307, node 2 on 127.0.0.1:3308 (the single-machine cloud's MariaDB
# keeps 3306); replication on 4567 and 4568. Everything lives under $UNDERSTUDY_GALERA_DIR
# (default /var/lib/understudy-galera): the nodes' data directories, sockets, logs, and
# secrets/it-password, the password of the user understudy_it@127.0.0.1, who owns the database
# understudy_galera_it. `down` keeps the data; the next `up` starts a new cluster from node 1's.
set -euo pipefail
# shellcheck source=lib/stop-process
source "$(dirname "${BASH_SOURCE[0]}")/lib/stop-process"

readonly state="${UNDERSTUDY_GALERA_DIR:-/var/lib/understudy-galera}"
readonly packages=(galera-4 mariadb-server rsync)
readonly provider=/usr/lib/galera/libgalera_smm.so
readonly nodes=(1 2)
readonly database=understudy_galera_it
readonly user=understudy_it
readonly ready_timeout=30
readonly stop_timeout=20

die() { printf 'galera.sh: %s\n' "$*" >&2; exit 1; }

require_root() { [ "$(id -u)" -eq 0 ] || die "$1 needs root (mariadbd runs as the mysql user)"; }

port() { echo $((3306 + $1)); }
gcomm_port() { echo $((4566 + $1)); }
dir() { echo "$state/node$1"; }
cnf() { echo "$(dir "$1")/my.cnf"; }
pid_file() { echo "$(dir "$1")/run/mariadbd.pid"; }

# The PID node N's mariadbd wrote, if that process lives.
running_pid() {
  local pid
  pid="$(cat "$(pid_file "$1")" 2>/dev/null || true)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = mariadbd ] && printf '%s\n' "$pid"
}

sql() { local n="$1"; shift; mariadb --defaults-file="$(cnf "$n")" -u root -N -B "$@"; }

wsrep() { sql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2; }

install_packages() {
  require_root install
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    || die "apt-get install ${packages[*]} failed"
}

configure() {
  local n="$1" d
  d="$(dir "$n")"
  install -d -o mysql -g mysql -m 750 "$d" "$d/data" "$d/run" "$d/log"
  # Node 1's state transfer port and IST port differ from node 2's replication port (the
  # defaults, 4444 and replication+1, would collide on one machine).
  cat >"$d/my.cnf" <<EOF
[mysqld]
user = mysql
datadir = $d/data
socket = $d/run/mysqld.sock
pid-file = $(pid_file "$n")
log-error = $d/log/mariadbd.log
bind-address = 127.0.0.1
port = $(port "$n")
skip-name-resolve
character-set-server = utf8mb4
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 2
wsrep_on = ON
wsrep_provider = $provider
wsrep_cluster_name = understudy_it
wsrep_cluster_address = gcomm://127.0.0.1:4567,127.0.0.1:4568
wsrep_node_name = node$n
wsrep_node_address = 127.0.0.1
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$((4576 + n));gcache.size=32M"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:$((4443 + n))
[client]
socket = $d/run/mysqld.sock
EOF
  chmod 644 "$d/my.cnf"
  if [ ! -d "$d/data/mysql" ] && [ "$n" -eq 1 ]; then
    mariadb-install-db --defaults-file="$d/my.cnf" --skip-test-db --auth-root-authentication-method=socket \
      >"$d/log/install-db.log" 2>&1 || die "mariadb-install-db failed; see $d/log/install-db.log"
  fi
}

# Starts node N (node 1 as a new cluster) and waits until it is synced in a cluster of SIZE.
start() {
  local n="$1" size="$2" deadline args=()
  [ "$n" -eq 1 ] && args+=(--wsrep-new-cluster)
  # Started from a stopped cluster, node 1 must bootstrap whatever its grastate says.
  [ "$n" -eq 1 ] && [ -f "$(dir 1)/data/grastate.dat" ] \
    && sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(dir 1)/data/grastate.dat"
  setsid mariadbd --defaults-file="$(cnf "$n")" "${args[@]}" </dev/null >>"$(dir "$n")/log/stdout.log" 2>&1 &
  deadline=$((SECONDS + ready_timeout))
  until [ "$(wsrep "$n" wsrep_local_state_comment)" = Synced ] && [ "$(wsrep "$n" wsrep_cluster_size)" -ge "$size" ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "node $n is not synced in a cluster of $size after ${ready_timeout}s; see $(dir "$n")/log/mariadbd.log"
    sleep 0.2
  done
}

# The test user, on node 1 (replicated): its password made once, kept for the tests.
init_user() {
  local password
  install -d -m 700 "$state/secrets"
  [ -s "$state/secrets/it-password" ] || (umask 077 && head -c 18 /dev/urandom | base64 >"$state/secrets/it-password")
  password="$(cat "$state/secrets/it-password")"
  sql 1 <<EOF
CREATE DATABASE IF NOT EXISTS $database CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON $database.* TO '$user'@'127.0.0.1';
EOF
}

up() {
  require_root up
  local n
  command -v mariadbd >/dev/null && [ -f "$provider" ] || die "mariadbd or $provider is missing; run: $0 install"
  if running_pid 1 >/dev/null && running_pid 2 >/dev/null; then
    return 0
  fi
  running_pid 1 >/dev/null || running_pid 2 >/dev/null \
    && die "only one node runs; run: $0 down, then $0 up"
  for n in "${nodes[@]}"; do configure "$n"; done
  start 1 1
  # A joiner takes node 1's state afresh (rsync): its own data would be older.
  rm -rf "$(dir 2)/data/"*
  start 2 2
  init_user
  for n in "${nodes[@]}"; do printf '%s\n' "$(running_pid "$n")" >"$(dir "$n")/run/started-by-up"; done
}

down() {
  require_root down
  local n pid
  # Node 2 first, so that node 1 is the last to leave and may bootstrap the next cluster.
  for n in 2 1; do
    pid="$(cat "$(dir "$n")/run/started-by-up" 2>/dev/null || true)"
    rm -f "$(dir "$n")/run/started-by-up"
    if [ -z "$pid" ] || [ "$(running_pid "$n" || true)" != "$pid" ]; then
      continue
    fi
    stop_process TERM "$pid" "$stop_timeout"
  done
}

status() {
  local n pid up=0
  for n in "${nodes[@]}"; do
    if pid="$(running_pid "$n")"; then
      printf 'node %s running (pid %s) on 127.0.0.1:%s: %s, cluster of %s\n' "$n" "$pid" "$(port "$n")" \
        "$(wsrep "$n" wsrep_local_state_comment)" "$(wsrep "$n" wsrep_cluster_size)"
      up=$((up + 1))
    else
      printf 'node %s stopped\n' "$n"
    fi
  done
  [ "$up" -eq "${#nodes[@]}" ] && return 0
  [ "$up" -eq 0 ] && return 3
  return 1
}

case "${1:-}" in
  install) install_packages ;;
  up) up ;;
  down) down ;;
  status) status ;;
  *) sed -n '/^#   devstack\/galera.sh install/,/^#$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

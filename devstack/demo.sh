#!/usr/bin/env bash
# Understudy's demo: every step of the method on the single-machine cloud, with real agents,
# real disks and the controller as operators run it. As root, on Debian 12 with JDK 17 and Maven:
#
#   bin/understudy demo [--interval SECONDS] [--controllers 1|2] [--result FILE] [--keep]
#
#   --interval     the replication interval (default 5 s)
#   --controllers  2: two controllers on Quartz's clustered store in the cloud's MariaDB, each
#                  round run by one of them (default 1)
#   --result       also write the figures and checks as one JSON object to FILE
#   --keep         leave the agents, the controllers, the guest and the VM running at the end
#
# It brings up the cloud (devstack/local-cloud.sh, Nova's default service_down_time, a 2 s
# report_interval) and libvirtd (devstack/libvirt.sh) unless they run; starts an agent per compute
# host and the controller; boots a protected VM on compute1 whose disk a tiny TCG guest keeps
# writing numbered records to; then
#   0. compute1 flaps (disabled and enabled again within seconds, three times): nothing moves;
#      a secondary's agent is killed and restarted: it catches up from the version it holds;
#   1. disables compute1 in Nova (the operator's maintenance knob; the rules say a host must be
#      enabled): the controller live-migrates the VM onto a replica holder; compute1, enabled
#      again, holds a replica and receives deltas;
#   2. fails the VM's new host (its nova-compute and agent killed): the controller detects it,
#      fences it (the process fencer destroys the guest), and evacuates the VM onto the other
#      replica holder, from its replica;
#   3. brings the failed host back (its agent first, then nova-compute) as a replica holder;
#   4. checks the data, prints the timeline and the controller's decisions, stops what it started.
#
# What is simulated: Nova's computes use the fake driver, so the guest is a domain under this
# machine's libvirtd that the demo moves to where Nova says the VM is (stopping it on the old
# host, starting it on the replica the new host's agent staged). Everything else is real.
set -eEuo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
readonly here root
readonly cloud="$here/local-cloud.sh" libvirt="$here/libvirt.sh" guest="$here/tiny-guest/guest.sh"
readonly cloud_state="${UNDERSTUDY_CLOUD_DIR:-/var/lib/understudy-cloud}"
readonly demo="${UNDERSTUDY_DEMO_DIR:-/var/lib/understudy-demo}"
readonly hosts=(compute1 compute2 compute3)
readonly controller_ports=(9810 9820) nova=http://127.0.0.1:8774/v2.1 glance=http://127.0.0.1:9292
readonly agent_jar="$root/agent/node/target/understudy-agent.jar"
readonly controller_jar="$root/scheduler-plugin/target/understudy.jar"
readonly step_timeout=180

interval=5
controllers=1
result=""
keep=false
began=$(date +%s.%N)

die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '/^#   bin\/understudy demo/,/^#   --keep/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --interval) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--interval '${2:-}' is not a whole number of seconds above 0"
      interval=$2; shift 2 ;;
    --controllers) [[ "${2:-}" =~ ^[12]$ ]] || die "--controllers '${2:-}' is not 1 or 2"; controllers=$2; shift 2 ;;
    --result) [ -n "${2:-}" ] || die "--result needs a FILE"; result=$2; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (usage: bin/understudy demo [--interval SECONDS] [--controllers 1|2] [--result FILE] [--keep])" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "run it as root: it installs packages and starts the cloud, libvirtd and guests"

# --- the timeline -------------------------------------------------------------------------------

elapsed() { awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
event() {
  local line
  line="$(printf '%7ss  %s' "+$(elapsed)" "$*")"
  printf '%s\n' "$line" | tee -a "$demo/timeline.txt"
}
now() { date +%s.%N; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Waits until COMMAND succeeds, at most SECONDS; dies saying WHAT otherwise.
wait_for() {
  local seconds=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || die "gave up after ${seconds}s waiting for $what"
    sleep 0.25
  done
}

# --- Nova, Glance and the agents, over HTTP -----------------------------------------------------

token=""
os() {
  local version=$1 method=$2 url=$3
  shift 3
  curl -sS -f -m 30 -X "$method" -H "X-Auth-Token: $token" -H "OpenStack-API-Version: compute $version" \
    -H 'Content-Type: application/json' "$url" "$@"
}
agent_port() { case "$1" in compute1) echo 9811 ;; compute2) echo 9812 ;; compute3) echo 9813 ;; esac; }
agent() {
  local host=$1 method=$2 path=$3
  curl -sS -f -m 10 -X "$method" -H "Authorization: Bearer $(cat "$demo/cluster.token")" \
    "http://127.0.0.1:$(agent_port "$host")$path"
}
server() { os 2.74 GET "$nova/servers/$vm" | jq -r "$1"; }
server_host() { server '.server."OS-EXT-SRV-ATTR:host" // ""'; }
server_settled() { [ "$(server '.server.status + "/" + (.server."OS-EXT-STS:task_state" // "")')" = "ACTIVE/" ]; }
service_id() { os 2.53 GET "$nova/os-services?binary=nova-compute&host=$1" | jq -r '.services[0].id'; }
service_set() { os 2.53 PUT "$nova/os-services/$(service_id "$1")" -d "$2" >/dev/null; }
replica_version() { agent "$1" GET "/v1/replicas/$vm" 2>/dev/null | jq -r '.version' 2>/dev/null || echo -1; }

# --- setting up -----------------------------------------------------------------------------------

started_cloud=false
started_libvirt=false
pids=()
vm=""
at=""

prepare() {
  export DEBIAN_FRONTEND=noninteractive
  command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends jq >/dev/null; }
  "$cloud" status >/dev/null 2>&1 || started_cloud=true
  "$libvirt" status >/dev/null 2>&1 || started_libvirt=true
  "$libvirt" install
  "$libvirt" up
  "$cloud" up --report-interval 2 --service-down-time 60
  if [ ! -f "$agent_jar" ] || [ ! -f "$controller_jar" ]; then
    echo "demo: building the jars (mvn package, first run only)" >&2
    (cd "$root" && mvn -B -q -DskipTests package -pl agent/node,scheduler-plugin -am >&2)
  fi
  "$here/tiny-guest/build.sh" "${UNDERSTUDY_TINY_GUEST:-/var/lib/understudy/tiny-guest}" >/dev/null
  token="$(OS_CLIENT_CONFIG_FILE="$cloud_state/clouds.yaml" /usr/bin/python3 "$here/local-cloud/rest.py" token)"
}

# A previous demo's processes and guest, if it was interrupted: gone before this one starts.
clear_previous() {
  local file
  for file in "$demo"/*.pid "$demo"/*/agent.pid; do
    [ -f "$file" ] || continue
    # Only the process the file was written for: after a reboot its PID may be anyone's (a test
    # JVM was killed this way once), so the start time must match too.
    if pid="$(live_pid "$file")"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  if [ -f "$demo/vm" ]; then
    "$guest" stop "$(cat "$demo/vm")" || true
    os 2.74 DELETE "$nova/servers/$(cat "$demo/vm")" >/dev/null 2>&1 || true
  fi
  rm -rf "$demo"
  mkdir -p "$demo"
  chmod 755 "$demo"
}

# "PID STARTTIME", as local-cloud.sh fence --pidfile reads it.
pidfile() { printf '%s %s\n' "$1" "$(awk '{print $22}' "/proc/$1/stat")" >"$2"; }
# The PID a pidfile() names, if that very process still runs (same PID and start time).
live_pid() {
  local pid start
  read -r pid start _ <"$1" 2>/dev/null || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -n "$start" ] || return 1
  [ "$(awk '{print $22}' "/proc/$pid/stat" 2>/dev/null)" = "$start" ] || return 1
  echo "$pid"
}

start_agent() {
  local host=$1 home="$demo/$1"
  mkdir -p "$home/instances"
  chmod 755 "$home" "$home/instances"
  cat >"$home/agent.yaml" <<EOF
host: $host
listen: 127.0.0.1:$(agent_port "$host")
dataDir: $home/data
instancesPath: $home/instances
libvirt: {uri: 'qemu:///system'}
auth: {mode: token, tokenFile: $demo/cluster.token}
EOF
  java -Xmx192m -jar "$agent_jar" serve --config "$home/agent.yaml" >>"$home/agent.log" 2>&1 &
  pidfile $! "$home/agent.pid"
  pids+=($!)
  # Killed on purpose later (a failure): no job-control message then.
  disown $!
}

agent_answers() { agent "$1" GET /v1/health >/dev/null 2>&1; }

start_controllers() {
  local host i name
  cat >"$demo/rules.yaml" <<EOF
policy:
  replicas: 2
  replicationInterval: ${interval}s
  maxReplicaLag: 1m
  cooldown: 10m
rules:
  # The operator's knob: a host disabled in Nova (maintenance) is out of range for its VMs, once
  # it has been for 5 s (a flap is not a reason to move).
  - name: enabled-in-nova
    parameter: service_enabled
    equals: true
    for: 5s
EOF
  if [ "$controllers" -eq 2 ]; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$demo/db-password"
    mariadb --defaults-file="$cloud_state/etc/mysql/my.cnf" -u root -e "DROP DATABASE IF EXISTS understudy_demo;
      CREATE DATABASE understudy_demo CHARACTER SET utf8mb4;
      CREATE USER IF NOT EXISTS 'understudy_demo'@'127.0.0.1' IDENTIFIED BY '$(cat "$demo/db-password")';
      ALTER USER 'understudy_demo'@'127.0.0.1' IDENTIFIED BY '$(cat "$demo/db-password")';
      GRANT ALL PRIVILEGES ON understudy_demo.* TO 'understudy_demo'@'127.0.0.1';"
  fi
  for ((i = 0; i < controllers; i++)); do
    name=controller$((i + 1))
    {
      echo "listen: 127.0.0.1:${controller_ports[i]}"
      echo "dataDir: $demo/$name"
      echo "rules: $demo/rules.yaml"
      echo "openstack: {cloudsYaml: $cloud_state/clouds.yaml, cloud: understudy}"
      echo "agents:"
      echo "  auth: {clusterTokenFile: $demo/cluster.token}"
      echo "  endpoints:"
      for host in "${hosts[@]}"; do echo "    $host: http://127.0.0.1:$(agent_port "$host")"; done
      echo "evaluation: {interval: 2s}"
      echo "placement: {interval: 5s}"
      echo "detection: {reportInterval: 2s}   # the cloud's report_interval"
      echo "moves:"
      echo "  fencing:"
      echo "    default:"
      echo "      method: process"
      echo "      command: [$cloud, fence, '{host}', --pidfile, '$demo/{host}/agent.pid', --domain, '{vm}']"
      if [ "$controllers" -eq 2 ]; then
        echo "jobstore: jdbc"
        echo "jdbc: {url: 'jdbc:mariadb://127.0.0.1:3306/understudy_demo', user: understudy_demo, passwordFile: $demo/db-password}"
        echo "cluster: {instanceId: $name}"
      fi
    } >"$demo/$name.yaml"
    java -Xmx256m -jar "$controller_jar" serve --config "$demo/$name.yaml" >>"$demo/$name.log" 2>&1 &
    pidfile $! "$demo/$name.pid"
    pids+=($!)
  done
}

boot_vm() {
  local flavor image body
  flavor="$(os 2.74 GET "$nova/flavors" | jq -r '.flavors[] | select(.name == "understudy.tiny") | .id')"
  image="$(curl -sS -f -H "X-Auth-Token: $token" "$glance/v2/images?name=understudy-tiny" | jq -r '.images[0].id')"
  body="$(jq -n --arg f "$flavor" --arg i "$image" '{server: {name: "understudy-demo", flavorRef: $f,
    imageRef: $i, networks: "none", host: "compute1", metadata: {"understudy:protect": "true"}}}')"
  vm="$(os 2.74 POST "$nova/servers" -d "$body" | jq -r '.server.id')"
  echo "$vm" >"$demo/vm"
}

# --- the guest, where Nova says the VM is ---------------------------------------------------------

# Timestamps each console line as the guest prints it: "EPOCH understudy-record N slot S".
stamp_console() {
  local console=$1
  tail -n +1 -F "$console" 2>/dev/null | while IFS= read -r line; do
    printf '%s %s\n' "$(date +%s.%N)" "$line"
  done >>"$console.stamped" &
  pids+=($!)
}

start_guest() {
  local host=$1 disk=$2 console="$demo/$1/guest.console"
  : >"$console"
  chmod 644 "$console"
  stamp_console "$console"
  "$guest" start "$vm" "$disk" --uuid "$vm" --console "$console" --args "understudy.delay=0.05"
}

# Moves the guest onto HOST: stopped where it ran (if the fence did not stop it already), started
# on HOST's replica: staged by the controller for an evacuation, by HOST's agent here for a live
# migration (on a real libvirt compute, Nova's live migration carries the disk).
move_guest() {
  local from=$1 to=$2 disk="$demo/$2/instances/$vm/disk" replica version
  "$guest" stop "$vm" || return 1
  # After a live migration Nova's libvirt driver deletes the instance's disk on the source (the
  # fake driver does not): the source's agent keeps its own link to it (DATADIR/preserved).
  if agent_answers "$from"; then rm -rf "${demo:?}/$from/instances/$vm"; fi
  replica="$(agent "$to" GET "/v1/replicas/$vm")" || return 1
  if [ ! -f "$disk" ]; then
    disk="$(agent "$to" POST "/v1/replicas/$vm/stage" | jq -r .disk)" || return 1
  fi
  version="$(jq -r .version <<<"$replica")"
  jq -n --arg from "$from" --arg to "$to" --arg disk "$disk" --argjson replica "$replica" \
    '{from: $from, to: $to, disk: $disk, replica: $replica}' >"$demo/moved-to-$to.json" || return 1
  # The disk as staged, before the guest writes to it: what the data check judges.
  qemu-img convert -U -O raw "$disk" "$demo/$to/staged.raw" || return 1
  start_guest "$to" "$disk" || return 1
  event "guest moved: stopped on $from, started on $to from its replica (version $version)"
}

# Follows Nova (one request each half second): whenever the VM is ACTIVE on another host with no
# task under way, the guest moves there.
follow() {
  local host status
  while :; do
    read -r host status < <(server '[.server."OS-EXT-SRV-ATTR:host" // "-", .server.status
      + "/" + (.server."OS-EXT-STS:task_state" // "")] | join(" ")' 2>/dev/null || echo "- -")
    if [ "$host" != - ] && [ "$host" != "$at" ] && [ "$status" = ACTIVE/ ]; then
      if move_guest "$at" "$host"; then
        at=$host
        echo "$at" >"$demo/guest-host"
      else
        event "moving the guest from $at to $host failed; trying again"
        sleep 1
      fi
    fi
    sleep 0.5
  done
}

# --- the scenario -----------------------------------------------------------------------------------

replicas_on() {
  local host
  for host in "$@"; do [ "$(replica_version "$host")" -ge 2 ] || return 1; done
}

caught_up() {
  local host=$1 primary=$2 mine theirs
  mine="$(replica_version "$host")"
  theirs="$(agent "$primary" GET /v1/vms | jq -r --arg vm "$vm" '.[] | select(.vm == $vm) | .version' 2>/dev/null)"
  [ -n "$theirs" ] && [ "$mine" -ge 2 ] && [ "$mine" -ge $((theirs - 1)) ]
}

guest_on() { [ "$(cat "$demo/guest-host" 2>/dev/null)" = "$1" ]; }
# The guest on HOST has acknowledged at least 20 records (it takes a while to boot: TCG).
guest_writing() { [ "$(grep -c ' understudy-record ' "$demo/$1/guest.console.stamped" 2>/dev/null)" -ge 20 ]; }
server_away_from() { local h; h="$(server_host)"; [ -n "$h" ] && [ "$h" != "$1" ] && server_settled; }
not_forced_down() { [ "$(os 2.53 GET "$nova/os-services?binary=nova-compute&host=$1" | jq -r '.services[0].forced_down')" = false ]; }

# The holders of the VM's replica other than HOST, from the agents.
holders_besides() {
  local h
  for h in "${hosts[@]}"; do
    if [ "$h" != "$1" ] && [ "$(replica_version "$h")" -ge 1 ]; then echo "$h"; fi
  done
}

# The compute host that is neither A nor B.
third_host() {
  local h
  for h in "${hosts[@]}"; do
    if [ "$h" != "$1" ] && [ "$h" != "$2" ]; then echo "$h"; fi
  done
}

summary=()
figure() { summary+=("$1"); }

# HOST's agent's CPU use (user + system, % of one core) over three replication intervals (at most 60 s).
agent_cpu() {
  local host=$1 pid ticks0 ticks1 t0 t1 window=$((3 * interval > 60 ? 60 : 3 * interval)) cpu
  read -r pid _ <"$demo/$host/agent.pid"
  ticks0="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
  t0=$(now)
  sleep "$window"
  ticks1="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
  t1=$(now)
  cpu="$(awk -v d=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%.1f", 100 * d / hz / (b - a) }')"
  event "$host's agent, primary of the VM, used $cpu % of a core over ${window} s (its rounds, deltas to two secondaries, probes)"
  figure "agent CPU per protected VM (the guest writing a 4 KiB record every 0.05 s, ${interval} s interval): $cpu % of a core"
}

run() {
  local t0 t1 target failed other rto killed_at captured n_before judged newest problem lm_line i host pid
  event "cloud up: Nova with compute1..3 (fake driver, report_interval 2s, service_down_time 60s); libvirtd up"
  printf '%s\n' "$(head -c 24 /dev/urandom | base64 | tr -d '/+=')-understudy-demo" >"$demo/cluster.token"
  for host in "${hosts[@]}"; do start_agent "$host"; done
  for host in "${hosts[@]}"; do wait_for 90 "$host's agent" agent_answers "$host"; done
  event "agents answer on 127.0.0.1:9811..9813 (one per compute host, token auth)"
  start_controllers
  for ((i = 0; i < controllers; i++)); do
    wait_for 90 "controller $((i + 1))" curl -s -f -o /dev/null "http://127.0.0.1:${controller_ports[i]}/v1/health"
  done
  event "$controllers controller(s) serving (rules: a host must be enabled in Nova for 5 s; replication every ${interval}s)"

  boot_vm
  wait_for "$step_timeout" "the VM ACTIVE on compute1" server_settled
  mkdir -p "$demo/compute1/instances/$vm"
  chmod 755 "$demo/compute1/instances/$vm"
  qemu-img create -q -f qcow2 -o compat=1.1 "$demo/compute1/instances/$vm/disk" 64M
  start_guest compute1 "$demo/compute1/instances/$vm/disk"
  at=compute1
  echo "$at" >"$demo/guest-host"
  event "VM $vm ACTIVE on compute1, protected; its guest writes a numbered record every 0.05 s"
  follow &
  pids+=($!)

  wait_for "$step_timeout" "replicas on compute2 and compute3" replicas_on compute2 compute3
  for host in compute2 compute3; do
    event "replica on $host: $(agent "$host" GET "/v1/replicas/$vm" | jq -r '"version \(.version), lag \(.lagSeconds | . * 10 | round / 10) s, \(.bytes) bytes, \(.chainLength) layers"')"
  done

  # 0. A flapping host moves nothing; a secondary's agent that restarts catches up.
  event "step 0: compute1 flaps: disabled 1 s, enabled 3 s, three times"
  for i in 1 2 3; do
    service_set compute1 '{"status": "disabled", "disabled_reason": "understudy demo: a flap"}'
    sleep 1
    service_set compute1 '{"status": "enabled"}'
    sleep 3
  done
  sleep 4
  [ "$(server_host)" = compute1 ] || die "a flapping compute1 moved the VM to $(server_host)"
  event "no move: the VM stays on compute1 (each breach shorter than the rule's for: 5s)"
  read -r pid _ <"$demo/compute3/agent.pid"
  i="$(replica_version compute3)"
  kill -KILL "$pid"
  event "compute3's agent killed at replica version $i; restarted after ${interval} s"
  sleep "$interval"
  start_agent compute3
  wait_for 90 "compute3's agent" agent_answers compute3
  wait_for "$step_timeout" "compute3 catching up" caught_up compute3 compute1
  event "compute3 caught up: version $(replica_version compute3)"
  agent_cpu compute1

  # 1. compute1 out of its operating range.
  t0=$(now)
  service_set compute1 '{"status": "disabled", "disabled_reason": "understudy demo: maintenance"}'
  event "step 1: compute1 disabled in Nova (maintenance): out of range for its VMs"
  wait_for "$step_timeout" "the live migration off compute1" server_away_from compute1
  t1=$(now)
  target="$(server_host)"
  event "VM ACTIVE on $target by live migration, $(seconds_between "$t0" "$t1") s after compute1 was disabled"
  figure "live migration: compute1 disabled -> ACTIVE on $target: $(seconds_between "$t0" "$t1") s"
  wait_for 60 "the guest on $target" guest_on "$target"
  service_set compute1 '{"status": "enabled"}'
  event "compute1 enabled again (maintenance over)"
  wait_for "$step_timeout" "compute1 holding a current replica" caught_up compute1 "$target"
  event "compute1 is a replica holder again: version $(replica_version compute1) (primary $target)"
  other="$(third_host "$target" compute1)"
  wait_for "$step_timeout" "$other holding a current replica" caught_up "$other" "$target"

  # 2. The VM's new host fails, once its guest has written records and a round has captured some.
  failed=$target
  wait_for "$step_timeout" "the guest on $failed writing" guest_writing "$failed"
  sleep $((interval + 1))
  # The agent first: a round it finished after the instant of failure would make the RPO negative.
  read -r pid _ <"$demo/$failed/agent.pid"
  killed_at=$(now)
  kill -KILL "$pid"
  "$cloud" kill-compute "$failed" >/dev/null 2>&1
  event "step 2: $failed fails: its nova-compute and agent killed (its guest still runs until fenced)"
  wait_for "$step_timeout" "the evacuation off $failed" server_away_from "$failed"
  rto="$(seconds_between "$killed_at" "$(now)")"
  target="$(server_host)"
  event "VM ACTIVE on $target by evacuation, $rto s after $failed failed (Nova itself would call it down after 60 s)"
  figure "failover: $failed failed -> ACTIVE on $target: $rto s (RTO)"
  wait_for 60 "the guest on $target" guest_on "$target"

  # What the data check needs: the replica the guest booted from, and the failed guest's records.
  # The agent writes instants in ISO-8601 (UTC); the console stamps are seconds since the epoch.
  captured="$(date -d "$(jq -r '.replica.capturedAt' "$demo/moved-to-$target.json")" +%s.%N)"
  n_before="$(awk -v c="$captured" '$2 == "understudy-record" && $1 < c { n = $3 } END { print n + 0 }' \
    "$demo/$failed/guest.console.stamped")"
  judged="$(/usr/bin/python3 "$here/tiny-guest/judge.py" "$demo/$target/staged.raw" || true)"
  newest="$(jq -r .newest <<<"$judged")"
  problem="$(jq -r '.problem // ""' <<<"$judged")"
  event "data: the replica $target booted from was captured $(seconds_between "$captured" "$killed_at") s before the failure (RPO); newest record $newest; the failed guest had acknowledged up to $n_before before that capture"
  [ -z "$problem" ] || die "the replica's records are not a point-in-time copy: $problem"
  [ "$n_before" -gt 0 ] || die "the guest on $failed acknowledged no record before the replica's capture: nothing to check"
  [ "$newest" -ge "$n_before" ] || die "the replica lacks records $((newest + 1))..$n_before, acknowledged before its capture"
  figure "RPO at a ${interval} s interval: $(seconds_between "$captured" "$killed_at") s; every record acknowledged before the capture is on the disk"
  local compare_with
  compare_with="$(holders_besides "$target" | grep -vx "$failed" | head -n 1 || true)"
  if [ -n "$compare_with" ] && [ "$(replica_version "$compare_with")" = "$(jq -r .replica.version "$demo/moved-to-$target.json")" ]; then
    qemu-img compare -q -U "$demo/$target/staged.raw" \
      "$demo/$compare_with/data/replicas/$vm/$(jq -r '.chain[-1]' "$demo/$compare_with/data/replicas/$vm/state.json")" \
      || die "qemu-img compare: the replica on $compare_with differs from the one $target booted from"
    event "qemu-img compare: $compare_with's replica of that version is identical to the disk $target booted from"
  fi

  # 3. The failed host returns.
  start_agent "$failed"
  wait_for 90 "$failed's agent" agent_answers "$failed"
  # A returning nova-compute deletes the disks of instances evacuated away from it (the fake
  # driver does not, so the demo does): the agent, started first, kept a link to it.
  rm -rf "${demo:?}/$failed/instances/$vm"
  "$cloud" start-compute "$failed" >/dev/null 2>&1
  event "step 3: $failed returns: its agent (keeping its old disk) and then its nova-compute"
  wait_for "$step_timeout" "$failed brought back (forced_down lifted)" not_forced_down "$failed"
  wait_for "$step_timeout" "$failed holding a current replica" caught_up "$failed" "$target"
  event "$failed is a replica holder again: version $(replica_version "$failed") (primary $target)"

  echo
  echo "The controllers' decisions and moves (from their logs):"
  grep -h -E ': MOVE |: begins|DONE in|: FAILED:|forced_down lifted|a secondary again' "$demo"/controller*.log \
    | cut -c1-240 | sed 's/^/  /' || true
  lm_line="$(grep -h -m1 -E 'live migration of .*: DONE in' "$demo"/controller*.log || true)"
  if [ -n "$lm_line" ]; then
    # The controller's own time: the whole move less the time Nova itself took.
    figure "live migration, decision to done: $(awk '{ match($0, /DONE in [0-9.]+ s/); total = substr($0, RSTART + 8, RLENGTH - 10);
      rest = $0; nova = 0; while (match(rest, /\[Nova [0-9.]+ s\]/)) { nova += substr(rest, RSTART + 6, RLENGTH - 9);
      rest = substr(rest, RSTART + RLENGTH) } printf "%.1f s, of which Nova %.1f s: the controller adds %.1f s", total, nova, total - nova }' <<<"$lm_line")"
  fi
  echo
  echo "Figures:"
  printf '  %s\n' "${summary[@]}"
  if [ -n "$result" ]; then
    local migrations versions moves
    migrations="$(os 2.80 GET "$nova/os-migrations?instance_uuid=$vm" | jq '[.migrations[] | {type: .migration_type, source: .source_compute, dest: .dest_compute, status}]')"
    versions="$(for h in "${hosts[@]}"; do jq -n --arg h "$h" --argjson v "$(replica_version "$h")" '{($h): $v}'; done | jq -s add)"
    # Prefixed by the controller that made each; a controller that made none has no line.
    moves="$({ grep -H -E ': DONE in' "$demo"/controller*.log || true; } \
      | sed -E 's|^.*/(controller[0-9]+)\.log:|\1 |' | jq -R . | jq -s .)"
    jq -n --arg vm "$vm" --arg failed "$failed" --arg final "$target" --arg rto "$rto" \
      --arg rpo "$(seconds_between "$captured" "$killed_at")" --argjson newest "$newest" --argjson before "$n_before" \
      --argjson interval "$interval" --argjson controllers "$controllers" --rawfile timeline "$demo/timeline.txt" \
      --argjson migrations "$migrations" --argjson versions "$versions" --argjson moves "$moves" \
      --argjson figures "$(printf '%s\n' "${summary[@]}" | jq -R . | jq -s .)" \
      '{vm: $vm, interval: $interval, controllers: $controllers, failed: $failed, final: $final,
        rtoSeconds: ($rto | tonumber), rpoSeconds: ($rpo | tonumber), newestRecord: $newest,
        acknowledgedBeforeCapture: $before, migrations: $migrations, replicaVersions: $versions,
        moves: $moves, figures: $figures, timeline: ($timeline | split("\n") | map(select(. != "")))}' >"$result"
  fi
}

# --- stopping what it started ---------------------------------------------------------------------

# After a failure, what the controllers and agents said last: often all that is left of a run in CI.
last_words() {
  local log
  for log in "$demo"/controller*.log "$demo"/compute*/agent.log; do
    [ -f "$log" ] || continue
    echo "demo: the last warnings and actions in ${log#"$demo"/}:" >&2
    grep -E ' (WARN|ERROR) |: MOVE |DONE in|: FAILED|BACK|RETURNING|secondary again|this node is now|rejoin|seed' "$log" \
      | grep -v ' Providers: ' | tail -n 15 | cut -c1-260 | sed 's/^/  /' >&2
  done
}

cleanup() {
  local status=$? host i
  trap - EXIT ERR
  set +e
  if [ "$keep" = true ] && [ "$status" -eq 0 ]; then
    echo "demo: left running (--keep): agents, controllers, guest $vm; state in $demo" >&2
    exit 0
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for host in "${hosts[@]}"; do i="$(live_pid "$demo/$host/agent.pid")" && kill "$i" 2>/dev/null; done
  pkill -f "tail -n \+1 -F $demo/" 2>/dev/null
  wait 2>/dev/null
  if [ -n "$vm" ]; then
    "$guest" stop "$vm" 2>/dev/null
    os 2.74 DELETE "$nova/servers/$vm" >/dev/null 2>&1
  fi
  # Leave the cloud as it was found: every compute running, enabled, not forced down.
  for host in "${hosts[@]}"; do
    "$cloud" start-compute "$host" >/dev/null 2>&1
    [ -n "$token" ] && service_set "$host" '{"status": "enabled", "forced_down": false}' 2>/dev/null
  done
  [ "$started_cloud" = true ] && "$cloud" down
  [ "$started_libvirt" = true ] && "$libvirt" down
  if [ "$status" -ne 0 ]; then
    last_words
    echo "demo: failed; logs in $demo (controllerN.log, computeN/agent.log, timeline.txt)" >&2
  fi
  exit "$status"
}

trap cleanup EXIT
# The line a step failed on, since not every failure has a message of its own; only the demo's own
# shell's (a command substitution inherits the trap, and a test failing in there is no failure).
trap '[ "$BASHPID" = "$$" ] && echo "demo: line $LINENO failed: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM
prepare
clear_previous
run

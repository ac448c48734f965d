#!/usr/bin/env bash
# Understudy's demo: every step of the method on the single-machine cloud, with real agents,
# a real guest booted and moved by Nova, and the controller as operators run it. As root, on
# Debian 12 with JDK 17 and Maven:
#
#   bin/understudy demo [--interval SECONDS] [--controllers 1|2] [--result FILE] [--keep]
#
#   --interval     the replication interval (default 5 s)
#   --controllers  2: two controllers on Quartz's clustered store in the cloud's MariaDB, each
#                  round run by one of them (default 1)
#   --result       also write the figures and checks as one JSON object to FILE
#   --keep         leave the agents, the controllers and the VM running at the end
#
# It brings up the cloud on real computes (devstack/local-cloud.sh up --virt libvirt: Nova's
# libvirt driver, a libvirtd per compute host, guests under QEMU TCG; Nova's default
# service_down_time, a 2 s report_interval) unless it runs so; starts an agent inside each compute
# host, beside its libvirtd, and the controller; boots a protected VM on compute1 from the tiny
# guest image (it writes a numbered record to its disk every 0.1 s and names each on its console);
# then
#   0. compute1 flaps (disabled and enabled again within seconds, three times): nothing moves;
#      a secondary's agent is killed and restarted: it catches up from the version it holds;
#   1. disables compute1 in Nova (the operator's maintenance knob; the rules say a host must be
#      enabled): the controller has Nova live-migrate the VM onto a replica holder, the guest
#      running on through the move; compute1, enabled again, holds a replica and receives deltas;
#   2. fails the VM's new host (its nova-compute and agent killed, its guest still running): the
#      controller detects it, fences it (the guest's QEMU killed on that host), stages the
#      replica on the other holder and has Nova evacuate the VM there: Nova boots the replica;
#   3. brings the failed host back (its agent first, then nova-compute, which cleans up the
#      evacuated instance) as a replica holder;
#   4. checks the data, prints the timeline and the controller's decisions, stops what it started.
# Nothing is simulated: the guest runs only where Nova runs it.
set -eEuo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
readonly here root
readonly cloud="$here/local-cloud.sh" libvirt_host="$here/libvirt-host.sh"
readonly cloud_state="${UNDERSTUDY_CLOUD_DIR:-/var/lib/understudy-cloud}"
readonly demo="${UNDERSTUDY_DEMO_DIR:-/var/lib/understudy-demo}"
readonly hosts=(compute1 compute2 compute3)
readonly controller_ports=(9810 9820) nova=http://127.0.0.1:8774/v2.1 glance=http://127.0.0.1:9292
readonly agent_jar="$root/agent/node/target/understudy-agent.jar"
readonly controller_jar="$root/scheduler-plugin/target/understudy.jar"
readonly step_timeout=180
# Where each host's agent keeps its data: in the host's own storage (its instances path), which a
# host's failure leaves as it was, like a real disk.
readonly agent_data=.understudy-demo

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
replica_version() {
  local v
  v="$(agent "$1" GET "/v1/replicas/$vm" 2>/dev/null | jq -r '.version' 2>/dev/null)" || true
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo -1
}

# --- the compute hosts: a libvirtd each, in its own mount and UTS namespace -----------------------

host_storage() { echo "$cloud_state/hosts/$1/instances"; }
host_pid() { "$libvirt_host" pid "$cloud_state/hosts/$1" || die "$1's libvirtd does not run"; }
# Runs a command inside HOST, where the instances path is that host's storage and qemu:///system
# its libvirtd.
in_host() {
  local host=$1
  shift
  nsenter -t "$(host_pid "$host")" -m -u -- "$@"
}
# The VM's console log on HOST, as that host's virtlogd writes it for Nova.
console_of() { echo "$(host_storage "$1")/$vm/console.log"; }

# --- setting up -----------------------------------------------------------------------------------

started_cloud=false
pids=()
vm=""

prepare() {
  export DEBIAN_FRONTEND=noninteractive
  command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends jq >/dev/null; }
  "$cloud" status >/dev/null 2>&1 || started_cloud=true
  "$cloud" install
  "$cloud" up --virt libvirt --report-interval 2 --service-down-time 60
  if [ ! -f "$agent_jar" ] || [ ! -f "$controller_jar" ]; then
    echo "demo: building the jars (mvn package, first run only)" >&2
    (cd "$root" && mvn -B -q -DskipTests package -pl agent/node,scheduler-plugin -am >&2)
  fi
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
    os 2.74 DELETE "$nova/servers/$(cat "$demo/vm")" >/dev/null 2>&1 || true
  fi
  remove_agent_data
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

remove_agent_data() {
  local host
  for host in "${hosts[@]}"; do rm -rf "$(host_storage "$host")/${agent_data:?}"; done
}

# The agent of HOST, inside it: beside its libvirtd, on its instances path, its data in its storage.
start_agent() {
  local host=$1 home="$demo/$1"
  mkdir -p "$home"
  chmod 755 "$home"
  cat >"$home/agent.yaml" <<EOF
host: $host
listen: 127.0.0.1:$(agent_port "$host")
dataDir: $cloud_state/instances/$agent_data
instancesPath: $cloud_state/instances
libvirt: {uri: 'qemu:///system'}
auth: {mode: token, tokenFile: $demo/cluster.token}
EOF
  # nsenter (entering no PID namespace) execs the JVM: $! is the agent's own PID, which the fence
  # and the failure kill.
  nsenter -t "$(host_pid "$host")" -m -u -- java -Xmx192m -jar "$agent_jar" serve --config "$home/agent.yaml" >>"$home/agent.log" 2>&1 &
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
      echo "openstack: {cloudsYaml: $cloud_state/clouds.yaml, cloud: understudy-controller}"
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
  flavor="$(os 2.74 GET "$nova/flavors" | jq -r '.flavors[] | select(.name == "understudy.guest") | .id')"
  # The operator protects a flavor's servers (openstack flavor set --property understudy:protect=true):
  # the controller's default. Server metadata, which tenants set, protects only where the rules allow it.
  os 2.74 POST "$nova/flavors/$flavor/os-extra_specs" -d '{"extra_specs": {"understudy:protect": "true"}}' >/dev/null
  image="$(curl -sS -f -H "X-Auth-Token: $token" "$glance/v2/images?name=understudy-guest" | jq -r '.images[0].id')"
  body="$(jq -n --arg f "$flavor" --arg i "$image" '{server: {name: "understudy-demo", flavorRef: $f,
    imageRef: $i, networks: "none", host: "compute1"}}')"
  vm="$(os 2.74 POST "$nova/servers" -d "$body" | jq -r '.server.id')"
  echo "$vm" >"$demo/vm"
}

# --- the guest's console, on each host ------------------------------------------------------------

# Timestamps each line of the VM's console log on HOST as the guest prints it, into
# $demo/HOST.console: "EPOCH understudy-record N slot S". Follows the file across its removal
# (Nova's clean-up) and creation (a boot or a migration onto HOST).
stamp_console() {
  local host=$1
  tail -n +1 -F "$(console_of "$host")" 2>/dev/null | while IFS= read -r line; do
    # A serial console ends its lines with CR LF.
    printf '%s %s\n' "$(date +%s.%N)" "${line%$'\r'}"
  done >>"$demo/$host.console" &
  pids+=($!)
}

# The guest's last record on HOST's console (0 if none) and the instant the demo saw it.
last_record() { awk '$2 == "understudy-record" { n = $3; t = $1 } END { print n + 0, t + 0 }' "$demo/$1.console" 2>/dev/null || echo "0 0"; }
# The guest's records on HOST, counted.
records_on() { grep -c ' understudy-record ' "$demo/$1.console" 2>/dev/null || true; }
# "understudy-guest resume N" on HOST after the instant SINCE (default: ever): the guest booted there
# from a disk whose newest record is N.
resumed_on() {
  awk -v since="${2:-0}" '$1 > since && $2 == "understudy-guest" && $3 == "resume" { n = $4 } END { if (n != "") print n }' \
    "$demo/$1.console" 2>/dev/null
}
# "N EPOCH": the first record printed on HOST after the guest's last boot there after the instant SINCE.
first_after_resume() {
  awk -v since="$2" '$1 > since && $2 == "understudy-guest" && $3 == "resume" { r = 1; f = ""; next }
    r && f == "" && $2 == "understudy-record" { f = $3 " " $1 } END { if (f != "") print f }' "$demo/$1.console" 2>/dev/null
}
guest_writing() { [ "$(records_on "$1")" -ge "${2:-20}" ]; }
guest_resumed() { [ -n "$(first_after_resume "$1" "$2")" ]; }

# Judges the VM's disk on HOST as it is now (qemu-img reads it beside the running guest, inside the
# host where its backing file lies): tiny-guest/judge.py's JSON.
judge_disk() {
  local host=$1 raw="$demo/$1-disk.raw"
  in_host "$host" qemu-img convert -U -O raw "$cloud_state/instances/$vm/disk" "$raw"
  /usr/bin/python3 "$here/tiny-guest/judge.py" "$raw" || true
  rm -f "$raw"
}

# Judges the newest version of the VM's replica on HOST (its top layer, read through its chain).
judge_replica() {
  local host=$1 raw="$demo/$1-replica.raw" replica="$cloud_state/instances/$agent_data/replicas/$vm" top
  top="$(jq -r '.chain[-1]' "$(host_storage "$host")/$agent_data/replicas/$vm/state.json")"
  in_host "$host" qemu-img convert -U -O raw "$replica/$top" "$raw"
  /usr/bin/python3 "$here/tiny-guest/judge.py" "$raw" || true
  rm -f "$raw"
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

# One read a poll: Nova's one API worker serves the controllers' reads of the move too.
server_away_from() {
  local seen
  seen="$(server '(.server."OS-EXT-SRV-ATTR:host" // "") + " " + .server.status + " "
    + (.server."OS-EXT-STS:task_state" // "")')"
  [[ "$seen" =~ ^([^ ]+)\ ACTIVE\ $ ]] && [ "${BASH_REMATCH[1]}" != "$1" ]
}
not_forced_down() { [ "$(os 2.53 GET "$nova/os-services?binary=nova-compute&host=$1" | jq -r '.services[0].forced_down')" = false ]; }

# True once every HOST:VERSION given holds a replica of at least that version.
versions_reached() {
  local pair
  for pair in "$@"; do [ "$(replica_version "${pair%%:*}")" -ge "${pair#*:}" ] || return 1; done
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
  figure "agent CPU per protected VM (the guest writing a 4 KiB record every 0.1 s, ${interval} s interval): $cpu % of a core"
}

run() {
  local t0 t1 target failed other rto rpo killed_at n_before lm_line lm_lost i host pid before last wanted resumed \
    first first_at judged
  event "cloud up: Nova with compute1..3 on its libvirt driver (a libvirtd each, QEMU TCG; report_interval 2s, service_down_time 60s)"
  printf '%s\n' "$(head -c 24 /dev/urandom | base64 | tr -d '/+=')-understudy-demo" >"$demo/cluster.token"
  for host in "${hosts[@]}"; do start_agent "$host"; done
  for host in "${hosts[@]}"; do wait_for 90 "$host's agent" agent_answers "$host"; done
  event "agents answer on 127.0.0.1:9811..9813 (one inside each compute host, beside its libvirtd; token auth)"
  start_controllers
  for ((i = 0; i < controllers; i++)); do
    wait_for 90 "controller $((i + 1))" curl -s -f -o /dev/null "http://127.0.0.1:${controller_ports[i]}/v1/health"
  done
  event "$controllers controller(s) serving (rules: a host must be enabled in Nova for 5 s; replication every ${interval}s)"

  boot_vm
  for host in "${hosts[@]}"; do stamp_console "$host"; done
  wait_for "$step_timeout" "the VM ACTIVE on compute1" server_settled
  wait_for "$step_timeout" "the guest on compute1 writing" guest_writing compute1 1
  event "VM $vm ACTIVE on compute1, protected by its flavor's extra spec understudy:protect=true: Nova booted the guest ($(in_host compute1 virsh -q -c qemu:///system domstate "$vm" 2>/dev/null | head -n 1) on compute1's libvirtd); it writes a numbered record every 0.1 s"

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

  # 1. compute1 out of its operating range: Nova live-migrates the running guest.
  read -r before _ < <(last_record compute1)
  t0=$(now)
  service_set compute1 '{"status": "disabled", "disabled_reason": "understudy demo: maintenance"}'
  event "step 1: compute1 disabled in Nova (maintenance): out of range for its VMs; the guest is at record $before"
  wait_for "$step_timeout" "the live migration off compute1" server_away_from compute1
  t1=$(now)
  target="$(server_host)"
  event "VM ACTIVE on $target by Nova's live migration, $(seconds_between "$t0" "$t1") s after compute1 was disabled"
  figure "live migration: compute1 disabled -> ACTIVE on $target: $(seconds_between "$t0" "$t1") s"
  wait_for 60 "the guest writing on $target" guest_writing "$target" 1
  # Continuity, judged at once: no boot on the new host; the first record there follows the last
  # one the guest acknowledged on compute1; and the disk it runs on holds every record up to the
  # newest, those written on compute1 up to the switch-over included (256 slots: the last 256).
  read -r last _ < <(last_record compute1)
  judged="$(judge_disk "$target")"
  read -r first _ < <(awk -v since="$t0" '$1 > since && $2 == "understudy-record" { print $3; exit }' "$demo/$target.console")
  [ -z "$(resumed_on "$target" "$t0")" ] || die "the guest booted on $target: the live migration did not carry it"
  [ "$(jq -r .problem <<<"$judged")" = null ] || die "the disk on $target after the live migration: $(jq -r .problem <<<"$judged")"
  [ "$first" -le $((last + 1)) ] || die "records $((last + 1))..$((first - 1)) were never printed: the guest's console skipped them"
  [ "$(jq -r .newest <<<"$judged")" -le $((last + 255)) ] || die "judged too late: the disk on $target no longer holds record $last ($judged)"
  lm_lost=0
  event "the guest ran on through the move: no boot on $target; its last record on compute1 was $last, its first on $target $first; the disk holds every record up to $(jq -r .newest <<<"$judged") (records lost: 0)"
  figure "live migration: the guest's records went on with no boot; records lost: $lm_lost"
  service_set compute1 '{"status": "enabled"}'
  event "compute1 enabled again (maintenance over)"
  wait_for "$step_timeout" "compute1 holding a current replica" caught_up compute1 "$target"
  event "compute1 is a replica holder again: version $(replica_version compute1) (primary $target)"
  other="$(third_host "$target" compute1)"
  wait_for "$step_timeout" "$other holding a current replica" caught_up "$other" "$target"

  # 2. The VM's new host fails, once two more rounds reached its replica holders after the guest
  # acknowledged record n_before: every record up to it must survive.
  failed=$target
  read -r n_before _ < <(last_record "$failed")
  wanted=()
  for host in compute1 "$other"; do wanted+=("$host:$(( $(replica_version "$host") + 2 ))"); done
  wait_for "$step_timeout" "two more rounds on the replica holders" versions_reached "${wanted[@]}"
  # The agent first: a round it finished after the instant of failure would make the RPO negative.
  read -r pid _ <"$demo/$failed/agent.pid"
  killed_at=$(now)
  kill -KILL "$pid"
  "$cloud" kill-compute "$failed" >/dev/null 2>&1
  # What each holder has at the failure (no round can reach them any more): the RPO is the age of
  # the newest version on the host that boots it.
  for host in compute1 "$other"; do agent "$host" GET "/v1/replicas/$vm" >"$demo/at-failure-$host.json"; done
  event "step 2: $failed fails: its nova-compute and agent killed (its guest runs on until fenced); the guest had acknowledged record $n_before before the last two rounds"
  wait_for "$step_timeout" "the evacuation off $failed" server_away_from "$failed"
  rto="$(seconds_between "$killed_at" "$(now)")"
  target="$(server_host)"
  event "VM ACTIVE on $target by evacuation, $rto s after $failed failed (Nova itself would call it down after 60 s)"
  figure "failover: $failed failed -> ACTIVE on $target: $rto s (RTO)"
  # Since the failure: the guest may have run on this host before.
  wait_for 60 "the guest booted on $target writing" guest_resumed "$target" "$killed_at"
  resumed="$(resumed_on "$target" "$killed_at")"
  read -r first first_at < <(first_after_resume "$target" "$killed_at")
  event "Nova booted the staged replica on $target: the guest resumed after record $resumed; its first new record ($first) $(seconds_between "$killed_at" "$first_at") s after the failure"
  figure "failover: $failed failed -> the guest's first new record on $target: $(seconds_between "$killed_at" "$first_at") s"
  [ "$resumed" -ge "$n_before" ] || die "the replica lacks records $((resumed + 1))..$n_before, acknowledged before two rounds reached it"
  # The agents write instants in ISO-8601 (UTC).
  rpo="$(seconds_between "$(date -d "$(jq -r .capturedAt "$demo/at-failure-$target.json")" +%s.%N)" "$killed_at")"
  event "data: the replica Nova booted (version $(jq -r .version "$demo/at-failure-$target.json")) was captured $rpo s before the failure (RPO) and holds every record up to $resumed; $n_before was required"
  figure "RPO at a ${interval} s interval: $rpo s; every record acknowledged before the last round is on the replica"
  judged="$(judge_replica "$(third_host "$target" "$failed")")"
  [ "$(jq -r .problem <<<"$judged")" = null ] || die "the replica on $(third_host "$target" "$failed"): $(jq -r .problem <<<"$judged")"
  event "the other holder's replica ($(third_host "$target" "$failed")) is a point-in-time copy of the guest's disk: newest record $(jq -r .newest <<<"$judged")"

  # 3. The failed host returns: its agent first (it keeps the old disk), then nova-compute, whose
  # start-up destroys and cleans up the instance evacuated away from it.
  start_agent "$failed"
  wait_for 90 "$failed's agent" agent_answers "$failed"
  "$cloud" start-compute "$failed" >/dev/null 2>&1
  event "step 3: $failed returns: its agent (keeping its old disk) and then its nova-compute (which deletes the evacuated instance)"
  wait_for "$step_timeout" "$failed brought back (forced_down lifted)" not_forced_down "$failed"
  wait_for "$step_timeout" "$failed holding a current replica" caught_up "$failed" "$target"
  event "$failed is a replica holder again: version $(replica_version "$failed") (primary $target)"

  echo
  echo "The controllers' decisions and moves (from their logs):"
  grep -h -E ': MOVE |: begins|DONE in|: FAILED:|forced_down lifted|a secondary again' "$demo"/controller*.log \
    | cut -c1-240 | sed 's/^/  /' || true
  lm_line="$(grep -h -m1 -E 'live migration of .*: DONE in' "$demo"/controller*.log || true)"
  if [ -n "$lm_line" ]; then
    # The controller's own time, as its summary line gives it in milliseconds: the whole move less
    # the time Nova itself took (rounded seconds would make a tenth of a second of it).
    figure "live migration, decision to done: $(sed -E 's/.*DONE in ([0-9.]+ s).*\[Nova ([0-9.]+ s)\].*the controller.s share ([0-9]+ ms).*/\1, of which Nova \2: the controller adds \3 (target <= 500 ms)/' <<<"$lm_line")"
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
    jq -n --arg vm "$vm" --arg failed "$failed" --arg final "$target" --arg rto "$rto" --arg rpo "$rpo" \
      --arg first "$(seconds_between "$killed_at" "$first_at")" --argjson resumed "$resumed" --argjson before "$n_before" \
      --argjson lmLost "$lm_lost" --argjson interval "$interval" --argjson controllers "$controllers" \
      --rawfile timeline "$demo/timeline.txt" \
      --argjson migrations "$migrations" --argjson versions "$versions" --argjson moves "$moves" \
      --argjson figures "$(printf '%s\n' "${summary[@]}" | jq -R . | jq -s .)" \
      '{vm: $vm, interval: $interval, controllers: $controllers, failed: $failed, final: $final,
        rtoSeconds: ($rto | tonumber), firstRecordSeconds: ($first | tonumber), rpoSeconds: ($rpo | tonumber),
        resumedAfter: $resumed, acknowledgedBeforeRounds: $before, liveMigrationRecordsLost: $lmLost,
        migrations: $migrations, replicaVersions: $versions,
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
      | grep -v ' Providers: ' | distinct | tail -n 15 | cut -c1-1200 | sed 's/^/  /' >&2
  done
  # A move Nova ended in failure says why only in its computes' logs.
  for log in "$cloud_state"/log/nova-compute*.log "$cloud_state"/log/nova-conductor.log; do
    [ -f "$log" ] || continue
    echo "demo: the last errors in the cloud's ${log##*/}:" >&2
    grep -E ' (ERROR|WARNING) ' "$log" | distinct 3 | tail -n 8 | cut -c1-600 | sed 's/^/  /' >&2
  done
}

# Lines whose message (all but the first N fields: time stamp, pid) repeats the line before are left
# out: a round that fails the same way every 2 s would push every other line out of the tail.
distinct() {
  awk -v n="${1:-1}" '{ line = $0; for (i = 1; i <= n; i++) $i = ""; if ($0 != previous) print line; previous = $0 }'
}

cleanup() {
  local status=$? host i
  trap - EXIT ERR
  set +e
  if [ "$keep" = true ] && [ "$status" -eq 0 ]; then
    echo "demo: left running (--keep): agents, controllers, VM $vm; state in $demo" >&2
    exit 0
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for host in "${hosts[@]}"; do i="$(live_pid "$demo/$host/agent.pid")" && kill "$i" 2>/dev/null; done
  pkill -f "tail -n \+1 -F $cloud_state/hosts/" 2>/dev/null
  wait 2>/dev/null
  # Leave the cloud as it was found: every compute running, enabled, not forced down; then the VM
  # deleted by Nova (a compute that is down would leave its guest running).
  for host in "${hosts[@]}"; do
    # The agents are gone: what one killed mid-round left would stop nova-compute's start-up.
    "$cloud" park-checkpoints "$host" >/dev/null 2>&1
    "$cloud" start-compute "$host" >/dev/null 2>&1
    [ -n "$token" ] && service_set "$host" '{"status": "enabled", "forced_down": false}' 2>/dev/null
  done
  if [ -n "$vm" ]; then
    os 2.74 DELETE "$nova/servers/$vm" >/dev/null 2>&1
    SECONDS=0
    while os 2.74 GET "$nova/servers/$vm" >/dev/null 2>&1 && [ "$SECONDS" -lt 120 ]; do sleep 1; done
  fi
  remove_agent_data
  [ "$started_cloud" = true ] && "$cloud" down
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

#!/usr/bin/env bash
# Runs Understudy's devstack plugin through its phases as devstack runs it, and checks what each did:
# `stack pre-install`, `install`, `post-config`, `extra` and `test-config` in one shell as stack.sh
# (errexit on, the plugin's settings sourced first, then `source plugin.sh stack PHASE`), then
# `unstack` as unstack.sh and `clean` as clean.sh (which runs unstack.sh first), each in a shell
# of its own. The devstack functions the plugin calls are devstack/test/devstack-functions.
#
#   devstack/test/plugin-phases.sh [--tarball FILE] [--cloud CLOUDS_YAML CLOUD]
#
# --tarball FILE   the release `stack install` installs (UNDERSTUDY_TARBALL); without it, it builds
#                  one from this repository with Maven
# --cloud ...      against a real cloud: CLOUD in CLOUDS_YAML is its admin; its Keystone gets the
#                  controller's user, its Nova the protected flavor, and the controller reads it.
#                  The user, the flavor and the role `service` (which devstack makes and a cloud
#                  installed otherwise may lack) are deleted at the end if this run made them.
#                  Without it, the Keystone calls are recorded and checked, and the controller
#                  finds no Keystone (it serves its status API all the same).
#
# Everything the plugin writes lands in a scratch directory (DEST, DATA_DIR, the configuration
# directory, Nova's configuration, systemd's directory); the agent runs as root on 127.0.0.1 with
# the machine's libvirtd URI, and both daemons on free ports. Exit 0 when every check held.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tarball=""
clouds_yaml=""
cloud=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tarball) tarball="$(readlink -f "$2")"; shift 2 ;;
    --cloud) clouds_yaml="$(readlink -f "$2")"; cloud="$3"; shift 3 ;;
    *) echo "usage: $0 [--tarball FILE] [--cloud CLOUDS_YAML CLOUD]" >&2; exit 2 ;;
  esac
done
[ -z "$tarball" ] || [ -f "$tarball" ] || { echo "plugin-phases.sh: --tarball $tarball: no such file" >&2; exit 2; }
[ -z "$clouds_yaml" ] || [ -f "$clouds_yaml" ] || { echo "plugin-phases.sh: --cloud $clouds_yaml: no such file" >&2; exit 2; }

scratch="$(mktemp -d "${TMPDIR:-/tmp}/plugin-phases.XXXXXX")"
world="$scratch/world"   # what the plugin may write to, and must leave as it found it
state="$scratch/harness" # the harness's own: pids, logs, what was asked
mkdir -p "$world/opt/stack/data/nova/instances" "$world/etc/nova" "$world/etc/systemd/system" "$state"
ln -s "$repo" "$world/opt/stack/understudy"
printf '[DEFAULT]\n' >"$world/etc/nova/nova.conf"

# Stops what run_process started, and leaves the scratch directory to look at.
fail() {
  echo "plugin-phases.sh: FAILED: $*" >&2
  local log pidfile
  for log in "$state"/log/*.log; do
    [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 15 "$log" >&2; }
  done
  for pidfile in "$state"/run/*.pid; do
    [ -f "$pidfile" ] && kill -KILL -- "-$(cat "$pidfile")" 2>/dev/null
  done
  echo "plugin-phases.sh: what the phases wrote: $scratch" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the cloud, in devstack's terms ---------------------------------------------------------------
keystone_uri="https://127.0.0.1:$(free_port)/identity"
made=()
if [ -n "$clouds_yaml" ]; then
  # devstack's clouds.yaml names the admin devstack-admin and devstack-system-admin; here both are CLOUD.
  python3 - "$clouds_yaml" "$cloud" "$state/clouds.yaml" <<'PY'
import sys, yaml
source, name, target = sys.argv[1:]
entry = yaml.safe_load(open(source))["clouds"][name]
yaml.safe_dump({"clouds": {"devstack-admin": entry, "devstack-system-admin": entry}}, open(target, "w"))
PY
  export HARNESS_CLOUD="$state/clouds.yaml" OS_CLIENT_CONFIG_FILE="$state/clouds.yaml" OS_CLOUD=devstack-admin
  keystone_uri="$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["clouds"]["devstack-admin"]["auth"]["auth_url"].removesuffix("/").removesuffix("/v3"))' "$HARNESS_CLOUD")"
  region="$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["clouds"]["devstack-admin"].get("region_name", "RegionOne"))' "$HARNESS_CLOUD")"
  for thing in "role service" "role understudy" "user understudy" "flavor understudy.protected" \
    "service instance-replication"; do
    read -r kind name <<<"$thing"
    openstack "$kind" show "$name" >/dev/null 2>&1 || made+=("$thing")
  done
  [[ " ${made[*]} " == *" user understudy "* ]] || fail "the cloud has a user 'understudy' already: the plugin would not set its password; delete it first"
  if [[ " ${made[*]} " == *" role service "* ]]; then
    openstack role create service >/dev/null
  fi
fi

remove_what_was_made() {
  local thing kind name
  for thing in "${made[@]}"; do
    read -r kind name <<<"$thing"
    openstack "$kind" delete "$name" || echo "plugin-phases.sh: $kind $name is left in the cloud" >&2
  done
}
[ -z "$clouds_yaml" ] || trap remove_what_was_made EXIT

# --- local.conf and devstack's own variables --------------------------------------------------------
agent_port="$(free_port)"
controller_port="$(free_port)"
ca="$state/ca"
# devstack's tls-proxy: Keystone at https, devstack's CA in SSL_BUNDLE_FILE (without a cloud, a CA
# of the harness's own, which the controller's trust store must then hold).
if [ -z "$clouds_yaml" ]; then
  mkdir -p "$ca"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca/ca.key" \
    -subj "/CN=plugin-phases CA" -days 1 -out "$ca/ca.crt" 2>/dev/null
  cat "$ca/ca.crt" >"$world/opt/stack/data/ca-bundle.pem"
fi
cat >"$state/environment" <<EOF
# The environment stack.sh, unstack.sh and clean.sh give a plugin, on a node with keystone, Nova's
# API and nova-compute; then local.conf's [[local|localrc]].
source "$here/devstack-functions"
DEST="$world/opt/stack"
DATA_DIR="$world/opt/stack/data"
STACK_USER="$(id -un)"
HOST_IP=127.0.0.1
SERVICE_HOST=127.0.0.1
SERVICE_TIMEOUT=60
SERVICE_PASSWORD="$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
SERVICE_PROJECT_NAME=service
SERVICE_DOMAIN_NAME=Default
REGION_NAME="${region:-RegionOne}"
KEYSTONE_SERVICE_URI="$keystone_uri"
SSL_BUNDLE_FILE="$world/opt/stack/data/ca-bundle.pem"
NOVA_CONF="$world/etc/nova/nova.conf"
NOVA_INSTANCES_PATH="$world/opt/stack/data/nova/instances"
SYSTEMD_DIR="$world/etc/systemd/system"
SYSTEMCTL=harness_systemctl
ENABLED_SERVICES=key,n-api,n-cpu
DISABLED_SERVICES=
HARNESS_STATE="$state"

UNDERSTUDY_CONF_DIR="$world/etc/understudy"
UNDERSTUDY_AGENT_PORT=$agent_port
UNDERSTUDY_CONTROLLER_PORT=$controller_port
UNDERSTUDY_REPLICATION_INTERVAL=15
UNDERSTUDY_NOVA_REPORT_INTERVAL=2
UNDERSTUDY_TARBALL="$tarball"
EOF
# As load_plugin_settings: the plugin's settings, before any phase.
settings="source \"$state/environment\"; source \"$world/opt/stack/understudy/devstack/settings\""
# The lines that source plugin.sh as run_phase does, for a phase's shell.
phase() {
  echo "echo '== plugin.sh $*'; source \"$world/opt/stack/understudy/devstack/plugin.sh\" $*"
}

# --- stack.sh ---------------------------------------------------------------------------------------
find "$world" | sort >"$state/before"
began=$SECONDS
bash -c "set -o errexit; $settings
  # stack.sh's own, for its phases only (unstack.sh and clean.sh have none).
  function echo_summary { echo \"\$@\"; }
  $(phase stack pre-install)
  $(phase stack install)
  $(phase stack post-config)
  $(phase stack extra)
  $(phase stack test-config)" >"$state/stack.log" 2>&1 || { cat "$state/stack.log" >&2; fail "stack.sh's phases"; }
echo "plugin-phases.sh: stack.sh's phases took $((SECONDS - began)) s"

conf="$world/etc/understudy"
release="$world/opt/stack/understudy-release"
has() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2'"; }
has "$conf/agent.yaml" "listen: 127.0.0.1:$agent_port"
has "$conf/agent.yaml" "instancesPath: $world/opt/stack/data/nova/instances"
has "$conf/agent.yaml" "tokenFile: $conf/cluster.token"
has "$conf/controller.yaml" "listen: 127.0.0.1:$controller_port"
has "$conf/controller.yaml" "rules: $conf/rules.yaml"
has "$conf/controller.yaml" "dryRun: false"
has "$conf/controller.yaml" "clusterTokenFile: $conf/cluster.token"
has "$conf/controller.yaml" "reportInterval: 2s"
has "$conf/rules.yaml" "replicationInterval: 15s"
has "$conf/rules.yaml" "the extra spec understudy:protect=true"
! grep -q "^protect:" "$conf/rules.yaml" || fail "$conf/rules.yaml names what it protects: the default (a flavor's extra spec) is meant"
has "$conf/clouds.yaml" "auth_url: $keystone_uri/v3"
has "$world/etc/nova/policy.d/understudy.yaml" '"context_is_admin": "role:admin or role:understudy"'
has "$world/etc/nova/nova.conf" "report_interval = 2"
has "$world/etc/systemd/system/devstack@n-cpu.service.d/understudy.conf" "After=devstack@understudy-agent.service"
[ -x "$release/bin/understudy-agent" ] || fail "no release in $release"

# Both daemons run the release's jars, and answer.
for service in understudy-agent understudy-controller; do
  pid="$(cat "$state/run/$service.pid" 2>/dev/null)" || fail "$service was not started"
  pgrep -s "$pid" -a java | grep -qF "$release/lib/" || fail "$service does not run a jar of $release/lib"
done
token="$(cat "$conf/cluster.token")"
agent_health="$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$agent_port/v1/health")" \
  || fail "the agent's /v1/health with the cluster token"
[[ "$agent_health" == *'"status":"ok"'* ]] || fail "the agent's health: $agent_health"
controller_health="$(curl -sf "http://127.0.0.1:$controller_port/v1/health")" || fail "the controller's /v1/health"
[[ "$controller_health" == *'"dryRun":false'* ]] || fail "the controller's health: $controller_health"
echo "plugin-phases.sh: agent $agent_health; controller $controller_health"

if [ -z "$clouds_yaml" ]; then
  for asked in "create_service_user understudy" "get_or_create_role understudy" \
    "get_or_add_user_project_role understudy understudy service Default Default" \
    "get_or_create_service understudy instance-replication Understudy: live replicas of protected VMs, and their moves" \
    "get_or_create_endpoint instance-replication RegionOne http://127.0.0.1:$controller_port" \
    "openstack --os-region-name=RegionOne flavor create --ram 512 --disk 1 --vcpus 1 --property understudy:protect=true understudy.protected"; do
    grep -qxF "$asked" "$state/asked" || fail "the plugin did not ask '$asked' (it asked: $(tr '\n' ';' <"$state/asked"))"
  done
  keytool -list -keystore "$conf/truststore.p12" -storepass understudy | grep -q "devstack-1" \
    || fail "the controller's trust store lacks devstack's CA"
  pgrep -s "$(cat "$state/run/understudy-controller.pid")" -a java | grep -qF -- "-Djavax.net.ssl.trustStore=$conf/truststore.p12" \
    || fail "the controller's JVM does not use the trust store"
else
  openstack user show understudy >/dev/null || fail "no Keystone user 'understudy'"
  roles="$(openstack role assignment list --user understudy --names -f value -c Role | sort | tr '\n' ' ')"
  [[ "$roles" == "service understudy " ]] || fail "the user understudy has the roles '$roles', not service and understudy"
  openstack flavor show understudy.protected -f value -c properties | grep -q "understudy:protect" \
    || fail "no flavor 'understudy.protected' with the extra spec understudy:protect"
  # The catalog leads to the controller's API, and it takes the admin's Keystone token.
  url="$(openstack endpoint list --service instance-replication --interface public -f value -c URL)"
  [[ "$url" == "http://127.0.0.1:$controller_port" ]] || fail "the catalog's understudy endpoint is '$url'"
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $(openstack token issue -f value -c id)" \
    "$url/v1/detection")"
  [[ "$code" == 200 ]] || fail "GET $url/v1/detection with the admin's Keystone token: HTTP $code"
  # The controller logged in and read Nova: its rounds end without "round failed".
  sleep 12
  ! grep -q "round failed" "$state/log/understudy-controller.log" || fail "the controller's rounds failed"
fi

# --- unstack.sh, then clean.sh (which runs unstack.sh first) -----------------------------------------
bash -c "$settings; $(phase unstack)" >"$state/unstack.log" 2>&1 || { cat "$state/unstack.log" >&2; fail "unstack"; }
for port in "$agent_port" "$controller_port"; do
  ! curl -s -o /dev/null "http://127.0.0.1:$port/" || fail "something still answers on port $port after unstack"
done
[ -z "$(ls "$state/run")" ] || fail "pid files left after unstack: $(ls "$state/run")"
bash -c "$settings; $(phase unstack); $(phase clean)" >"$state/clean.log" 2>&1 || { cat "$state/clean.log" >&2; fail "clean"; }
find "$world" | sort >"$state/after"
diff "$state/before" "$state/after" >&2 || fail "clean left the files above"
# What this run made in the cloud goes before the scratch directory, which holds the admin's clouds.yaml.
if [ -n "$clouds_yaml" ]; then
  trap - EXIT
  remove_what_was_made
  for thing in "${made[@]}"; do
    read -r kind name <<<"$thing"
    ! openstack "$kind" show "$name" >/dev/null 2>&1 || fail "$kind $name is still in the cloud"
  done
fi
echo "plugin-phases.sh: every check held"
rm -rf "$scratch"

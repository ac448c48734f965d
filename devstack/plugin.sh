# shellcheck shell=bash
# Understudy's devstack plugin: `enable_plugin understudy <repository> [branch]` in local.conf.
#
# stack.sh calls it with a mode and a phase (unstack.sh and clean.sh with a mode alone); what each does:
#   stack install      unpack a release of Understudy: UNDERSTUDY_TARBALL, or one built from this
#                      clone with Maven (JDK 17 and Maven from the distribution)
#   stack post-config  write the agent's and the controller's configuration and the rules from
#                      devstack's variables; create the controller's Keystone user (roles service
#                      and understudy, no admin), its Nova policy and its catalog entry
#   stack extra        create the protected flavor; start the agent on compute nodes and the
#                      controller (run_process), and wait until they answer
#   unstack            stop them
#   clean              remove their configuration, data, release and Nova policy file
# Variables: lib/understudy. Its phases are tested by devstack/test/plugin-phases.sh.

_XTRACE_UNDERSTUDY_PLUGIN=$(set +o | grep xtrace)
set -o xtrace

# shellcheck source=devstack/lib/understudy
source "$UNDERSTUDY_DIR/devstack/lib/understudy"

if is_service_enabled understudy-agent understudy-controller; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Understudy"
        install_understudy
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Understudy"
        configure_understudy
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Starting Understudy"
        start_understudy
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_understudy
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_understudy
    fi
fi

$_XTRACE_UNDERSTUDY_PLUGIN

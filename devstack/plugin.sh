# shellcheck shell=bash
# Understudy's devstack plugin: `enable_plugin understudy <repository> [branch]` in local.conf.
#
# stack.sh calls it with a mode and a phase; what each does:
#   stack install      build the jars (JDK 17 and Maven from the distribution)
#   stack post-config  write the agent's and the controller's configuration from devstack's
#                      variables; create the controller's Keystone user
#   stack extra        start the agent on compute nodes and the controller (run_process)
#   unstack            stop them
#   clean              remove their configuration and data
# Variables: lib/understudy.

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

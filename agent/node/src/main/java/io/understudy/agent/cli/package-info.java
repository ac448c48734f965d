/**
 * The agent's command line ({@code bin/understudy-agent}): the daemon ({@code serve}), keeping the
 * disks of the VMs this node is primary for before nova-compute starts ({@code preserve}), image
 * tools (map, diff, apply, check) and benchmarks.
 * Exit codes: 0 ok, 2 usage, 3 bad input (damaged or refused image or delta),
 * 1 an internal fault; every error is one line on stderr.
 */
package io.understudy.agent.cli;

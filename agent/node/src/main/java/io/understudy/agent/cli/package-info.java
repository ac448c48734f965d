/**
 * The agent's command line ({@code bin/understudy-agent}): image tools (map, diff, apply, check).
 * Exit codes: 0 ok, 2 usage, 3 bad input (damaged or refused image or delta),
 * 1 an internal fault; every error is one line on stderr.
 */
package io.understudy.agent.cli;

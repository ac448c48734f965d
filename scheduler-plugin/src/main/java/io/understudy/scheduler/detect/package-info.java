/**
 * Failure detection (DESIGN.md, "Failure"): every agent's {@code /v1/health} probed each second,
 * Nova's compute services read as a second channel, a host's BMC as another where one is
 * configured. {@link io.understudy.scheduler.detect.Detector} is the pure core: probe history,
 * reports and clock in, OK / SUSPECT / FAILED with a reason out. A FAILED host (its agent missed
 * its probes and another channel agrees) is a failed host for the rounds, which fail its VMs
 * over through the same decisions and moves as the rules; detection asks for a round at once
 * rather than waiting for the next. A SUSPECT host is shown and logged, never acted on.
 */
package io.understudy.scheduler.detect;

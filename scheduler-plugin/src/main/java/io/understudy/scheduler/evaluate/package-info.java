/**
 * Judging hosts against the rules (CLAIM.md, step 4): a pure function from the hosts' values,
 * the rules, the failed hosts, the time and the breaches carried over from the last round to a
 * verdict per host and rule. Hysteresis: a value outside its range is {@code PENDING} until the
 * breach has lasted the rule's {@code for:} without interruption, so a host hovering at a limit
 * does not make VMs flap. Each host is judged once per round, whatever number of VMs it concerns.
 */
package io.understudy.scheduler.evaluate;

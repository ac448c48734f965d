/**
 * Hosts' BMCs through Redfish (DMTF's standard, what real clouds' BMCs speak): whether a host's
 * power is on ({@link io.understudy.scheduler.bmc.PowerChannel}, the failure detector's second
 * channel) and powering it off (the Redfish fencer in {@code moves}). No state: every answer is
 * the BMC's, read when asked.
 */
package io.understudy.scheduler.bmc;

/**
 * Quartz: the evaluation round and the replica-placement round as jobs, never two of a kind at
 * once. In memory by default (one controller); with {@code jobstore: jdbc}, Quartz's clustered
 * JDBC store on MariaDB, where standby controllers take over a dead one's triggers and no round
 * fires on two controllers. The rounds' state (breaches, cooldowns) is in the shared records,
 * so it survives a takeover.
 */
package io.understudy.scheduler.jobs;

/**
 * What an operator is shown of the controller's view: each host with its values, rule verdicts,
 * detection state and return after a failover, and each protected VM with its replicas, its last
 * decision and why each other host was not chosen. Plain records built by one pure function from a
 * round; the status API serves them as JSON and {@code understudy status} prints them as tables.
 */
package io.understudy.scheduler.report;

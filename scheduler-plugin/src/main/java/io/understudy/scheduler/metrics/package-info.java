/**
 * The controller's metrics, one Micrometer registry scraped as Prometheus text at the status
 * API's {@code GET /metrics}: rounds, decisions, moves, fences, each host's detection state,
 * request errors to Nova and the agents, and each replica's lag as the last round saw it.
 */
package io.understudy.scheduler.metrics;

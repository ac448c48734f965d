/**
 * The controller's small HTTP status API ({@code listen:}), read-only: {@code GET /v1/health} for
 * anyone (monitoring), {@code GET /v1/rounds/latest}, {@code GET /v1/detection} and
 * {@code GET /metrics} with the cluster token; and the client the commands read the serving
 * controller's detection with.
 */
package io.understudy.scheduler.api;

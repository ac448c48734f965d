/**
 * The controller's small HTTP status API ({@code listen:}): {@code GET /v1/health} and
 * {@code GET /v1/rounds/latest}, read-only, for monitoring and for seeing which standby is active.
 */
package io.understudy.scheduler.api;

/**
 * The changes the bridge makes in Nova, one class per action, each owning its request, how it is
 * followed to its end and its result: {@link io.understudy.nova.action.LiveMigration},
 * {@link io.understudy.nova.action.Evacuation} (which takes a {@link io.understudy.nova.action.Fenced}
 * proof) and {@link io.understudy.nova.action.ForceDown}. Nothing is written into a server: its
 * metadata is its project's to read, and would show compute hosts Nova hides from tenants; the
 * instance action log shows each move.
 *
 * <p>Every request has a timeout (the client's), idempotent ones are retried on 5xx and lost
 * answers, a request that starts a move is sent again only once Nova shows no trace of the
 * earlier one, and every result is what Nova reads back. A restarted controller calls
 * {@code liveMigration.resume(server).or(() -> evacuation.resume(server))} for each server it
 * was moving; running a move again also follows the one Nova has instead of starting another.
 */
package io.understudy.nova.action;

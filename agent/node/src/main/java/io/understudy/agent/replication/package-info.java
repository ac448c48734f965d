/**
 * Replication rounds on a VM's primary and the assignments that start them.
 *
 * <p>{@link io.understudy.agent.replication.Replicator} runs each VM's rounds: it finds the disk to
 * replicate by its role ({@link io.understudy.agent.replication.Layout}), has
 * {@link io.understudy.agent.libvirt.LiveCapture} read what changed, commits a version
 * ({@code Primary}, one VM's state on disk) and sends the delta to every secondary. A domain laid
 * out in a way the agent cannot follow stops that VM's protection instead of being retried
 * forever; {@link io.understudy.agent.replication.Protections} keeps the controller's assignments
 * across restarts.
 */
package io.understudy.agent.replication;

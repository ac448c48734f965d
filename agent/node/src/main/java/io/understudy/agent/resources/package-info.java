/**
 * The agent's {@code /v1} HTTP API (Jersey): thin resources that check what arrives (a VM id is a
 * UUID, never a path) and translate HTTP into calls on the replica store, the protection
 * assignments, the replication engine, the preserved disks of former primaries and the hypervisor.
 */
package io.understudy.agent.resources;

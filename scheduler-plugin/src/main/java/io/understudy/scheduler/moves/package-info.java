/**
 * Moves a VM onto a replica holder, step by step with a journal: live migration while its primary
 * works, failover when it does not. A failover never evacuates without a fence proof: the host's
 * fencer ({@code moves.fencing}: Redfish power-off, the agent destroying the domain, a process
 * command, or Nova's own view) or an operator's confirmation; then the host is forced down in
 * Nova, the replica staged and the VM evacuated. Every step's adapter says how it ended; which
 * step comes next is {@link io.understudy.scheduler.moves.MoveState}'s pure business.
 */
package io.understudy.scheduler.moves;

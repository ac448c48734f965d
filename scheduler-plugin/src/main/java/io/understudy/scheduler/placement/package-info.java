/**
 * Choosing where each protected VM's replicas live: keep the secondaries that are fine, drop
 * those whose breach has lasted its {@code for:} (or whose host failed), and add hosts until the
 * policy's number of replicas is reached — hosts in range now, whose agent answers, with room for
 * the VM's disk, never the primary nor a host that already holds one (anti-affinity), the ones
 * with most headroom and fewest replicas first. Pure. The placement round logs what it wants and
 * hands it to {@link io.understudy.scheduler.placement.Assignments}, which assigns it to the agents
 * ({@code PUT /v1/vms/{uuid}/protection}) and releases the VMs Nova deleted.
 */
package io.understudy.scheduler.placement;

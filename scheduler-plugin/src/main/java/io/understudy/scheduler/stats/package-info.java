/**
 * Operating-parameter values per compute host (CLAIM.md, step 3): what Nova says (service state,
 * hypervisor capacity and usage) merged with what each host's agent measures ({@code /v1/host/stats}).
 * A host whose agent or Nova service does not answer says so in its values
 * ({@code agent_reachable=false}, {@code service_up=false}) and lacks the values it could not
 * give: it is never taken for a healthy host. Nova is read with one listing per kind and round,
 * paged, never a request per host or VM.
 */
package io.understudy.scheduler.stats;

/**
 * Choosing the new home (CLAIM.md, step 5): for each protected VM whose primary is out of range,
 * among its secondaries whose replica is fresh enough and whose every applicable rule is in range
 * now, the best scored one (headroom against every range, replica freshness), ties broken by lag
 * then host name. Obeys cooldowns, the cap on moves per round and anti-affinity; a failed host is
 * a hard verdict that skips {@code for:} and cooldowns (DESIGN.md section 4). Pure: verdicts + VMs
 * + replicas + time → decisions, each with its reasons and every candidate's rejections.
 */
package io.understudy.scheduler.decide;

/**
 * {@code understudy bench}: one evaluation round at cloud scale (default 10,000 hosts × 12
 * parameters, 100,000 protected VMs × 2 replicas) on synthetic Nova and agent answers held in
 * memory — merging, protection, verdicts and decisions, no network — timed and its heap measured,
 * next to the naive round (every VM re-evaluating every host) measured in the same run.
 */
package io.understudy.scheduler.bench;

/**
 * One evaluation round, end to end: read Nova (one paged listing per kind) and the agents, merge
 * the values, judge the hosts, decide per protected VM, hand the moves to the executor and
 * return everything for history, the log and the CLI. A round that cannot read Nova fails as a
 * whole and decides nothing. The rules come from {@link io.understudy.scheduler.round.RulesSource},
 * which keeps the last good rules when a changed file does not parse.
 */
package io.understudy.scheduler.round;

/**
 * What every controller must see alike: the moves' journal, the hosts failovers forced down,
 * operators' fence confirmations and the agents' assignments, as named JSON records by kind. One
 * controller keeps them as files under its data directory; standby controllers on Quartz's
 * clustered store keep them in a table of that same database, so that whichever controller runs
 * the next round follows a move, or brings a host back, that another one began.
 */
package io.understudy.scheduler.records;

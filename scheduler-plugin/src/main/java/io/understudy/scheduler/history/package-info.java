/**
 * What each round decided and why, kept for operators ({@code understudy history}) and for the
 * next controller to resume from (breaches and cooldowns): one JSON line per round.
 */
package io.understudy.scheduler.history;

/**
 * {@code bin/understudy}: {@code serve} runs the controller; {@code rules check} validates a rules
 * file; {@code plan}, {@code status} and {@code history} show decisions, hosts and past rounds as
 * tables or, with {@code --json}, as JSON; {@code bench} measures a round at cloud scale. Errors are
 * one line naming the input and the reason, with a non-zero exit code.
 */
package io.understudy.scheduler.cli;

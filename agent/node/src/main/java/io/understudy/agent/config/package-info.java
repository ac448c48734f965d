/**
 * The agent's configuration: one YAML file, read into typed records, every key validated at
 * start-up with a one-line error naming the key, every default documented and pinned by a test.
 */
package io.understudy.agent.config;

/**
 * The agent's wire: the JSON records of its {@code /v1} HTTP API and {@link io.understudy.agent.api.AgentClient},
 * the plain client the controller and other agents use. No libvirt, no server code: both sides
 * depend on this and nothing else of each other.
 */
package io.understudy.agent.api;

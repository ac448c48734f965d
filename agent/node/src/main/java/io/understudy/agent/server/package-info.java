/**
 * The agent daemon's wiring: Guice modules (one per concern), the HTTP server with its
 * authentication, body limits and error mapping, and the process's start and stop.
 */
package io.understudy.agent.server;

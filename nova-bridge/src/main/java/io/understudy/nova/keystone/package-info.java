/**
 * Logging in to Keystone v3 through openstack4j and picking Nova's endpoint from the catalog:
 * the token and endpoint every Nova call of the bridge reuses.
 */
package io.understudy.nova.keystone;

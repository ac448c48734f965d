/**
 * Logging in to Keystone v3 with a password, an application credential or a token, over the
 * cloud's TLS settings, and picking Nova's endpoint from the catalog: the token and endpoint every
 * Nova call of the bridge reuses.
 */
package io.understudy.nova.keystone;

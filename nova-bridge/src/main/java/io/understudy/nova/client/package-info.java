/**
 * The bridge's own small JSON client for Nova: every request names its compute microversion
 * ({@code OpenStack-API-Version: compute X}), which openstack4j cannot do per request, and
 * reuses the token and endpoint of a Keystone login, logging in again when the token expires
 * or is refused. {@link io.understudy.nova.client.NovaClient} sends, each exchange within its
 * timeout; {@link io.understudy.nova.client.Retrying} sends idempotent requests again after a
 * 5xx or a lost answer; both are {@link io.understudy.nova.client.NovaCalls}, what the readers
 * and actions take.
 */
package io.understudy.nova.client;

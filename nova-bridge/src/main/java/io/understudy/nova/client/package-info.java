/**
 * The bridge's own small JSON client for Nova: every request names its compute microversion
 * ({@code OpenStack-API-Version: compute X}), which openstack4j cannot do per request, and
 * reuses the token and endpoint of a Keystone login, logging in again when the token expires
 * or is refused.
 */
package io.understudy.nova.client;

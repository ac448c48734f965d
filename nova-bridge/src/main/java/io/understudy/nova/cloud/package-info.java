/**
 * Which cloud to talk to and with which credentials: a {@code clouds.yaml} entry or the
 * {@code OS_*} variables, read the way OpenStack's own tools read them (openstack4j reads
 * neither). Nothing here talks to the network.
 */
package io.understudy.nova.cloud;

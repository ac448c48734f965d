/**
 * A small NBD client (the protocol of {@code doc/proto.md} in the NetworkBlockDevice/nbd
 * repository), enough to read a libvirt pull-mode backup export: fixed newstyle handshake,
 * structured replies, metadata contexts ({@code base:allocation}, {@code qemu:dirty-bitmap:NAME},
 * {@code qemu:allocation-depth}), {@code NBD_OPT_GO}, {@code NBD_CMD_READ},
 * {@code NBD_CMD_BLOCK_STATUS} and {@code NBD_CMD_DISC}, over TCP or a Unix socket. Read-only: it
 * never writes to an export.
 *
 * <p>The server is not trusted: every magic, cookie, length, offset and context id it sends is
 * checked before it is used, every wait for it is bounded by a timeout, and what it makes the
 * client hold in memory is bounded whatever it sends. A server that breaks the protocol gets an
 * {@link io.understudy.agent.nbd.NbdException} naming what was wrong and the connection is dropped;
 * a server that answers a request with an error gets an
 * {@link io.understudy.agent.nbd.NbdErrorException} and the connection stays usable.
 */
package io.understudy.agent.nbd;

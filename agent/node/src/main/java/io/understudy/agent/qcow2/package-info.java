/**
 * Disk images as QEMU writes them: qcow2 v2 and v3 read in full (header and extensions, L1/L2 and
 * extended L2 tables, refcounts of every width, compressed clusters, internal snapshots and bitmaps
 * for the structural check), raw files as backing images, backing chains, and a writer for new
 * qcow2 v3 overlay layers.
 *
 * <p>Every offset read from a file is validated before it is followed: a hostile or damaged image
 * is refused with a {@link io.understudy.agent.qcow2.BadImageException} naming the file and the
 * reason, never misread.
 */
package io.understudy.agent.qcow2;

/**
 * Benchmarks run from the command line ({@code understudy-agent bench ...}), each measuring our
 * figures against baselines taken in the same run on the same machine (DESIGN.md §3).
 *
 * <p>{@code bench delta} is issue 2's benchmark: it builds an image and an overlay with the real
 * QEMU tools, then times diff+apply against a full copy ({@code qemu-img convert}) and
 * {@code rsync --no-whole-file --inplace} of the flattened images, relates the delta's size to
 * the bytes that really changed, and sets SHA-256 throughput beside memory bandwidth. Targets
 * missed are reported, never asserted: performance is never a test's verdict.
 */
package io.understudy.agent.bench;

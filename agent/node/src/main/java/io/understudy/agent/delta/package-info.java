/**
 * Deltas: the new components of a VM image (CLAIM.md, step 1) and their wire and file format.
 *
 * <p>A component is one guest cluster; it is <em>new</em> when its content differs from the old
 * image's at that offset. {@link io.understudy.agent.delta.Differ} finds them (reading only what
 * lies above the old image when the new one is built on it), {@link io.understudy.agent.delta.DeltaWriter}
 * and {@link io.understudy.agent.delta.DeltaReader} stream them with a SHA-256 per record and over
 * the whole, and {@link io.understudy.agent.delta.Manifest} names an image's content by one hash.
 */
package io.understudy.agent.delta;

/**
 * Replica layers (CLAIM.md, step 2): a delta becomes one new qcow2 overlay layer on top of the
 * replica's chain, and appears under its final name only once it is complete, verified and
 * fsynced, so a crash at any instant leaves either the old chain or the new one.
 */
package io.understudy.agent.replica;

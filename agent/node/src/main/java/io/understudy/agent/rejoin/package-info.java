/**
 * Bringing an old primary back (DESIGN.md, "Failure", item 3): {@link io.understudy.agent.rejoin.Preservation}
 * keeps the disks of the VMs this node is primary for by hard links in the data directory, so that a
 * returning nova-compute, which deletes the disks of instances evacuated away, cannot take them;
 * {@link io.understudy.agent.rejoin.Rejoiner} turns such a disk into a replica of the version the
 * new primary started from once this node is assigned as its secondary: the clusters that differ
 * are found by comparing per-cluster hashes and only those are fetched — never a full copy, never
 * a merge of two histories. The new primary's deltas take the replica on from there.
 */
package io.understudy.agent.rejoin;

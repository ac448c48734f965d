package io.understudy.agent.delta;

/**
 * What a diff or an apply did, as the command line prints it.
 *
 * @param clusters     guest clusters of NEW examined
 * @param newClusters  clusters whose data travels
 * @param zeroClusters clusters that travel as "zero" (not counted in newClusters)
 * @param payloadBytes cluster data carried
 * @param deltaBytes   size of the delta stream
 */
public record DeltaStats(long clusters, long newClusters, long zeroClusters, long payloadBytes, long deltaBytes,
        double seconds) {

    public DeltaStats withSeconds(double s) {
        return new DeltaStats(clusters, newClusters, zeroClusters, payloadBytes, deltaBytes, s);
    }
}

package io.understudy.scheduler.moves;

import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.FenceResult;
import io.understudy.agent.api.Hold;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.StageResult;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.UUID;

/**
 * The agents as the moves use them, by compute host name: one seam, so that the order of a move
 * can be tested without agents ({@link DirectoryAgents} is the real one).
 */
public interface MoveAgents {

    /** Where HOST's agent answers: what its peers are told. */
    URI url(String host);

    /** Holds VM's rounds on HOST, its primary, before Nova live-migrates it (see {@link Hold}). */
    PrimaryStatus hold(String host, UUID vm, Hold hold) throws IOException;

    /** Ends VM's hold on HOST; none there is fine. */
    void release(String host, UUID vm) throws IOException;

    /**
     * Puts HOST's replica of VM in place as the instance's disk, and the kernel and ramdisk of
     * {@code boot} that HOST keeps into Nova's image cache there.
     */
    StageResult stage(String host, UUID vm, BootImages boot) throws IOException;

    void protect(String host, Protection protection) throws IOException;

    /** Removes HOST's assignment for VM; none there is fine. */
    void unprotect(String host, UUID vm) throws IOException;

    /** Deletes HOST's replica of VM (refused while VM is protected there); none there is fine. */
    void deleteReplica(String host, UUID vm) throws IOException;

    /** HOST's replica of VM, or empty when it holds none. */
    Optional<ReplicaInfo> replica(String host, UUID vm) throws IOException;

    /** Has HOST's agent destroy VM's domain and read libvirt back (the agent fencer). */
    FenceResult destroyDomain(String host, UUID vm) throws IOException;

    /** Whether HOST's agent answers its health endpoint now. */
    boolean answers(String host);
}

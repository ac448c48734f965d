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
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The agents as the moves see them, in memory: replicas per host, hosts that do not answer, and
 * every call in order. Thin on purpose: the real agent daemon is driven in the cloud test.
 */
final class FakeMoveAgents implements MoveAgents {

    /** What an agent does while it answers, for tests of what runs at once: by default nothing. */
    @FunctionalInterface
    interface Answering {
        void on(String host) throws IOException;
    }

    final List<String> calls = new CopyOnWriteArrayList<>();
    /** What each stage was told of the VM's kernel and ramdisk, in order. */
    final List<BootImages> staged = new CopyOnWriteArrayList<>();
    /** Told at once from several threads. */
    final Map<String, Protection> protections = new ConcurrentHashMap<>();
    final Map<String, Double> lags = new HashMap<>();
    final Set<String> away = new HashSet<>();
    /** What each host's agent answers to a destroy; absent: stopped, as a domain it never had. */
    final Map<String, FenceResult> destroys = new HashMap<>();
    volatile Answering whileProtecting = host -> { };

    FakeMoveAgents holds(String host, double lagSeconds) {
        lags.put(host, lagSeconds);
        return this;
    }

    @Override
    public URI url(String host) {
        return URI.create("http://" + host + ":9797");
    }

    @Override
    public PrimaryStatus hold(String host, UUID vm, Hold hold) throws IOException {
        calls.add("hold " + host + (hold.finalRound() ? " after a round" : ""));
        answer(host);
        return new PrimaryStatus(vm, 7, Instant.now(), 0.1, false, null, List.of(), null, List.of(), PrimaryStatus.REPLICATING,
                null);
    }

    @Override
    public void release(String host, UUID vm) throws IOException {
        calls.add("release " + host);
        answer(host);
    }

    @Override
    public StageResult stage(String host, UUID vm, BootImages boot) throws IOException {
        calls.add("stage " + host);
        staged.add(boot);
        answer(host);
        return new StageResult(vm, 7, "/var/lib/nova/instances/" + vm + "/disk", List.of());
    }

    @Override
    public void protect(String host, Protection protection) throws IOException {
        calls.add("protect " + host + " " + protection.role() + " "
                + protection.peers().stream().map(p -> p.host()).sorted().toList());
        answer(host);
        whileProtecting.on(host);
        protections.put(host, protection);
    }

    @Override
    public void unprotect(String host, UUID vm) throws IOException {
        calls.add("unprotect " + host);
        answer(host);
        protections.remove(host);
    }

    @Override
    public void deleteReplica(String host, UUID vm) throws IOException {
        calls.add("deleteReplica " + host);
        answer(host);
        if (protections.containsKey(host)) {
            throw new IOException("http://" + host + ":9797: HTTP 409: still protected here");
        }
        lags.remove(host);
    }

    @Override
    public Optional<ReplicaInfo> replica(String host, UUID vm) throws IOException {
        answer(host);
        return Optional.ofNullable(lags.get(host)).map(lag -> new ReplicaInfo(vm, 7, lag, 1 << 20, 1, "compute1",
                Instant.now(), "00"));
    }

    @Override
    public FenceResult destroyDomain(String host, UUID vm) throws IOException {
        calls.add("destroyDomain " + host);
        answer(host);
        return destroys.getOrDefault(host, new FenceResult(vm, host, false, true, "ABSENT"));
    }

    @Override
    public boolean answers(String host) {
        calls.add("health " + host);
        return !away.contains(host);
    }

    private void answer(String host) throws IOException {
        if (away.contains(host)) {
            throw new IOException("http://" + host + ":9797: connection refused");
        }
    }
}

package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.RecordSet;
import io.understudy.scheduler.records.Records;
import io.understudy.scheduler.yaml.Durations;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases the protected VMs Nova deleted, and those no longer protected (the rules file's
 * selectors or an operator's unprotect). A VM with a designation that is not among the protected
 * servers Nova lists is recorded with the moment a placement round first saw it gone; once it has been gone
 * longer than the grace ({@code placement.releaseDeletedAfter}), every host that had a part is
 * told it has none and deletes its replica, and the designation is dropped. The grace is what
 * keeps a VM missing from the listing for a while (one of Nova's cells unreachable: Nova leaves
 * its servers out; soft-deleted, then restored) from losing its replicas; a VM listed again within
 * it is simply forgotten here. The records are shared, so a standby controller counts from the
 * same moment, also after a restart.
 */
public final class GoneVms {

    private static final Logger LOG = LoggerFactory.getLogger(GoneVms.class);

    /**
     * A designated VM Nova no longer lists.
     *
     * @param since when a placement round first saw it gone
     * @param unreleased once its release began: the hosts not told yet (empty before)
     */
    public record Gone(UUID vm, Instant since, Set<String> unreleased) {
        public Gone {
            requireNonNull(vm, "vm is null");
            requireNonNull(since, "since is null");
            unreleased = Set.copyOf(new TreeSet<>(unreleased));
        }
    }

    /**
     * What a placement round does about the VMs Nova does not list.
     *
     * @param seen VMs gone since this round, to be recorded with its time
     * @param forget VMs no longer to be counted: listed again, or no longer designated
     * @param release VMs gone longer than the grace, or whose release has hosts left to tell
     */
    record Plan(Set<UUID> seen, Set<UUID> forget, Set<UUID> release) {}

    static final String KIND = "gone";

    private final Designator designator;
    private final MoveAgents agents;
    private final RecordSet<Gone> gone;
    private final Duration grace;
    private final Clock clock;

    public GoneVms(Designator designator, MoveAgents agents, Records records, Duration grace, Clock clock) {
        this.designator = requireNonNull(designator, "designator is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.gone = new RecordSet<>(records, KIND, JsonLinesHistory.mapper(), Gone.class);
        this.grace = requireNonNull(grace, "grace is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Pure: what to do, from the VMs with a designation, those recorded gone, Nova's whole listing
     * and the VMs with an open move, which are the move's business whatever Nova lists.
     */
    static Plan plan(Set<UUID> designated, Map<UUID, Gone> gone, Set<UUID> listed, Set<UUID> moving, Instant now,
            Duration grace) {
        Set<UUID> seen = new TreeSet<>();
        Set<UUID> forget = new TreeSet<>();
        Set<UUID> release = new TreeSet<>();
        for (UUID vm : designated) {
            if (listed.contains(vm) || moving.contains(vm)) {
                continue;
            }
            Gone g = gone.get(vm);
            if (g == null) {
                seen.add(vm);
            } else if (now.isAfter(g.since().plus(grace))) {
                release.add(vm);
            }
        }
        for (Gone g : gone.values()) {
            if (moving.contains(g.vm())) {
                continue;
            }
            if (listed.contains(g.vm())) {
                // Also when its release began: placement assigns a listed VM afresh, and releasing would undo that.
                forget.add(g.vm());
            } else if (!g.unreleased().isEmpty()) {
                // Past the grace already: a release once begun is finished.
                release.add(g.vm());
            } else if (!designated.contains(g.vm())) {
                forget.add(g.vm());
            }
        }
        return new Plan(seen, forget, release);
    }

    /**
     * One placement round's part: LISTED is every protected server in Nova's listing, read whole this round
     * (a round that could not read Nova must not come here); MOVING the VMs with an open move.
     */
    public synchronized void round(Set<UUID> listed, Set<UUID> moving) {
        Instant now = clock.instant();
        Map<UUID, Gone> recorded = new HashMap<>();
        gone.all().forEach(g -> recorded.put(g.vm(), g));
        Plan plan = plan(designator.designated(), recorded, listed, moving, now, grace);
        for (UUID vm : plan.seen()) {
            gone.put(vm.toString(), new Gone(vm, now, Set.of()));
            LOG.info("vm {}: not among the protected servers in Nova's listing (deleted, or no longer protected); its"
                    + " hosts keep their parts and replicas until it has been gone for {} (placement.releaseDeletedAfter)",
                    vm, Durations.format(grace));
        }
        for (UUID vm : plan.forget()) {
            gone.delete(vm.toString());
            if (listed.contains(vm)) {
                LOG.info("vm {}: among the protected servers in Nova's listing again (gone since {}); nothing released", vm,
                        recorded.get(vm).since());
            }
        }
        for (UUID vm : plan.release()) {
            release(recorded.get(vm));
        }
    }

    /** Tells each host of G's VM it has no part and to delete its replica; those not reached are kept for later. */
    private void release(Gone g) {
        UUID vm = g.vm();
        Set<String> hosts = new TreeSet<>(g.unreleased());
        designator.assigned(vm).ifPresent(d -> {
            hosts.addAll(d.hosts());
            hosts.addAll(d.unremoved());
        });
        // Written before anything is sent: a controller stopping midway leaves the hosts to tell.
        gone.put(vm.toString(), new Gone(vm, g.since(), hosts));
        designator.drop(vm);
        Map<String, String> failed = new TreeMap<>();
        for (String host : hosts) {
            try {
                // In this order: an agent refuses to delete the replica of a VM still protected there.
                agents.unprotect(host, vm);
                agents.deleteReplica(host, vm);
            } catch (IOException | RuntimeException e) {
                // The JDK's refused connection says nothing but its class.
                failed.put(host, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        }
        List<String> released = new ArrayList<>(hosts);
        released.removeAll(failed.keySet());
        String why = "deleted in Nova or no longer protected: not listed as protected since " + g.since()
                + ", longer than placement.releaseDeletedAfter (" + Durations.format(grace) + ")";
        if (failed.isEmpty()) {
            gone.delete(vm.toString());
            LOG.info("vm {}: released from {}: protection removed, replica deleted; {}", vm, released, why);
        } else {
            gone.put(vm.toString(), new Gone(vm, g.since(), failed.keySet()));
            LOG.info("vm {}: {}not released from {} yet, tried again next round ({}); {}", vm,
                    released.isEmpty() ? "" : "released from " + released + "; ", failed.keySet(),
                    failed.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList(), why);
        }
    }
}

package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.RecordSet;
import io.understudy.scheduler.records.Records;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the agents their part in protecting a VM ({@code PUT /v1/vms/{vm}/protection}): the
 * primary's agent replicates to the secondaries, each secondary accepts deltas from the primary,
 * and a host that has no part any more is told so. What was assigned is kept as a record per VM,
 * seen by every controller, so that placement rounds send only what changed or did not get
 * through (an agent away is sent its part when it answers again). A move's re-designation sends
 * everything, whatever is recorded.
 */
public final class Designator {

    private static final Logger LOG = LoggerFactory.getLogger(Designator.class);

    /**
     * What was assigned for one VM.
     *
     * @param undelivered hosts whose assignment did not get through yet
     * @param unremoved hosts that still have to be told they have no part any more
     */
    public record Designation(String primary, List<String> secondaries, Duration interval, Set<String> undelivered,
            Set<String> unremoved) {
        public Designation {
            requireNonNull(primary, "primary is null");
            secondaries = List.copyOf(new TreeSet<>(secondaries));
            requireNonNull(interval, "interval is null");
            undelivered = Set.copyOf(undelivered);
            unremoved = Set.copyOf(unremoved);
        }

        boolean sameParts(Designation other) {
            return primary.equals(other.primary) && secondaries.equals(other.secondaries)
                    && interval.equals(other.interval);
        }

        Set<String> hosts() {
            Set<String> hosts = new LinkedHashSet<>(secondaries);
            hosts.add(primary);
            return hosts;
        }
    }

    /**
     * @param failed "host: why" for each host that did not get its part
     * @param requests requests sent to agents
     */
    public record Delivery(List<String> failed, int requests) {
        public Delivery {
            failed = List.copyOf(failed);
        }
    }

    static final String KIND = "assignments";

    private final MoveAgents agents;
    private final RecordSet<Designation> assigned;

    public Designator(MoveAgents agents, Records records) {
        this.agents = requireNonNull(agents, "agents is null");
        this.assigned = new RecordSet<>(records, KIND, JsonLinesHistory.mapper(), Designation.class);
    }

    /**
     * Assigns VM's PRIMARY and SECONDARIES. Unless ALWAYS, nothing is sent when it is what was
     * assigned and delivered before.
     */
    public Delivery assign(UUID vm, String primary, List<String> secondaries, Duration interval, boolean always) {
        return assign(vm, primary, secondaries, interval, always, false);
    }

    /**
     * Assigns VM's PRIMARY and SECONDARIES for a move, sending every part whatever was recorded.
     * The record is written beside the requests, as if they all get through, and written again
     * when one did not: the move waits for the slowest of them, not for them and then the record.
     * A controller that stops after that record and before a part got through sends every part
     * again, as its journal has the move's roles still to send.
     */
    public Delivery reassign(UUID vm, String primary, List<String> secondaries, Duration interval) {
        return assign(vm, primary, secondaries, interval, true, true);
    }

    private synchronized Delivery assign(UUID vm, String primary, List<String> secondaries, Duration interval,
            boolean always, boolean recordBeside) {
        Designation wanted = new Designation(primary, secondaries, interval, Set.of(), Set.of());
        if (wanted.secondaries().contains(primary)) {
            throw new IllegalArgumentException("vm " + vm + ": primary " + primary + " listed among its secondaries "
                    + secondaries);
        }
        Designation before = assigned.get(vm.toString()).orElse(null);
        boolean changed = before == null || !before.sameParts(wanted);
        Set<String> send = always || changed ? wanted.hosts() : before.undelivered();
        Set<String> remove = new TreeSet<>(before == null ? Set.of() : before.unremoved());
        if (before != null && changed) {
            remove.addAll(before.hosts());
        }
        remove.removeAll(wanted.hosts());
        if (send.isEmpty() && remove.isEmpty()) {
            return new Delivery(List.of(), 0);
        }
        CompletableFuture<Void> recorded = recordBeside ? Beside.start("record-" + vm, () -> {
            assigned.put(vm.toString(), new Designation(primary, wanted.secondaries(), interval, Set.of(), Set.of()));
            return null;
        }) : CompletableFuture.completedFuture(null);
        List<String> failed = new ArrayList<>();
        Set<String> undelivered = new TreeSet<>();
        Set<String> unremoved = new TreeSet<>();
        // Secondaries first: a primary told first would send deltas that a secondary not yet told
        // refuses. The secondaries at once, and the hosts with no part any more at once after the
        // primary: a move (which waits for this) waits for the slowest agent of each, not their sum.
        List<String> toldFirst = new ArrayList<>(wanted.secondaries());
        toldFirst.retainAll(send);
        List<String> toldLast = send.contains(primary) ? List.of(primary) : List.of();
        for (List<String> wave : List.of(toldFirst, toldLast)) {
            atOnce(wave, "protect", host -> agents.protect(host, protection(vm, host, wanted))).forEach((host, why) -> {
                failed.add(host + ": " + why);
                undelivered.add(host);
            });
        }
        atOnce(List.copyOf(remove), "unprotect", host -> agents.unprotect(host, vm)).forEach((host, why) -> {
            failed.add(host + " (removing): " + why);
            unremoved.add(host);
        });
        int requests = toldFirst.size() + toldLast.size() + remove.size();
        try {
            recorded.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (!recordBeside || !undelivered.isEmpty() || !unremoved.isEmpty()) {
            assigned.put(vm.toString(), new Designation(primary, wanted.secondaries(), interval, undelivered, unremoved));
        }
        LOG.info("vm {}: primary {}, secondaries {}, every {}{}{}", vm, primary, wanted.secondaries(),
                io.understudy.scheduler.yaml.Durations.format(interval),
                remove.isEmpty() ? "" : ", no part any more: " + remove,
                failed.isEmpty() ? "" : "; not delivered (sent again later): " + failed);
        return new Delivery(failed, requests);
    }

    /** What was last assigned for VM, if anything. */
    public synchronized java.util.Optional<Designation> assigned(UUID vm) {
        return assigned.get(vm.toString());
    }

    /** The VMs with a record of what was assigned. */
    synchronized Set<UUID> designated() {
        Set<UUID> vms = new TreeSet<>();
        assigned.versions().keySet().forEach(name -> vms.add(UUID.fromString(name)));
        return vms;
    }

    /** Forgets what was assigned for VM, telling no agent: whoever drops it tells them ({@link GoneVms}). */
    synchronized void drop(UUID vm) {
        assigned.delete(vm.toString());
    }

    /** An agent call that answers nothing but whether it got through. */
    @FunctionalInterface
    private interface Call {
        void to(String host) throws IOException;
    }

    /** CALL to each of HOSTS at once; "why" by host for each that failed, in HOSTS' order. */
    private static Map<String, String> atOnce(List<String> hosts, String what, Call call) {
        Map<String, CompletableFuture<Void>> asking = new LinkedHashMap<>();
        for (String host : hosts) {
            asking.put(host, Beside.start(what + "-" + host, () -> {
                call.to(host);
                return null;
            }));
        }
        Map<String, String> failed = new LinkedHashMap<>();
        asking.forEach((host, answer) -> {
            try {
                answer.join();
            } catch (CompletionException e) {
                failed.put(host, e.getCause().getMessage());
            }
        });
        return failed;
    }

    private Protection protection(UUID vm, String host, Designation d) {
        if (host.equals(d.primary())) {
            return new Protection(vm, Role.PRIMARY, d.secondaries().stream().map(s -> new Peer(s, agents.url(s)))
                    .toList(), d.interval());
        }
        return new Protection(vm, Role.SECONDARY, List.of(new Peer(d.primary(), agents.url(d.primary()))),
                d.interval());
    }
}

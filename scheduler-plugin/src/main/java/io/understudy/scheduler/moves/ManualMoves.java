package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.ReplicaInfo;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Server;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Moves asked by an operator ({@code understudy migrate}, {@code understudy failover}): the same
 * plan, journal and steps as the controller's, after the checks a decision would have made —
 * where the VM is, whether the hosts' nova-computes are up, who holds a replica. The source of a
 * failover is checked by its fencer, as in the controller: a failover while it is up is refused there.
 */
public final class ManualMoves {

    /** Why a move the command line asked for moves the VM. */
    static final String BY_HAND = "by hand";

    private final NovaMoves nova;
    private final MoveAgents agents;
    private final Mover mover;
    private final Journal journal;

    public ManualMoves(NovaMoves nova, MoveAgents agents, Mover mover, Journal journal) {
        this.nova = requireNonNull(nova, "nova is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.mover = requireNonNull(mover, "mover is null");
        this.journal = requireNonNull(journal, "journal is null");
    }

    /**
     * Live-migrates VM to TO.
     *
     * @throws IllegalArgumentException when VM or TO is unknown, or VM runs on TO already
     * @throws MoveRefusedException when the VM or a host is not in a state to move it
     */
    public MoveState migrate(UUID vm, String to, Duration interval) {
        return start(planMigration(vm, to, interval, BY_HAND));
    }

    /** Fails VM over to TO, or to the replica holder with the freshest replica whose nova-compute is up. */
    public MoveState failover(UUID vm, Optional<String> to, Duration interval) {
        return start(planFailover(vm, to, interval, BY_HAND));
    }

    /**
     * The live migration of VM to TO, checked as {@link #migrate} checks it, not begun; REASON is
     * why, for its log lines and journal.
     *
     * @throws IllegalArgumentException when VM or TO is unknown, or VM runs on TO already
     * @throws MoveRefusedException when the VM or a host is not in a state to move it
     */
    public MovePlan planMigration(UUID vm, String to, Duration interval, String reason) {
        refuseOpen(vm);
        Server server = server(vm);
        String source = source(server);
        if (to.equals(source)) {
            throw new IllegalArgumentException("vm " + vm + " runs on " + to + " already");
        }
        if (!server.settledOn(source)) {
            throw new MoveRefusedException("vm " + vm + " is " + server.describe()
                    + ": a live migration needs it ACTIVE with no task under way");
        }
        Map<String, ComputeService> services = services();
        if (!service(services, source).up()) {
            throw new MoveRefusedException(source + "'s nova-compute is not up in Nova: a live migration needs a "
                    + "working source (use failover)");
        }
        requireUp(services, to);
        Map<String, Optional<ReplicaInfo>> holders = holders(vm, source, services);
        return new MovePlan(vm, MoveKind.LIVE_MIGRATION, source, to, held(holders), interval, reason);
    }

    /**
     * The failover of VM to TO, or to the replica holder with the freshest replica whose
     * nova-compute is up, checked as {@link #failover} checks it, not begun.
     *
     * @throws IllegalArgumentException when VM or TO is unknown, or TO holds no replica
     * @throws MoveRefusedException when no replica holder can take it
     */
    public MovePlan planFailover(UUID vm, Optional<String> to, Duration interval, String reason) {
        refuseOpen(vm);
        Server server = server(vm);
        String source = source(server);
        if (to.filter(source::equals).isPresent()) {
            throw new IllegalArgumentException("vm " + vm + " runs on " + source + " already: fail over to another host");
        }
        Map<String, ComputeService> services = services();
        Map<String, Optional<ReplicaInfo>> holders = holders(vm, source, services);
        List<String> held = held(holders);
        String target;
        if (to.isPresent()) {
            service(services, to.get());
            if (!held.contains(to.get())) {
                throw new IllegalArgumentException(to.get() + " holds no replica of " + vm + " (holders: "
                        + (held.isEmpty() ? "none" : held) + ")");
            }
            requireUp(services, to.get());
            target = to.get();
        } else {
            target = held.stream().filter(h -> services.get(h).up())
                    .min(Comparator.comparingDouble((String h) -> holders.get(h).orElseThrow().lagSeconds())
                            .thenComparing(Function.identity()))
                    .orElseThrow(() -> new MoveRefusedException("no replica holder of " + vm + " has its nova-compute up"
                            + " (holders: " + (held.isEmpty() ? "none" : held) + ")"));
        }
        return new MovePlan(vm, MoveKind.FAILOVER, source, target, held, interval, reason);
    }

    /**
     * Begins PLAN and runs it until it ends or waits on Nova.
     *
     * @throws MoveRefusedException when the VM has an open move, or another controller claimed it
     */
    public MoveState start(MovePlan plan) {
        refuseOpen(plan.vm());
        try {
            return mover.start(plan);
        } catch (MoveConflictException e) {
            throw new MoveRefusedException(e.getMessage());
        }
    }

    /** A VM with an open move gets no other: the refusal names that move. */
    private void refuseOpen(UUID vm) {
        journal.open(vm).ifPresent(open -> {
            throw new MoveRefusedException(open.holdReason());
        });
    }

    /**
     * The server Nova has as VM.
     *
     * @throws NotFoundException when Nova knows no such server
     */
    public Server server(UUID vm) {
        return nova.server(vm).orElseThrow(() -> new NotFoundException("Nova knows no server " + vm));
    }

    private static String source(Server server) {
        return server.host().orElseThrow(() -> new MoveRefusedException("vm " + server.id() + " is "
                + server.describe() + ": it has no host to move from"));
    }

    private Map<String, ComputeService> services() {
        return nova.computeServices().stream()
                .collect(Collectors.toMap(ComputeService::host, s -> s, (a, b) -> a, TreeMap::new));
    }

    private static ComputeService service(Map<String, ComputeService> services, String host) {
        ComputeService service = services.get(host);
        if (service == null) {
            throw new NotFoundException("Nova knows no nova-compute on " + host + " (known: "
                    + services.keySet() + ")");
        }
        return service;
    }

    private static void requireUp(Map<String, ComputeService> services, String host) {
        if (!service(services, host).up()) {
            throw new MoveRefusedException(host + "'s nova-compute is not up in Nova: it cannot take the VM");
        }
    }

    /** Every compute host but the source, with its agent's replica of VM; hosts whose agents do not answer are left out. */
    private Map<String, Optional<ReplicaInfo>> holders(UUID vm, String source, Map<String, ComputeService> services) {
        Map<String, Optional<ReplicaInfo>> found = new TreeMap<>();
        for (String host : services.keySet()) {
            if (host.equals(source)) {
                continue;
            }
            try {
                found.put(host, agents.replica(host, vm));
            } catch (IOException | RuntimeException e) {
                // An agent that does not answer holds nothing this move can use.
            }
        }
        return found;
    }

    private static List<String> held(Map<String, Optional<ReplicaInfo>> holders) {
        List<String> held = new ArrayList<>();
        holders.forEach((host, replica) -> replica.ifPresent(r -> held.add(host)));
        return held;
    }
}

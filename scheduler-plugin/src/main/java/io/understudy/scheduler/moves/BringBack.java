package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Migration;
import io.understudy.scheduler.moves.ForcedDownHosts.Host;
import io.understudy.scheduler.moves.ForcedDownHosts.State;
import io.understudy.scheduler.round.FailedHosts;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings back a host our failovers forced down, once it returns (DESIGN.md, "Bring back"): its
 * agent answers again; no failover from it is still open; every evacuation away from it is
 * completed (its restarted nova-compute removed what it had of the evacuated servers — Nova
 * refuses to lift forced_down before that); then forced_down is lifted, the service enabled again
 * if the failover disabled it (an operator's disable stays), and each VM evacuated away from it
 * has its roles sent again, the host a secondary of the new primary, which lists it (the
 * failover's re-designation could not reach a host that was down). Each pass derives where it
 * stands from Nova, the agents and the journal, so it is idempotent and a restarted controller
 * simply goes on; the record only says which hosts are ours to bring back. A host an operator
 * confirmed fenced by hand is left alone while the confirmation holds.
 */
public final class BringBack {

    private static final Logger LOG = LoggerFactory.getLogger(BringBack.class);

    /** Evacuation statuses past which the source compute has nothing left to clean up. */
    private static final Set<String> CLEANED = Set.of(Migration.COMPLETED, Migration.ERROR, Migration.FAILED);

    private final ForcedDownHosts hosts;
    private final NovaMoves nova;
    private final MoveAgents agents;
    private final Designator designator;
    private final Journal journal;
    private final FenceConfirmations confirmations;
    private final FailedHosts failed;
    private final Clock clock;

    public BringBack(ForcedDownHosts hosts, NovaMoves nova, MoveAgents agents, Designator designator, Journal journal,
            FenceConfirmations confirmations, FailedHosts failed, Clock clock) {
        this.hosts = requireNonNull(hosts, "hosts is null");
        this.nova = requireNonNull(nova, "nova is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.designator = requireNonNull(designator, "designator is null");
        this.journal = requireNonNull(journal, "journal is null");
        this.confirmations = requireNonNull(confirmations, "confirmations is null");
        this.failed = requireNonNull(failed, "failed is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** One pass over every host not back yet; a line for the round's history per host whose state or note changed. */
    public List<String> round() {
        List<Host> pending;
        try {
            pending = hosts.pending();
        } catch (UncheckedIOException e) {
            // The round goes on: its failovers matter more than bringing hosts back.
            LOG.error("bringing hosts back: {}", e.getMessage());
            return List.of("bringing hosts back: " + e.getMessage());
        }
        List<String> changed = new ArrayList<>();
        for (Host before : pending) {
            Host after = pass(before);
            if (changed(before, after)) {
                changed.add(line(after));
            }
        }
        return changed;
    }

    /**
     * One pass for HOST, whatever its recorded state.
     *
     * @throws IllegalArgumentException when no failover of ours forced HOST down
     */
    public Host host(String host) {
        return pass(hosts.get(host).orElseThrow(() -> new NotFoundException("host " + host
                + ": not forced down by a failover of this controller (no record in its data directory), "
                + "so not ours to bring back")));
    }

    /** "host compute1 RETURNING: forced_down kept: ...". */
    public static String line(Host h) {
        return "host " + h.host() + " " + h.state() + ": " + h.note();
    }

    private Host pass(Host before) {
        Host after;
        try {
            after = step(before);
        } catch (RuntimeException e) {
            // Nova or an agent did not answer as expected: nothing was decided, the next pass asks again.
            after = before.with(before.state(), "unexpected, tried again next round: " + e.getMessage(),
                    clock.instant());
        }
        if (changed(before, after)) {
            hosts.save(after);
            LOG.info("{} (forced down at {} for {})", line(after), after.forcedAt(), after.vms());
        }
        return after;
    }

    private static boolean changed(Host before, Host after) {
        return after.state() != before.state() || !after.note().equals(before.note());
    }

    private Host step(Host h) {
        String host = h.host();
        Optional<FenceConfirmations.Confirmation> confirmed = confirmations.current(host, clock.instant());
        if (confirmed.isPresent()) {
            return away(h, "fenced by hand by " + confirmed.get().by() + " at " + confirmed.get().at()
                    + ": left alone until 'understudy fence withdraw " + host + "'");
        }
        if (failed.now().contains(host)) {
            return away(h, "failure detection has it failed");
        }
        List<String> open = journal.open().stream().filter(m -> m.plan().source().equals(host))
                .map(MoveState::holdReason).toList();
        if (!open.isEmpty()) {
            return away(h, "a failover from it is open: " + String.join("; ", open));
        }
        if (!agents.answers(host)) {
            return away(h, "its agent does not answer at " + agents.url(host));
        }
        Optional<ComputeService> service = nova.computeService(host);
        if (service.isEmpty()) {
            return returning(h, "Nova knows no nova-compute on " + host);
        }
        if (service.get().forcedDown()) {
            List<String> uncleaned = nova.evacuationsFrom(host).stream().filter(m -> !CLEANED.contains(m.status()))
                    .map(m -> m.describe() + " of vm " + m.instanceUuid()).toList();
            if (!uncleaned.isEmpty()) {
                return returning(h, "forced_down kept until its nova-compute has restarted and cleaned up after "
                        + String.join(", ", uncleaned));
            }
        }
        if (service.get().forcedDown() || service.get().disabledByUnderstudy()) {
            ServiceChange change = nova.liftForcedDown(host);
            if (!change.done()) {
                return returning(h, "forced_down kept: " + change.outcome() + ": " + change.reason());
            }
            LOG.info("host {}: forced_down lifted ({}; {}), its evacuations completed, its agent answers", host,
                    change.outcome(), change.reason());
            service = change.service();
        }
        String lifted = service.filter(s -> !s.enabled())
                .map(s -> "forced_down lifted, left " + s.status() + " (not Understudy's)")
                .orElse("forced_down lifted, enabled");
        List<String> undelivered = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        for (UUID vm : h.vms()) {
            resend(host, vm).ifPresent(r -> (r.startsWith("not delivered") ? undelivered : roles).add(r));
        }
        if (!undelivered.isEmpty()) {
            return returning(h, lifted + "; roles " + String.join("; ", undelivered));
        }
        return h.with(State.BACK, lifted + (roles.isEmpty() ? "; no VM of it evacuated"
                : "; secondary of " + String.join(", ", roles)), clock.instant());
    }

    /**
     * Sends VM's roles again when HOST is one of its secondaries under another primary, i.e. VM
     * was evacuated away from HOST and HOST kept its part: what was sent, or "not delivered ...",
     * or empty when there is nothing to send.
     */
    private Optional<String> resend(String host, UUID vm) {
        Optional<Designator.Designation> assigned = designator.assigned(vm);
        if (assigned.isEmpty() || assigned.get().primary().equals(host)
                || !assigned.get().secondaries().contains(host)) {
            LOG.info("vm {}: {} back, no roles to send again: {}", vm, host, assigned.map(d -> "primary "
                    + d.primary() + ", secondaries " + d.secondaries()).orElse("no assignment recorded"));
            return Optional.empty();
        }
        Designator.Designation d = assigned.get();
        Designator.Delivery delivery = designator.assign(vm, d.primary(), d.secondaries(), d.interval(), true);
        List<String> toHost = delivery.failed().stream().filter(f -> f.startsWith(host + ":")
                || f.startsWith(d.primary() + ":")).toList();
        LOG.info("vm {}: {} a secondary again of primary {} (secondaries {}){}", vm, host, d.primary(),
                d.secondaries(), delivery.failed().isEmpty() ? "" : "; not delivered: " + delivery.failed());
        return Optional.of(toHost.isEmpty() ? vm + " (primary " + d.primary() + ")"
                : "not delivered for " + vm + ": " + String.join(", ", toHost));
    }

    private Host away(Host h, String why) {
        return h.with(State.AWAY, why, clock.instant());
    }

    private Host returning(Host h, String why) {
        return h.with(State.RETURNING, why, clock.instant());
    }
}

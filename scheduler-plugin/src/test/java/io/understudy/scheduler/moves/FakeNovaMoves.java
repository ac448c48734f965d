package io.understudy.scheduler.moves;

import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.MoveResult;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Server;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Nova as the moves see it, played in memory: answers what a test sets up and writes down every
 * call in order. Thin on purpose — the bridge's actions are tested against WireMock and the real
 * cloud in nova-bridge; this only lets the order and the resume logic of moves be checked.
 */
final class FakeNovaMoves implements NovaMoves {

    /** The kernel image every server here boots with (no ramdisk). */
    static final String KERNEL_IMAGE = "9a187fff-d672-4ea7-87ce-3faaab979c6f";

    final List<String> calls = new CopyOnWriteArrayList<>();
    final Deque<MoveResult.Outcome> liveMigrations = new ArrayDeque<>();
    final Deque<MoveResult.Outcome> evacuations = new ArrayDeque<>();
    final Deque<Optional<MoveResult.Outcome>> follows = new ArrayDeque<>();
    final Map<String, ComputeService> services = new HashMap<>();
    final Map<UUID, Server> servers = new HashMap<>();
    final List<Fenced> proofs = new ArrayList<>();
    final List<Migration> migrations = new CopyOnWriteArrayList<>();
    ServiceChange.Outcome forceDown = ServiceChange.Outcome.CHANGED;
    /** What Nova does while it live-migrates, for tests of what runs beside it: by default nothing. */
    volatile Runnable whileMigrating = () -> { };

    FakeNovaMoves service(String host, boolean up, Instant lastReport) {
        services.put(host, new ComputeService(UUID.nameUUIDFromBytes(host.getBytes()), host, true, Optional.empty(),
                up, false, Optional.of(lastReport)));
        return this;
    }

    FakeNovaMoves server(UUID vm, String host) {
        servers.put(vm, new Server(vm, "vm", "ACTIVE", Optional.of(host), Optional.empty(), 64,
                Optional.of(KERNEL_IMAGE), Optional.empty()));
        return this;
    }

    @Override
    public MoveResult liveMigrate(UUID vm, String host) {
        calls.add("liveMigrate " + host);
        whileMigrating.run();
        return result(MoveResult.Kind.LIVE_MIGRATION, vm, host, liveMigrations.pop(), false);
    }

    /** Records when a live migration's reads of Nova would begin, then its request when it runs. */
    @Override
    public Supplier<MoveResult> liveMigration(UUID vm, String host) {
        calls.add("read for liveMigrate " + host);
        return () -> liveMigrate(vm, host);
    }

    @Override
    public Optional<MoveResult> followLiveMigration(UUID vm) {
        calls.add("followLiveMigration");
        return follows.pop().map(o -> result(MoveResult.Kind.LIVE_MIGRATION, vm, "compute2", o, true));
    }

    @Override
    public MoveResult evacuate(UUID vm, String host, Fenced fenced) {
        calls.add("evacuate " + host + " fenced " + fenced.host());
        proofs.add(fenced);
        return result(MoveResult.Kind.EVACUATION, vm, host, evacuations.pop(), false);
    }

    /** As the bridge's force-down: an enabled service is disabled with REASON, a disabled one keeps its own. */
    @Override
    public ServiceChange forceDown(String host, String reason) {
        calls.add("forceDown " + host);
        Optional<ComputeService> before = Optional.ofNullable(services.get(host));
        if (forceDown == ServiceChange.Outcome.CHANGED && before.isPresent()) {
            forcedDown(host, true);
            if (before.get().enabled()) {
                disabled(host, Optional.of(reason));
            }
        }
        return new ServiceChange(host, true, forceDown, before, Optional.ofNullable(services.get(host)),
                forceDown == ServiceChange.Outcome.CHANGED ? "read back from Nova" : "as the test said", List.of(),
                List.of("req-force-down"), 2);
    }

    /** Nova's view of HOST's nova-compute, forced down or not. */
    FakeNovaMoves forcedDown(String host, boolean forcedDown) {
        ComputeService s = services.get(host);
        services.put(host, new ComputeService(s.id(), host, s.enabled(), s.disabledReason(), s.up() && !forcedDown,
                forcedDown, s.updatedAt()));
        return this;
    }

    /** Nova's view of HOST's nova-compute disabled with REASON, or enabled when empty. */
    FakeNovaMoves disabled(String host, Optional<String> reason) {
        ComputeService s = services.get(host);
        services.put(host, new ComputeService(s.id(), host, reason.isEmpty(), reason, s.up(), s.forcedDown(),
                s.updatedAt()));
        return this;
    }

    /** Nova's record of VM's evacuation from SOURCE to DEST, in STATUS. */
    FakeNovaMoves evacuation(UUID vm, String source, String dest, String status) {
        migrations.removeIf(m -> m.instanceUuid().equals(vm) && m.sourceCompute().equals(Optional.of(source)));
        migrations.add(new Migration(migrations.size() + 1, vm, Migration.EVACUATION, status, Optional.of(source),
                Optional.of(dest), Instant.parse("2026-11-29T09:00:00Z"), Optional.empty()));
        return this;
    }

    @Override
    public ServiceChange liftForcedDown(String host) {
        calls.add("liftForcedDown " + host);
        // As Nova: only lifting forced_down waits for the cleanup, not enabling.
        List<Migration> pending = !services.get(host).forcedDown() ? List.of() : evacuationsFrom(host).stream()
                .filter(m -> m.status().equals(Migration.DONE)).toList();
        if (!pending.isEmpty()) {
            return new ServiceChange(host, false, ServiceChange.Outcome.AWAITING_CLEANUP, Optional.empty(),
                    Optional.empty(), "Nova keeps it forced down", pending, List.of(), 2);
        }
        ComputeService was = services.get(host);
        forcedDown(host, false);
        if (was.disabledByUnderstudy()) {
            disabled(host, Optional.empty());
        }
        boolean changed = was.forcedDown() || was.disabledByUnderstudy();
        return new ServiceChange(host, false, changed ? ServiceChange.Outcome.CHANGED : ServiceChange.Outcome.UNCHANGED,
                Optional.of(was), Optional.of(services.get(host)), "read back from Nova", List.of(), List.of("req-lift"),
                3);
    }

    @Override
    public List<Migration> evacuationsFrom(String host) {
        calls.add("evacuationsFrom " + host);
        return migrations.stream().filter(m -> m.sourceCompute().equals(Optional.of(host))).toList();
    }

    @Override
    public Optional<Server> server(UUID vm) {
        calls.add("server");
        return Optional.ofNullable(servers.get(vm));
    }

    @Override
    public Optional<ComputeService> computeService(String host) {
        calls.add("computeService " + host);
        return Optional.ofNullable(services.get(host));
    }

    @Override
    public List<ComputeService> computeServices() {
        calls.add("computeServices");
        return List.copyOf(services.values());
    }

    private static MoveResult result(MoveResult.Kind kind, UUID vm, String host, MoveResult.Outcome outcome,
            boolean resumed) {
        return new MoveResult(kind, vm, host, outcome, outcome == MoveResult.Outcome.COMPLETED ? "ACTIVE on " + host
                : "as the test said", resumed, Optional.empty(), Optional.empty(), List.of("req-" + kind.name()),
                new MoveResult.Timing(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(30)), 5);
    }
}

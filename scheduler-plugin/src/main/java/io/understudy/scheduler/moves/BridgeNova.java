package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.ActionSettings;
import io.understudy.nova.action.Evacuation;
import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.action.LiveMigration;
import io.understudy.nova.action.MoveResult;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.Retrying;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import io.understudy.nova.state.Server;
import io.understudy.nova.state.Servers;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/** The moves' Nova: the bridge's action classes over one Nova client. */
public final class BridgeNova implements NovaMoves {

    private final LiveMigration liveMigration;
    private final Evacuation evacuation;
    private final ForceDown forceDown;
    private final Servers servers;
    private final ComputeServices services;
    private final Migrations migrations;

    public BridgeNova(NovaCalls nova, ActionSettings settings) {
        requireNonNull(nova, "nova is null");
        requireNonNull(settings, "settings is null");
        this.liveMigration = new LiveMigration(nova, settings);
        this.evacuation = new Evacuation(nova, settings);
        this.forceDown = new ForceDown(nova, settings);
        NovaCalls reads = new Retrying(nova, settings.retry());
        this.servers = new Servers(reads);
        this.services = new ComputeServices(reads);
        this.migrations = new Migrations(reads);
    }

    @Override
    public MoveResult liveMigrate(UUID vm, String host) {
        return liveMigration.run(vm, host);
    }

    @Override
    public Supplier<MoveResult> liveMigration(UUID vm, String host) {
        LiveMigration.Prepared prepared = liveMigration.prepare(vm, host);
        return () -> liveMigration.run(prepared);
    }

    @Override
    public Optional<MoveResult> followLiveMigration(UUID vm) {
        return liveMigration.resume(vm);
    }

    @Override
    public MoveResult evacuate(UUID vm, String host, Fenced fenced) {
        return evacuation.run(vm, host, fenced);
    }

    @Override
    public ServiceChange forceDown(String host, String reason) {
        return forceDown.set(host, reason);
    }

    @Override
    public ServiceChange liftForcedDown(String host) {
        return forceDown.lift(host);
    }

    @Override
    public List<Migration> evacuationsFrom(String host) {
        return migrations.evacuationsFrom(host);
    }

    @Override
    public Optional<Server> server(UUID vm) {
        return servers.show(vm);
    }

    @Override
    public Optional<ComputeService> computeService(String host) {
        return services.ofHost(host);
    }

    @Override
    public List<ComputeService> computeServices() {
        return services.list();
    }
}

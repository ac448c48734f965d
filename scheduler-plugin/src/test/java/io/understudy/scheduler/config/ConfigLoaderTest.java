package io.understudy.scheduler.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.scheduler.yaml.YamlException;
import io.understudy.nova.action.ActionSettings;
import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.RetryPolicy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Pins every default and every key's mapping (Airlift's assertRecordedDefaults and
 * assertFullMapping): a renamed key or a changed default fails here.
 */
class ConfigLoaderTest {

    private static final Path BASE = Path.of("/etc/understudy");

    /** Every key set to something that is not its default. */
    private static final String FULL = """
            listen: 127.0.0.1:9798
            dataDir: /srv/understudy
            rules: rules.yaml
            dryRun: true
            openstack:
              cloudsYaml: clouds.yaml
              cloud: understudy
              requestTimeout: 45s
              pageSize: 200
            agents:
              port: 9000
              scheme: https
              timeout: 1500ms
              parallelism: 8
              auth:
                clusterTokenFile: /etc/understudy/token
              tls:
                certificate: tls/controller.crt
                key: tls/controller.key
                ca: tls/ca.crt
              endpoints: {compute1: "http://127.0.0.1:9801", compute2: "https://10.0.0.2:9797"}
            api:
              idleTimeout: 20s
              workers: 2
              keystone:
                readerRoles: [reader, understudy-viewer]
                actorRoles: [admin, understudy-operator]
                cacheTime: 2m
            evaluation:
              interval: 5s
            placement:
              interval: 2m
              releaseDeletedAfter: 30m
            jobstore: jdbc
            jdbc:
              url: jdbc:mariadb://db:3306/understudy
              user: understudy
              passwordFile: db-password
              poolSize: 6
              createSchema: false
            cluster:
              instanceId: controller-a
              checkinInterval: 3s
            history:
              file: /var/log/understudy/history.jsonl
              recordStays: true
            moves:
              finalSync: true
              holdFor: 10m
              serviceDownTime: 10s
              liveMigrationTimeout: 5m
              liveMigrationTimeoutPerGiB: 30s
              onTimeout: force-complete
              settleTimeout: 2m
              evacuationTimeout: 4m
              requestAttempts: 6
              retryWait: 250ms
              retryMaxWait: 4s
              pollWait: 200ms
              pollMaxWait: 1s
              fencing:
                default: agent
                confirmedFor: 10m
                hosts:
                  compute2:
                    method: redfish
                    bmc: https://10.0.1.2/
                    system: System.Embedded.1
                    credentials: bmc/compute2
                    ca: bmc/ca.pem
                    timeout: 20s
                  compute3:
                    method: process
                    command: [devstack/local-cloud.sh, fence, "{host}"]
                    timeout: 10s
                  compute4: nova-down
            detection:
              probeInterval: 500ms
              probeTimeout: 300ms
              missedProbes: 4
              reportInterval: 2s
              reportMargin: 1s
              novaReadInterval: 700ms
              bmcTimeout: 5s
              hosts: {compute1: {reportInterval: 5s}}
            """;

    @Test
    void defaults() {
        ControllerConfig c = new ConfigLoader().parse("{}", "c.yaml", BASE);
        assertThat(c).isEqualTo(ControllerConfig.defaults());
        // No status API; when listening: 10 s for a client's headers or between its requests, 4 threads.
        assertThat(c.api()).isEqualTo(new ApiConfig(Optional.empty(), Duration.ofSeconds(10), 4,
                new ApiConfig.Keystone(Set.of("reader"), Set.of("admin"), Duration.ofMinutes(5))));
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/understudy/controller"));
        assertThat(c.rules()).isEmpty();
        assertThat(c.dryRun()).isFalse();
        assertThat(c.openstack()).isEqualTo(new OpenStackConfig(Optional.empty(), Optional.empty(),
                Duration.ofSeconds(30), 1000));
        assertThat(c.agents()).isEqualTo(new AgentsConfig(9797, "http", Duration.ofSeconds(2), 32, Optional.empty(),
                Optional.empty(), Optional.empty(), Map.of()));
        assertThat(c.agents().endpoint("compute1")).isEqualTo(URI.create("http://compute1:9797"));
        assertThat(c.jobs()).isEqualTo(new JobsConfig(Duration.ofSeconds(10), Duration.ofSeconds(60),
                JobsConfig.Store.MEMORY, Optional.empty(), Optional.empty(), Optional.empty(), 4, true, "AUTO",
                Duration.ofMillis(7500)));
        assertThat(c.historyFile()).isEmpty();
        assertThat(c.history()).isEqualTo(Path.of("/var/lib/understudy/controller/history.jsonl"));
        assertThat(c.recordStays()).isFalse();
        // A protected VM Nova no longer lists is released after an hour: many placement rounds that agree.
        assertThat(c.releaseDeletedAfter()).isEqualTo(Duration.ofHours(1));
        // Nova's own service_down_time (60 s), 2 min + 2 min per GiB for a live migration, 3 min for an
        // evacuation; 4 attempts 0.5-2 s apart; polls every 0.25 s.
        // A host's fence: nova-down unless configured; an operator's confirmation stands for 30 min.
        assertThat(c.moves()).isEqualTo(new MovesConfig(new ActionSettings(
                new RetryPolicy(4, new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2))),
                new Backoff(Duration.ofMillis(250), Duration.ofMillis(250)), Duration.ofMinutes(2), Duration.ofMinutes(2),
                ActionSettings.OnTimeout.ABORT, Duration.ofMinutes(1), Duration.ofMinutes(3)), Duration.ofSeconds(60),
                false, Duration.ofMinutes(30), new FenceConfig.NovaDown(), Map.of(), Duration.ofMinutes(30)));
        assertThat(c.moves().actions()).isEqualTo(ActionSettings.DEFAULTS);
        // Probes every second, 500 ms to answer, 3 missed in a row; Nova's own report_interval
        // (10 s) plus 2 s; Nova read every 5 s (half the report interval); 2 s for a BMC.
        assertThat(c.detection()).isEqualTo(new DetectionConfig(Duration.ofSeconds(1), Duration.ofMillis(500), 3,
                Duration.ofSeconds(10), Duration.ofSeconds(2), Optional.empty(), Duration.ofSeconds(2), Map.of()));
        assertThat(c.detection().novaEvery()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.detection().silenceLimit("compute1")).isEqualTo(Duration.ofSeconds(12));
    }

    @Test
    void fullMapping() {
        ControllerConfig c = new ConfigLoader().parse(FULL, "c.yaml", BASE);
        assertThat(c.api()).isEqualTo(new ApiConfig(Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", 9798)),
                Duration.ofSeconds(20), 2, new ApiConfig.Keystone(Set.of("reader", "understudy-viewer"),
                Set.of("admin", "understudy-operator"), Duration.ofMinutes(2))));
        assertThat(c.dataDir()).isEqualTo(Path.of("/srv/understudy"));
        assertThat(c.rules()).contains(Path.of("/etc/understudy/rules.yaml"));
        assertThat(c.dryRun()).isTrue();
        assertThat(c.openstack()).isEqualTo(new OpenStackConfig(Optional.of(Path.of("/etc/understudy/clouds.yaml")),
                Optional.of("understudy"), Duration.ofSeconds(45), 200));
        assertThat(c.agents()).isEqualTo(new AgentsConfig(9000, "https", Duration.ofMillis(1500), 8, Optional.empty(),
                Optional.of(Path.of("/etc/understudy/token")), Optional.of(new AgentsConfig.TlsFiles(
                        Path.of("/etc/understudy/tls/controller.crt"), Path.of("/etc/understudy/tls/controller.key"),
                        Path.of("/etc/understudy/tls/ca.crt"))), Map.of("compute1", URI.create("http://127.0.0.1:9801"),
                        "compute2", URI.create("https://10.0.0.2:9797"))));
        assertThat(c.agents().endpoint("compute2")).isEqualTo(URI.create("https://10.0.0.2:9797"));
        assertThat(c.agents().endpoint("compute3")).isEqualTo(URI.create("https://compute3:9000"));
        assertThat(c.jobs()).isEqualTo(new JobsConfig(Duration.ofSeconds(5), Duration.ofMinutes(2), JobsConfig.Store.JDBC,
                Optional.of("jdbc:mariadb://db:3306/understudy"), Optional.of("understudy"),
                Optional.of(Path.of("/etc/understudy/db-password")), 6, false, "controller-a", Duration.ofSeconds(3)));
        assertThat(c.historyFile()).contains(Path.of("/var/log/understudy/history.jsonl"));
        assertThat(c.history()).isEqualTo(Path.of("/var/log/understudy/history.jsonl"));
        assertThat(c.recordStays()).isTrue();
        assertThat(c.releaseDeletedAfter()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.moves()).isEqualTo(new MovesConfig(new ActionSettings(
                new RetryPolicy(6, new Backoff(Duration.ofMillis(250), Duration.ofSeconds(4))),
                new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1)), Duration.ofMinutes(5), Duration.ofSeconds(30),
                ActionSettings.OnTimeout.FORCE_COMPLETE, Duration.ofMinutes(2), Duration.ofMinutes(4)),
                Duration.ofSeconds(10), true, Duration.ofMinutes(10), new FenceConfig.Agent(), Map.of(
                        "compute2", new FenceConfig.Redfish(URI.create("https://10.0.1.2"), "System.Embedded.1",
                                Path.of("/etc/understudy/bmc/compute2"),
                                Optional.of(Path.of("/etc/understudy/bmc/ca.pem")),
                                Duration.ofSeconds(20)),
                        "compute3", new FenceConfig.Process(List.of("/etc/understudy/devstack/local-cloud.sh", "fence",
                                "{host}"), Duration.ofSeconds(10)),
                        "compute4", new FenceConfig.NovaDown()), Duration.ofMinutes(10)));
        assertThat(c.detection()).isEqualTo(new DetectionConfig(Duration.ofMillis(500), Duration.ofMillis(300), 4,
                Duration.ofSeconds(2), Duration.ofSeconds(1), Optional.of(Duration.ofMillis(700)), Duration.ofSeconds(5),
                Map.of("compute1", Duration.ofSeconds(5))));
        assertThat(c.detection().silenceLimit("compute1")).isEqualTo(Duration.ofSeconds(6));
        assertThat(c.detection().silenceLimit("compute2")).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void detectionReadsNovaEveryHalfTheShortestReportIntervalAndRefusesWhatCannotWork() {
        DetectionConfig d = new ConfigLoader().parse("""
                detection:
                  reportInterval: 10s
                  hosts: {compute1: {reportInterval: 3s}, compute2: {reportInterval: 20s}}
                """, "c.yaml", BASE).detection();
        assertThat(d.novaEvery()).isEqualTo(Duration.ofMillis(1500));
        assertThat(new ConfigLoader().parse("detection: {probeInterval: 200ms}\n", "c.yaml", BASE).detection()
                .probeTimeout()).as("the default timeout shortened to the interval").isEqualTo(Duration.ofMillis(200));
        assertThatThrownBy(() -> new ConfigLoader().parse("detection:\n  probeInterval: 1s\n  probeTimeout: 2s\n",
                "c.yaml", BASE)).isInstanceOf(YamlException.class)
                .hasMessage("c.yaml:3: detection.probeTimeout: is longer than detection.probeInterval");
        assertThatThrownBy(() -> new ConfigLoader().parse("detection: {missedProbes: 0}\n", "c.yaml", BASE))
                .isInstanceOf(YamlException.class).hasMessageStartingWith("c.yaml:1: detection.missedProbes: ");
        assertThatThrownBy(() -> new ConfigLoader().parse("detection: {reportInterval: 0s}\n", "c.yaml", BASE))
                .isInstanceOf(YamlException.class).hasMessage("c.yaml:1: detection.reportInterval: must be longer than 0");
        assertThatThrownBy(() -> new ConfigLoader().parse("detection:\n  hosts:\n    compute1: {reportIntervl: 3s}\n",
                "c.yaml", BASE)).isInstanceOf(YamlException.class)
                .hasMessageStartingWith("c.yaml:3: detection.hosts.compute1.reportIntervl: unknown key");
        assertThatThrownBy(() -> new ConfigLoader().parse("detection:\n  hosts:\n    compute1: 3s\n", "c.yaml", BASE))
                .isInstanceOf(YamlException.class).hasMessageStartingWith("c.yaml:3: detection.hosts.compute1: ");
    }

    @Test
    void theFullMappingCoversEveryKeyTheLoaderKnows() {
        ConfigLoader loader = new ConfigLoader();
        loader.parse("{}", "c.yaml", BASE);
        Set<String> known = loader.keysRead();
        Set<String> inFull = leaves(FULL);
        // clusterToken and clusterTokenFile exclude each other; the inline token is mapped below.
        inFull.add("agents.auth.clusterToken");
        // A host's fence is read under its own name; its keys are pinned by fullMapping.
        inFull.removeIf(k -> k.startsWith("moves.fencing.hosts."));
        inFull.add("moves.fencing.hosts");
        assertThat(inFull).isEqualTo(known);
    }

    @Test
    void anInlineClusterTokenAndWhatTheDevstackPluginWrites() {
        ControllerConfig c = new ConfigLoader().parse("""
                listen: 10.0.0.5:9798
                dataDir: /opt/stack/data/understudy/controller
                openstack:
                  cloudsYaml: /etc/understudy/clouds.yaml
                  cloud: understudy
                detection:
                  reportInterval: 10s
                agents:
                  port: 9797
                  auth:
                    clusterToken: s3cret
                rules: none
                dryRun: true
                """, "controller.yaml", BASE);
        assertThat(c.agents().clusterToken()).contains("s3cret");
        assertThat(c.rules()).isEmpty();
    }

    @Test
    void aStatusApiNeedsTheClusterTokenAndWholeSecondsOfIdleTime() {
        assertThatThrownBy(() -> new ConfigLoader().parse("listen: 127.0.0.1:9798\n", "c.yaml", BASE))
                .isInstanceOf(YamlException.class).hasMessage("c.yaml:1: listen: the status API answers only with "
                        + "the cluster token: give agents.auth.clusterToken or clusterTokenFile");
        assertThat(new ConfigLoader().parse("listen: 127.0.0.1:9798\nagents: {auth: {clusterTokenFile: token}}\n",
                "c.yaml", BASE).api().listen()).isPresent();
        assertThat(new ConfigLoader().parse("api: {idleTimeout: 2m}\n", "c.yaml", BASE).api().idleTimeout())
                .isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> new ConfigLoader().parse("api: {idleTimeout: 1500ms}\n", "c.yaml", BASE))
                .hasMessage("c.yaml:1: api.idleTimeout: must be whole seconds");
        assertThatThrownBy(() -> new ConfigLoader().parse("api: {idleTimeout: 0s}\n", "c.yaml", BASE))
                .hasMessage("c.yaml:1: api.idleTimeout: must be longer than 0");
        assertThatThrownBy(() -> new ConfigLoader().parse("api: {workers: 0}\n", "c.yaml", BASE))
                .hasMessageStartingWith("c.yaml:1: api.workers: ");
        assertThatThrownBy(() -> new ConfigLoader().parse("api: {headerTimeout: 5s}\n", "c.yaml", BASE))
                .hasMessageStartingWith("c.yaml:1: api.headerTimeout: unknown key");
    }

    @Test
    void keystoneRolesAreNamedAndSome() {
        assertThat(new ConfigLoader().parse("api: {keystone: {actorRoles: [understudy-operator]}}\n", "c.yaml", BASE)
                .api().keystone()).isEqualTo(new ApiConfig.Keystone(Set.of("reader"), Set.of("understudy-operator"),
                        Duration.ofMinutes(5)));
        assertThatThrownBy(() -> new ConfigLoader().parse("api: {keystone: {readerRoles: []}}\n", "c.yaml", BASE))
                .hasMessage("c.yaml:1: api.keystone.readerRoles: needs at least one role");
        assertThatThrownBy(() -> new ConfigLoader().parse("api: {keystone: {actorRoles: [admin, \" \"]}}\n", "c.yaml",
                BASE)).hasMessage("c.yaml:1: api.keystone.actorRoles[2]: a role name is empty");
        assertThatThrownBy(() -> new ConfigLoader().parse("api: {keystone: {roles: [admin]}}\n", "c.yaml", BASE))
                .hasMessageStartingWith("c.yaml:1: api.keystone.roles: unknown key");
    }

    @Test
    void mistakesNameTheirLineAndKey() {
        assertThatThrownBy(() -> new ConfigLoader().parse("agents:\n  prot: 1\n", "c.yaml", BASE))
                .isInstanceOf(YamlException.class).hasMessageStartingWith("c.yaml:2: agents.prot: unknown key");
        assertThatThrownBy(() -> new ConfigLoader().parse("jobstore: jdbc\n", "c.yaml", BASE))
                .hasMessage("c.yaml:1: jobstore: jdbc needs jdbc.url and jdbc.user");
        assertThatThrownBy(() -> new ConfigLoader().parse("jobstore: redis\n", "c.yaml", BASE))
                .hasMessage("c.yaml:1: jobstore: 'redis' is not memory or jdbc");
        assertThatThrownBy(() -> new ConfigLoader().parse("evaluation:\n  interval: 0s\n", "c.yaml", BASE))
                .hasMessage("c.yaml:2: evaluation.interval: must be longer than 0");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  holdFor: 3h\n", "c.yaml", BASE))
                .hasMessage("c.yaml:2: moves.holdFor: holdFor PT3H is longer than PT2H");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  holdFor: 0s\n", "c.yaml", BASE))
                .hasMessage("c.yaml:2: moves.holdFor: must be longer than 0");
        assertThatThrownBy(() -> new ConfigLoader().parse("placement:\n  releaseDeletedAfter: 0s\n", "c.yaml", BASE))
                .hasMessage("c.yaml:2: placement.releaseDeletedAfter: must be longer than 0");
        assertThatThrownBy(() -> new ConfigLoader().parse("placement: {releaseDeletedAfter: soon}\n", "c.yaml", BASE))
                .hasMessageStartingWith("c.yaml:1: placement.releaseDeletedAfter: 'soon' is not a duration");
        assertThatThrownBy(() -> new ConfigLoader().parse("listen: nowhere\n", "c.yaml", BASE))
                .hasMessage("c.yaml:1: listen: 'nowhere' is not HOST:PORT");
        assertThatThrownBy(() -> new ConfigLoader().parse("jdbc:\n  url: jdbc:postgresql://x/y\n", "c.yaml", BASE))
                .hasMessageStartingWith("c.yaml:2: jdbc.url: 'jdbc:postgresql://x/y' is not a MariaDB");
        assertThatThrownBy(() -> new ConfigLoader().parse("agents:\n  tls:\n    certificate: c\n", "c.yaml", BASE))
                .hasMessage("c.yaml:2: agents.tls: needs certificate, key and ca together");
        assertThatThrownBy(() -> new ConfigLoader().parse("agents:\n  tls: {certificate: c, key: k, ca: a}\n", "c.yaml",
                BASE)).hasMessage("c.yaml:2: agents.tls: needs agents.scheme: https");
        assertThatThrownBy(() -> new ConfigLoader().parse(
                "agents:\n  auth:\n    clusterToken: a\n    clusterTokenFile: b\n", "c.yaml", BASE))
                .hasMessageStartingWith("c.yaml:4: agents.auth.clusterTokenFile: give clusterToken or clusterTokenFile");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  fencing:\n    hosts: {compute1: ipmi}\n", "c.yaml",
                BASE)).hasMessage("c.yaml:3: moves.fencing.hosts.compute1: 'ipmi' is not a fencing method (known: "
                + "nova-down, agent, redfish, process)");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  fencing:\n    hosts: {compute1: redfish}\n",
                "c.yaml", BASE)).hasMessage("c.yaml:3: moves.fencing.hosts.compute1: redfish needs settings: "
                + "{method: redfish, bmc: URL, credentials: FILE}");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  fencing:\n    hosts:\n      compute1:\n"
                + "        method: redfish\n        bmc: http://10.0.1.1\n        credentials: c\n", "c.yaml", BASE))
                .hasMessage("c.yaml:6: moves.fencing.hosts.compute1.bmc: 'http://10.0.1.1' is not an "
                        + "https://HOST[:PORT] URL (the BMC's credentials travel to it)");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  fencing:\n    hosts:\n      compute1:\n"
                + "        method: redfish\n        bmc: https://10.0.1.1\n", "c.yaml", BASE))
                .hasMessage("c.yaml:4: moves.fencing.hosts.compute1.credentials: is required");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  fencing:\n    default: {method: redfish, "
                + "bmc: 'https://b', credentials: c}\n", "c.yaml", BASE))
                .hasMessage("c.yaml:3: moves.fencing.default: redfish needs each host's own BMC: give it under "
                        + "moves.fencing.hosts");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  fencing:\n    default: {method: process, "
                + "command: []}\n", "c.yaml", BASE))
                .hasMessage("c.yaml:3: moves.fencing.default.command: needs a program to run");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  fencing:\n    default: {method: agent, "
                + "timeout: 3s}\n", "c.yaml", BASE))
                .hasMessageStartingWith("c.yaml:3: moves.fencing.default.timeout: unknown key");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  onTimeout: wait\n", "c.yaml", BASE))
                .hasMessage("c.yaml:2: moves.onTimeout: 'wait' is not abort or force-complete");
        assertThatThrownBy(() -> new ConfigLoader().parse("moves:\n  pollWait: 3s\n  pollMaxWait: 1s\n", "c.yaml",
                BASE)).hasMessage("c.yaml:3: moves.pollMaxWait: is shorter than moves.pollWait");
        assertThatThrownBy(() -> new ConfigLoader().parse("agents:\n  endpoints: {compute1: 'ftp://x'}\n", "c.yaml",
                BASE)).hasMessage("c.yaml:2: agents.endpoints.compute1: 'ftp://x' is not an http:// or https:// URL");
        assertThatThrownBy(() -> new ConfigLoader().parse("agents:\n  endpoints: {compute1: 'https://10.0.0.1:9797/v1'}\n",
                "c.yaml", BASE)).hasMessage("c.yaml:2: agents.endpoints.compute1: 'https://10.0.0.1:9797/v1' has a path "
                + "(an agent is named by scheme, host and port only)");
        assertThatThrownBy(() -> new ConfigLoader().parse("agents:\n  endpoints: {compute1: 'https://u:p@10.0.0.1:9797'}\n",
                "c.yaml", BASE)).hasMessage("c.yaml:2: agents.endpoints.compute1: 'https://u:p@10.0.0.1:9797' carries "
                + "user information");
        // A longer first wait than the default's longest simply raises the longest with it.
        assertThat(new ConfigLoader().parse("moves: {pollWait: 5s}\n", "c.yaml", BASE).moves().actions().polling())
                .isEqualTo(new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }

    /** The dotted paths of a YAML document's leaves (indentation of two spaces per level). */
    private static Set<String> leaves(String yaml) {
        Set<String> out = new TreeSet<>();
        String[] stack = new String[8];
        for (String line : yaml.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int depth = (line.length() - line.stripLeading().length()) / 2;
            String key = line.strip().split(":", 2)[0];
            stack[depth] = key;
            String value = line.strip().split(":", 2)[1].strip();
            if (!value.isEmpty()) {
                out.add(String.join(".", java.util.Arrays.copyOf(stack, depth + 1)));
            }
        }
        return out;
    }
}

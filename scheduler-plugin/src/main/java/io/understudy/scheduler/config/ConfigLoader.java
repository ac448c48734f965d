package io.understudy.scheduler.config;

import io.understudy.agent.api.Hold;
import io.understudy.agent.api.Peer;
import io.understudy.scheduler.yaml.Fields;
import io.understudy.scheduler.yaml.YamlException;
import io.understudy.scheduler.yaml.YamlNode;
import io.understudy.scheduler.yaml.YamlReader;
import io.understudy.nova.action.ActionSettings;
import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the controller's YAML configuration into {@link ControllerConfig}. Relative paths are
 * taken relative to the configuration file's folder.
 */
public final class ConfigLoader {

    private final YamlReader yaml = new YamlReader();
    private final Set<String> keysRead = new TreeSet<>();

    public ControllerConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new YamlException(file.toString(), 0, "", "no such file");
        } catch (IOException e) {
            throw new YamlException(file.toString(), 0, "", "cannot be read: " + e.getMessage());
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(text, file.toString(), base);
    }

    /**
     * Every leaf key this loader understands, as dotted paths: filled by any load (every key is
     * asked for, present or not), for the tests that pin the full mapping.
     */
    public Set<String> keysRead() {
        Set<String> leaves = new TreeSet<>(keysRead);
        leaves.removeIf(k -> keysRead.stream().anyMatch(other -> other.startsWith(k + ".")));
        return leaves;
    }

    public ControllerConfig parse(String text, String source, Path base) {
        ControllerConfig d = ControllerConfig.defaults();
        Fields top = Fields.of(source, yaml.read(text, source));
        Optional<YamlNode> listenNode = top.node("listen");
        Optional<InetSocketAddress> listen = listenNode.map(n -> top.convert(n, ConfigLoader::address));
        Path dataDir = top.text("dataDir").map(p -> path(base, p)).orElse(d.dataDir());
        Optional<Path> rules = top.text("rules").filter(r -> !"none".equals(r)).map(p -> path(base, p));
        boolean dryRun = top.bool("dryRun").orElse(d.dryRun());

        OpenStackConfig os = d.openstack();
        Fields o = section(top, "openstack");
        OpenStackConfig openstack = new OpenStackConfig(
                o.text("cloudsYaml").map(p -> path(base, p)),
                o.text("cloud"),
                positive(o, "requestTimeout").orElse(os.requestTimeout()),
                o.integer("pageSize", 1, 10_000).orElse(os.pageSize()));
        finish(o);

        AgentsConfig ad = d.agents();
        Fields a = section(top, "agents");
        Fields auth = section(a, "auth");
        Optional<String> token = auth.text("clusterToken");
        Optional<Path> tokenFile = auth.text("clusterTokenFile").map(p -> path(base, p));
        if (token.isPresent() && tokenFile.isPresent()) {
            throw YamlException.at(source, auth.required("clusterTokenFile"), "give clusterToken or clusterTokenFile, not both");
        }
        finish(auth);
        Fields tls = section(a, "tls");
        Optional<Path> certificate = tls.text("certificate").map(p -> path(base, p));
        Optional<Path> key = tls.text("key").map(p -> path(base, p));
        Optional<Path> ca = tls.text("ca").map(p -> path(base, p));
        int given = (certificate.isPresent() ? 1 : 0) + (key.isPresent() ? 1 : 0) + (ca.isPresent() ? 1 : 0);
        if (given != 0 && given != 3) {
            throw YamlException.at(source, tls.mapping(), "needs certificate, key and ca together");
        }
        Optional<AgentsConfig.TlsFiles> tlsFiles = given == 3
                ? Optional.of(new AgentsConfig.TlsFiles(certificate.get(), key.get(), ca.get())) : Optional.empty();
        finish(tls);
        String scheme = a.node("scheme").map(n -> a.convert(n, s -> {
            if (!s.equals("http") && !s.equals("https")) {
                throw new IllegalArgumentException("'" + s + "' is not http or https");
            }
            return s;
        })).orElse(ad.scheme());
        if (tlsFiles.isPresent() && !scheme.equals("https")) {
            throw YamlException.at(source, tls.mapping(), "needs agents.scheme: https");
        }
        Map<String, URI> endpoints = byHost(a, "endpoints", ConfigLoader::agentUrl);
        AgentsConfig agents = new AgentsConfig(
                a.integer("port", 1, 65535).orElse(ad.port()),
                scheme,
                positive(a, "timeout").orElse(ad.timeout()),
                a.integer("parallelism", 1, 1024).orElse(ad.parallelism()),
                token, tokenFile, tlsFiles, endpoints);
        finish(a);
        if (listen.isPresent() && token.isEmpty() && tokenFile.isEmpty()) {
            throw YamlException.at(source, listenNode.orElseThrow(), "the status API answers only with the cluster "
                    + "token: give agents.auth.clusterToken or clusterTokenFile");
        }
        ApiConfig api = api(section(top, "api"), listen, d.api());

        JobsConfig jd = d.jobs();
        Fields ev = section(top, "evaluation");
        Duration evaluationInterval = positive(ev, "interval").orElse(jd.evaluationInterval());
        finish(ev);
        Fields pl = section(top, "placement");
        Duration placementInterval = positive(pl, "interval").orElse(jd.placementInterval());
        Duration releaseDeletedAfter = positive(pl, "releaseDeletedAfter").orElse(d.releaseDeletedAfter());
        finish(pl);
        Optional<YamlNode> storeNode = top.node("jobstore");
        JobsConfig.Store store = storeNode.map(n -> top.convert(n, s -> switch (s) {
            case "memory" -> JobsConfig.Store.MEMORY;
            case "jdbc" -> JobsConfig.Store.JDBC;
            default -> throw new IllegalArgumentException("'" + s + "' is not memory or jdbc");
        })).orElse(jd.store());
        Fields j = section(top, "jdbc");
        Optional<String> url = j.text("url");
        Optional<String> user = j.text("user");
        Optional<Path> passwordFile = j.text("passwordFile").map(p -> path(base, p));
        int poolSize = j.integer("poolSize", 1, 100).orElse(jd.jdbcPoolSize());
        boolean createSchema = j.bool("createSchema").orElse(jd.createSchema());
        url.ifPresent(u -> {
            if (!u.startsWith("jdbc:mariadb:") && !u.startsWith("jdbc:mysql:")) {
                throw YamlException.at(source, j.required("url"), "'" + u
                        + "' is not a MariaDB/MySQL JDBC URL (jdbc:mariadb://HOST:PORT/DATABASE)");
            }
        });
        if (store == JobsConfig.Store.JDBC && (url.isEmpty() || user.isEmpty())) {
            throw YamlException.at(source, storeNode.orElseThrow(), "jdbc needs jdbc.url and jdbc.user");
        }
        finish(j);
        Fields c = section(top, "cluster");
        String instanceId = c.text("instanceId").orElse(jd.instanceId());
        Duration checkin = positive(c, "checkinInterval").orElse(jd.checkinInterval());
        finish(c);
        JobsConfig jobs = new JobsConfig(evaluationInterval, placementInterval, store, url, user, passwordFile, poolSize,
                createSchema, instanceId, checkin);

        Fields h = section(top, "history");
        Optional<Path> historyFile = h.text("file").map(p -> path(base, p));
        boolean recordStays = h.bool("recordStays").orElse(d.recordStays());
        finish(h);
        MovesConfig moves = moves(section(top, "moves"), d.moves(), base);
        DetectionConfig detection = detection(section(top, "detection"), d.detection());
        finish(top);
        return new ControllerConfig(api, dataDir, rules, dryRun, openstack, agents, jobs, historyFile, recordStays,
                moves, detection, releaseDeletedAfter);
    }

    private ApiConfig api(Fields f, Optional<InetSocketAddress> listen, ApiConfig d) {
        Duration idleTimeout = positive(f, "idleTimeout").orElse(d.idleTimeout());
        if (idleTimeout.toMillis() % 1000 != 0) {
            throw YamlException.at(f.source(), f.required("idleTimeout"), "must be whole seconds");
        }
        int workers = f.integer("workers", 1, 256).orElse(d.workers());
        Fields k = section(f, "keystone");
        ApiConfig.Keystone kd = d.keystone();
        ApiConfig.Keystone keystone = new ApiConfig.Keystone(roles(k, "readerRoles").orElse(kd.readerRoles()),
                roles(k, "actorRoles").orElse(kd.actorRoles()), k.duration("cacheTime").orElse(kd.cacheTime()));
        finish(k);
        ApiConfig api = new ApiConfig(listen, idleTimeout, workers, keystone);
        finish(f);
        return api;
    }

    /** A list of Keystone role names, at least one. */
    private static Optional<Set<String>> roles(Fields f, String key) {
        return f.node(key).map(node -> {
            Set<String> roles = new LinkedHashSet<>();
            for (YamlNode item : f.list(node)) {
                String role = f.scalar(item).text().strip();
                if (role.isEmpty()) {
                    throw YamlException.at(f.source(), item, "a role name is empty");
                }
                roles.add(role);
            }
            if (roles.isEmpty()) {
                throw YamlException.at(f.source(), node, "needs at least one role");
            }
            return roles;
        });
    }

    private DetectionConfig detection(Fields f, DetectionConfig d) {
        Duration probeInterval = positive(f, "probeInterval").orElse(d.probeInterval());
        Duration probeTimeout = positive(f, "probeTimeout")
                .orElse(d.probeTimeout().compareTo(probeInterval) > 0 ? probeInterval : d.probeTimeout());
        if (probeTimeout.compareTo(probeInterval) > 0) {
            throw YamlException.at(f.source(), f.required("probeTimeout"), "is longer than " + f.path("probeInterval"));
        }
        Fields hosts = section(f, "hosts");
        Map<String, Duration> reportIntervals = new java.util.TreeMap<>();
        for (String host : hosts.mapping().entries().keySet()) {
            Fields h = section(hosts, host);
            positive(h, "reportInterval").ifPresent(r -> reportIntervals.put(host, r));
            finish(h);
        }
        finish(hosts);
        DetectionConfig detection = new DetectionConfig(probeInterval, probeTimeout,
                f.integer("missedProbes", 1, 100).orElse(d.missedProbes()),
                positive(f, "reportInterval").orElse(d.reportInterval()),
                f.duration("reportMargin").orElse(d.reportMargin()),
                positive(f, "novaReadInterval"),
                positive(f, "bmcTimeout").orElse(d.bmcTimeout()), reportIntervals);
        finish(f);
        return detection;
    }

    private MovesConfig moves(Fields m, MovesConfig d, Path base) {
        ActionSettings ad = d.actions();
        RetryPolicy retry = new RetryPolicy(m.integer("requestAttempts", 1, 20).orElse(ad.retry().attempts()),
                backoff(m, "retryWait", "retryMaxWait", ad.retry().backoff()));
        ActionSettings actions = new ActionSettings(retry,
                backoff(m, "pollWait", "pollMaxWait", ad.polling()),
                positive(m, "liveMigrationTimeout").orElse(ad.liveMigrationTimeout()),
                m.duration("liveMigrationTimeoutPerGiB").orElse(ad.liveMigrationTimeoutPerGiB()),
                m.node("onTimeout").map(n -> m.convert(n, s -> switch (s) {
                    case "abort" -> ActionSettings.OnTimeout.ABORT;
                    case "force-complete" -> ActionSettings.OnTimeout.FORCE_COMPLETE;
                    default -> throw new IllegalArgumentException("'" + s + "' is not abort or force-complete");
                })).orElse(ad.onTimeout()),
                positive(m, "settleTimeout").orElse(ad.settleTimeout()),
                positive(m, "evacuationTimeout").orElse(ad.evacuationTimeout()));
        Duration serviceDownTime = positive(m, "serviceDownTime").orElse(d.serviceDownTime());
        boolean finalSync = m.bool("finalSync").orElse(d.finalSync());
        Duration holdFor = positive(m, "holdFor").orElse(d.holdFor());
        if (holdFor.compareTo(Hold.MAX_LEASE) > 0) {
            throw YamlException.at(m.source(), m.required("holdFor"), "holdFor " + holdFor
                    + " is longer than " + Hold.MAX_LEASE);
        }
        Fields f = section(m, "fencing");
        Optional<YamlNode> defaultNode = f.node("default");
        FenceConfig defaultFence = defaultNode.map(n -> fence(f, n, base)).orElse(d.defaultFence());
        if (defaultFence instanceof FenceConfig.Redfish) {
            throw YamlException.at(f.source(), defaultNode.orElseThrow(), "redfish needs each host's own BMC: "
                    + "give it under moves.fencing.hosts");
        }
        Map<String, FenceConfig> fences = new java.util.TreeMap<>();
        f.node("hosts").map(hosts -> Fields.of(f.source(), hosts)).ifPresent(hosts -> hosts.mapping().entries()
                .values().forEach(e -> fences.put(e.key(), fence(hosts, e.value(), base))));
        Duration confirmedFor = positive(f, "confirmedFor").orElse(d.confirmedFor());
        finish(f);
        finish(m);
        return new MovesConfig(actions, serviceDownTime, finalSync, holdFor, defaultFence, fences, confirmedFor);
    }

    /** A fence, NODE in OWNER: a method's name alone, or a mapping of {@code method} and its settings. */
    private static FenceConfig fence(Fields owner, YamlNode node, Path base) {
        String source = owner.source();
        if (node instanceof YamlNode.Scalar) {
            return switch (owner.convert(node, ConfigLoader::fenceMethod)) {
                case NOVA_DOWN -> new FenceConfig.NovaDown();
                case AGENT -> new FenceConfig.Agent();
                case REDFISH -> throw YamlException.at(source, node, "redfish needs settings: "
                        + "{method: redfish, bmc: URL, credentials: FILE}");
                case PROCESS -> throw YamlException.at(source, node, "process needs settings: "
                        + "{method: process, command: [PROGRAM, ARGS...]}");
            };
        }
        Fields f = Fields.of(source, node);
        YamlNode methodNode = f.required("method");
        FenceConfig fence = switch (f.convert(methodNode, ConfigLoader::fenceMethod)) {
            case NOVA_DOWN -> new FenceConfig.NovaDown();
            case AGENT -> new FenceConfig.Agent();
            case REDFISH -> new FenceConfig.Redfish(f.convert(f.required("bmc"), ConfigLoader::bmcUrl),
                    f.text("system").orElse(FenceConfig.Redfish.DEFAULT_SYSTEM),
                    path(base, f.scalar(f.required("credentials")).text()),
                    f.text("ca").map(p -> path(base, p)),
                    positive(f, "timeout").orElse(FenceConfig.Redfish.DEFAULT_TIMEOUT));
            case PROCESS -> new FenceConfig.Process(command(f, base),
                    positive(f, "timeout").orElse(FenceConfig.Process.DEFAULT_TIMEOUT));
        };
        f.finish();
        return fence;
    }

    /** The program and its arguments; a program given by a relative path with a slash is relative to the file. */
    private static List<String> command(Fields f, Path base) {
        YamlNode node = f.required("command");
        List<String> command = new ArrayList<>();
        for (YamlNode item : f.list(node)) {
            command.add(f.scalar(item).text());
        }
        if (command.isEmpty()) {
            throw YamlException.at(f.source(), node, "needs a program to run");
        }
        String program = command.get(0);
        if (program.contains("/")) {
            command.set(0, path(base, program).toString());
        }
        return command;
    }

    /** Two durations, the first wait and the longest, as a backoff; the first may not exceed the longest. */
    private static Backoff backoff(Fields f, String firstKey, String maxKey, Backoff d) {
        Duration first = positive(f, firstKey).orElse(d.first());
        Duration max = positive(f, maxKey).orElse(first.compareTo(d.max()) > 0 ? first : d.max());
        if (max.compareTo(first) < 0) {
            throw YamlException.at(f.source(), f.required(maxKey), "is shorter than " + f.path(firstKey));
        }
        return new Backoff(first, max);
    }

    /** A mapping from compute host names to values, e.g. {@code endpoints: {compute1: http://...}}. */
    private static <T> Map<String, T> byHost(Fields f, String key, java.util.function.Function<String, T> convert) {
        Optional<YamlNode> node = f.node(key);
        if (node.isEmpty()) {
            return Map.of();
        }
        if (!(node.get() instanceof YamlNode.Mapping mapping)) {
            throw YamlException.at(f.source(), node.get(), "must be a mapping of host names, not " + node.get().kind());
        }
        Map<String, T> out = new java.util.TreeMap<>();
        mapping.entries().values().forEach(e -> out.put(e.key(), f.convert(e.value(), convert)));
        return out;
    }

    private static FenceMethod fenceMethod(String text) {
        return FenceMethod.byKey(text).orElseThrow(() -> new IllegalArgumentException("'" + text
                + "' is not a fencing method (known: " + FenceMethod.known() + ")"));
    }

    private static URI bmcUrl(String text) {
        URI uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' is not an https://HOST[:PORT] URL (the BMC's "
                    + "credentials travel to it)");
        }
        return uri;
    }

    private static URI agentUrl(String text) {
        try {
            URI uri = new URI(text);
            // The controller hands these URLs to the agents as peers: the agents' rule, checked at start.
            String problem = Peer.urlProblem(uri);
            if (problem != null) {
                throw new IllegalArgumentException("'" + text + "' " + problem);
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason());
        }
    }

    /** A section's keys; an absent section reads as an empty one (all defaults). */
    private static Fields section(Fields parent, String key) {
        YamlNode node = parent.node(key).orElseGet(() -> new YamlNode.Mapping(parent.mapping().line(),
                parent.path(key), java.util.Map.of()));
        return Fields.of(parent.source(), node);
    }

    /** Refuses unknown keys and notes the known ones (the tests pin the full mapping with them). */
    private void finish(Fields f) {
        keysRead.addAll(f.keysAsked());
        f.finish();
    }

    private static Optional<Duration> positive(Fields f, String key) {
        Optional<Duration> d = f.duration(key);
        if (d.isPresent() && d.get().isZero()) {
            throw YamlException.at(f.source(), f.required(key), "must be longer than 0");
        }
        return d;
    }

    private static Path path(Path base, String p) {
        Path path = Path.of(p);
        return path.isAbsolute() || base == null ? path : base.resolve(path).normalize();
    }

    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 1..65535");
        }
        String host = text.substring(0, colon).toLowerCase(Locale.ROOT);
        return InetSocketAddress.createUnresolved(host.startsWith("[") ? host.substring(1, host.length() - 1) : host, port);
    }
}

package io.understudy.agent.systemd;

import static java.util.stream.Collectors.joining;
import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.Health;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Preserved;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.config.ConfigReader;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.io.TempDirFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent's systemd unit, checked where systemd does not run as PID 1: {@code systemd-analyze}
 * verifies it without a word and scores its sandbox; the real agent, started by the unit's own
 * commands in a mount namespace laid out as the unit's ProtectSystem=, ReadWritePaths=,
 * PrivateTmp= and ProtectHome= lay it out, under {@code setpriv} with exactly the unit's
 * capability bounding set, umask and no-new-privileges, answers its health check, receives
 * deltas, stages the replica into an instances path of another owner by hard links (QEMU's user
 * then opens it) and keeps a disk of QEMU's user by hard links, all over HTTP; without any one of
 * those capabilities one of these fails. Under strace, it calls only what the unit's
 * SystemCallFilter= and RestrictAddressFamilies= allow; and it reaches the machine's libvirtd.
 */
class SystemdUnitIT {

    private static final Path REPO = Path.of(System.getProperty("understudy.repo", "."));
    private static final Path UNITS = REPO.resolve("devstack/systemd");
    private static final String NAME = "understudy-agent.service";
    private static final Path UNIT = UNITS.resolve(NAME);
    private static final String CONTROLLER = "understudy-controller.service";
    /** Where the unit expects the repository and the configuration. */
    private static final String INSTALLED = "/opt/understudy/";
    private static final String CONFIG = "/etc/understudy/agent.yaml";
    /**
     * The units systemd-analyze checks: the agent's, and the controller's beside it, with the
     * exposure measured for each: 2.2 ("OK") for the agent's (without a sandbox it scored 9.6,
     * "UNSAFE"), 1.5 ("OK") for the controller's, which has no capability at all.
     */
    private static final Map<String, Double> MAX_EXPOSURE = Map.of(NAME, 2.2, CONTROLLER, 1.5);
    /** Debian's nova and libvirt-qemu: the instances path's owner, and a running domain's disks'. */
    private static final int NOVA_UID = 64060;
    private static final int QEMU_UID = 64055;
    private static final UUID VM = UUID.fromString("3c1f0a52-8d4e-4b7a-9e26-5f0b7c9d1e84");
    private static final String TOKEN = "a-cluster-token-of-enough-length";
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    /** Not under /tmp: the unit's PrivateTmp= hides /tmp from the agent. */
    @TempDir(factory = BuildDirectory.class)
    Path tmp;

    private UnitFile unit;
    private final List<Process> started = new ArrayList<>();
    /** When set, the commands run under strace, which writes what they call into this directory. */
    private Path traces;

    /** Makes the test's folders in the build directory. */
    static final class BuildDirectory implements TempDirFactory {
        @Override
        public Path createTempDirectory(AnnotatedElementContext element, ExtensionContext context) throws IOException {
            Path target = Path.of(System.getProperty("understudy.agent.jar", "target/understudy-agent.jar")).getParent();
            return Files.createTempDirectory(target.toAbsolutePath(), "systemd-unit-");
        }
    }

    @BeforeEach
    void readUnit() throws IOException {
        unit = UnitFile.read(UNIT);
    }

    @AfterEach
    void stopAgents() throws InterruptedException {
        for (Process p : started) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        started.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {NAME, CONTROLLER})
    void systemdAnalyzeVerifiesTheUnitWithoutAWord(String name) throws IOException {
        Qemu.Run r = Qemu.exec(List.of("systemd-analyze", "verify", "--root=" + analysisRoot(name), name));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out() + r.err()).as("what systemd-analyze verify says about %s", name).isBlank();
    }

    @ParameterizedTest
    @ValueSource(strings = {NAME, CONTROLLER})
    void systemdAnalyzeScoresTheSandboxAtMostTheMeasuredExposure(String name) throws IOException {
        Qemu.Run r = Qemu.exec(List.of("systemd-analyze", "security", "--offline=yes", "--root=" + analysisRoot(name), name));
        Matcher m = Pattern.compile("Overall exposure level for " + Pattern.quote(name) + ": ([0-9.]+) (\\S+)")
                .matcher(r.out());
        assertThat(m.find()).as(r.out() + r.err()).isTrue();
        double exposure = Double.parseDouble(m.group(1));
        System.out.printf("systemd-analyze security: %s exposure %.1f %s (at most %.1f)%n", name, exposure, m.group(2),
                MAX_EXPOSURE.get(name));
        assertThat(exposure).as(r.out()).isLessThanOrEqualTo(MAX_EXPOSURE.get(name));
    }

    /** The agent's default data directory and instances path share a writable mount; its commands run sandboxed. */
    @Test
    void oneWritablePathHoldsTheDataDirectoryAndTheInstancesPathAndEveryCommandIsSandboxed() {
        // Each writable path is a mount of its own, and a hard link cannot cross mounts (EXDEV).
        assertThat(unit.words("Service.ReadWritePaths")).map(Path::of).as("a writable path with both")
                .anyMatch(p -> ConfigReader.DEFAULT_DATA_DIR.startsWith(p) && ConfigReader.DEFAULT_INSTANCES_PATH.startsWith(p));
        for (String key : List.of("Service.ExecStartPre", "Service.ExecStart")) {
            String command = unit.one(key, "");
            // A '+' or '!' prefix would run the command with full privileges, outside the sandbox.
            assertThat(command).as(key).startsWith(INSTALLED + "bin/understudy-agent ").endsWith(" --config " + CONFIG);
        }
        assertThat(unit.capabilities("Service.AmbientCapabilities")).isEmpty();
        assertThat(unit.yes("Service.NoNewPrivileges")).isTrue();
    }

    @Test
    void withTheUnitsCapabilitiesTheAgentStagesAndPreservesAndHasNoOther() throws Exception {
        List<String> caps = unit.capabilities("Service.CapabilityBoundingSet");
        Map<String, String> steps = run(tmp.resolve("unit"), caps);
        System.out.println("with " + caps + ": " + steps);
        assertThat(steps).as("every step").allSatisfy((step, outcome) -> assertThat(outcome).as(step).isEqualTo("ok"));
    }

    @Test
    void withoutAnyOneOfTheUnitsCapabilitiesStagingOrPreservingFails() throws Exception {
        List<String> caps = unit.capabilities("Service.CapabilityBoundingSet");
        assertThat(caps).isNotEmpty();
        for (String dropped : caps) {
            List<String> fewer = caps.stream().filter(c -> !c.equals(dropped)).toList();
            Map<String, String> steps = run(tmp.resolve("without-" + dropped), fewer);
            System.out.println("without " + dropped + ": " + steps);
            assertThat(steps.values()).as("without %s: %s", dropped, steps).anyMatch(outcome -> !outcome.equals("ok"));
            stopAgents();
        }
    }

    /** As root, the sandboxed agent reaches the machine's libvirtd through its socket on the read-only /run. */
    @Test
    void inTheSandboxTheAgentReachesTheMachinesLibvirtd() throws Exception {
        Map<String, String> steps = new LinkedHashMap<>();
        Optional<AgentClient> agent = startUnit(tmp.resolve("system"), unit.capabilities("Service.CapabilityBoundingSet"),
                "qemu:///system", steps);
        assertThat(agent).as("%s", steps).isPresent();
        assertThat(steps).as("every step").allSatisfy((step, outcome) -> assertThat(outcome).as(step).isEqualTo("ok"));
        Health health = agent.get().health();
        assertThat(health.libvirtReachable()).as(health.toString()).isTrue();
        assertThat(agent.get().hostStats().memoryTotalBytes()).isPositive();
    }

    /**
     * The agent through the same steps under strace: every system call it makes is in the unit's
     * SystemCallFilter=, every socket it opens of a family in its RestrictAddressFamilies=.
     */
    @Test
    void theAgentMakesOnlyTheCallsAndOpensOnlyTheSocketsTheUnitAllows() throws Exception {
        Path root = tmp.resolve("traced");
        traces = under(root, unit.words("Service.ReadWritePaths").get(0)).resolve("strace");
        Map<String, String> steps = run(root, unit.capabilities("Service.CapabilityBoundingSet"));
        for (Process p : started) {
            // The agent ends; strace, its parent, then writes out the rest and ends too.
            p.descendants().forEach(ProcessHandle::destroy);
            p.waitFor(60, TimeUnit.SECONDS);
        }
        assertThat(steps).as("every step").allSatisfy((step, outcome) -> assertThat(outcome).as(step).isEqualTo("ok"));

        Pattern call = Pattern.compile("^\\d+\\s+(\\w+)\\(");
        Pattern socket = Pattern.compile("socket\\((AF_\\w+)");
        Set<String> calls = new TreeSet<>();
        Set<String> families = new TreeSet<>();
        try (Stream<Path> files = Files.list(traces)) {
            for (Path f : files.toList()) {
                try (Stream<String> lines = Files.lines(f)) {
                    lines.forEach(line -> {
                        Matcher c = call.matcher(line);
                        if (c.find()) {
                            calls.add(c.group(1));
                        }
                        Matcher s = socket.matcher(line);
                        if (s.find()) {
                            families.add(s.group(1));
                        }
                    });
                }
            }
        }
        Set<String> allowed = new TreeSet<>();
        unit.words("Service.SystemCallFilter").forEach(entry -> allowed.addAll(syscalls(entry)));
        System.out.println("the agent made " + calls.size() + " distinct system calls " + calls + ", sockets " + families);
        assertThat(calls).as("system calls outside SystemCallFilter=").hasSizeGreaterThan(20).isSubsetOf(allowed);
        assertThat(families).as("socket families").isNotEmpty()
                .isSubsetOf(unit.words("Service.RestrictAddressFamilies"));
    }

    /** A SystemCallFilter= entry ({@code @group} or a call) as the calls it allows, as systemd-analyze lists them. */
    private static Set<String> syscalls(String entry) {
        if (!entry.startsWith("@")) {
            return Set.of(entry);
        }
        Set<String> calls = new TreeSet<>();
        String[] lines = Qemu.ok("systemd-analyze", "syscall-filter", entry).split("\n");
        for (String line : Arrays.asList(lines).subList(1, lines.length)) {
            String word = line.strip();
            if (!word.isEmpty() && !word.startsWith("#")) {
                calls.addAll(syscalls(word.split("\\s+")[0]));
            }
        }
        return calls;
    }

    /**
     * The unit's commands with {@code caps} as the bounding set, {@code root} standing for the
     * file system's root: the agent's default data directory (root's, 0700, as the README
     * installs it) and instances path (Nova's) below it; each step's outcome, "ok" or what failed,
     * up to the first that failed.
     */
    private Map<String, String> run(Path root, List<String> caps) throws Exception {
        Map<String, String> steps = new LinkedHashMap<>();
        Optional<AgentClient> agent = startUnit(root, caps, "test:///default", steps);
        if (agent.isEmpty()) {
            return steps;
        }
        AgentClient client = agent.get();
        Path data = under(root, ConfigReader.DEFAULT_DATA_DIR.toString());
        Path instances = under(root, ConfigReader.DEFAULT_INSTANCES_PATH.toString());
        DiskVersions disk = new DiskVersions(root.resolve("test/primary"), VM, 2);

        Health health = client.health();
        step(steps, "health", health.host().equals("compute2") && health.libvirtReachable(), health::toString);

        // A secondary's replica, seeded and brought forward over HTTP.
        String received = attempt(() -> {
            client.protect(new Protection(VM, Role.SECONDARY,
                    List.of(new Peer("compute1", URI.create("http://127.0.0.1:1/"))), Duration.ofHours(1)));
            for (int v = 1; v <= 2; v++) {
                client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(v - 1, v)));
            }
            return client.replica(VM).version() == 2 ? "ok" : "at version " + client.replica(VM).version();
        });
        if (!step(steps, "receive", received.equals("ok"), () -> received)) {
            return steps;
        }

        // Staged into Nova's instances path: the instance directory and disk are Nova's.
        Path instance = instances.resolve(VM.toString());
        String staged = attempt(() -> {
            Path staging = Path.of(client.stage(VM).disk());
            if (!staging.equals(instance.resolve("disk")) || !Qemu.identical(staging, disk.version(2))) {
                return staging + " is not version 2 at " + instance.resolve("disk");
            }
            int dirOwner = (int) Files.getAttribute(instance, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int diskOwner = (int) Files.getAttribute(staging, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (dirOwner != NOVA_UID || diskOwner != NOVA_UID) {
                return "instance directory of uid " + dirOwner + ", disk of uid " + diskOwner + ", not " + NOVA_UID;
            }
            // The replica's layers are hard links, not copies: staging takes milliseconds whatever the size.
            Path replica = data.resolve("replicas").resolve(VM.toString());
            try (Stream<Path> files = Files.list(instance)) {
                List<String> copied = files.filter(f -> !f.equals(staging)).filter(f -> !sameFile(f,
                        replica.resolve(f.getFileName()))).map(f -> f.getFileName().toString()).toList();
                return copied.isEmpty() ? "ok" : "copied, not linked from " + replica + ": " + copied;
            }
        });
        if (!step(steps, "stage", staged.equals("ok"), () -> staged)) {
            return steps;
        }

        // A domain started on it: libvirt gives the disk's chain to QEMU's user, which opens it.
        try (Stream<Path> files = Files.list(instance)) {
            for (Path f : files.toList()) {
                Files.setAttribute(f, "unix:uid", QEMU_UID, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(f, "unix:gid", QEMU_UID, LinkOption.NOFOLLOW_LINKS);
            }
        }
        // From within the instance directory: the directories above it are Nova's (and here the test's).
        Process qemu = new ProcessBuilder("setpriv", "--reuid=" + QEMU_UID, "--regid=" + QEMU_UID, "--clear-groups",
                "qemu-img", "info", "--backing-chain", "disk").directory(instance.toFile()).redirectErrorStream(true)
                .start();
        String opened = new String(qemu.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        step(steps, "QEMU's user opens the staged disk", qemu.waitFor() == 0, () -> opened);

        // Made its primary, this node keeps the disk (now QEMU's user's) by hard links in its data directory.
        String preserved = attempt(() -> {
            client.protect(new Protection(VM, Role.PRIMARY,
                    List.of(new Peer("compute1", URI.create("http://127.0.0.1:1/"))), Duration.ofHours(1)));
            Preserved p = client.preserved(VM);
            Path kept = data.resolve("preserved").resolve(VM.toString()).resolve("disk");
            return p.state() == Preserved.State.PRESERVED && Files.isSameFile(kept, instance.resolve("disk")) ? "ok"
                    : p.toString();
        });
        step(steps, "preserve a disk of QEMU's user", preserved.equals("ok"), () -> preserved);
        return steps;
    }

    /**
     * Starts the agent as the unit does (preserve, then serve) on {@code libvirtUri}, {@code root}
     * standing for the file system's root; its client once it listens, empty if it did not (what
     * failed in {@code steps}, and whether it runs with exactly {@code caps}).
     */
    private Optional<AgentClient> startUnit(Path root, List<String> caps, String libvirtUri, Map<String, String> steps)
            throws IOException, InterruptedException {
        Path data = Files.createDirectories(under(root, ConfigReader.DEFAULT_DATA_DIR.toString()));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        Path instances = Files.createDirectories(under(root, ConfigReader.DEFAULT_INSTANCES_PATH.toString()));
        Files.setAttribute(instances, "unix:uid", NOVA_UID);
        Files.setAttribute(instances, "unix:gid", NOVA_UID);
        Path config = under(root, CONFIG);
        Path token = Files.writeString(Files.createDirectories(config.getParent()).resolve("cluster.token"), TOKEN + "\n");
        Files.writeString(config, """
                host: compute2
                listen: 127.0.0.1:0
                dataDir: %s
                instancesPath: %s
                libvirt: {uri: "%s"}
                auth: {mode: token, tokenFile: %s}
                """.formatted(data, instances, libvirtUri, token));
        Path logs = Files.createDirectories(root.resolve("test"));

        Process pre = start(sandboxed(caps, root, command("Service.ExecStartPre", root)), logs.resolve("preserve.log"));
        boolean ended = pre.waitFor(2, TimeUnit.MINUTES);
        if (!step(steps, "ExecStartPre (preserve)", ended && pre.exitValue() == 0,
                () -> "exit " + (ended ? pre.exitValue() : "none") + ": " + Files.readString(logs.resolve("preserve.log")))) {
            return Optional.empty();
        }
        Process serve = start(sandboxed(caps, root, command("Service.ExecStart", root)), logs.resolve("serve.log"));
        Optional<Integer> port = port(serve, logs.resolve("serve.log"));
        if (!step(steps, "ExecStart (serve)", port.isPresent(), () -> Files.readString(logs.resolve("serve.log")))) {
            return Optional.empty();
        }
        TreeSet<String> effective = effective(serve);
        step(steps, "capabilities", effective.equals(new TreeSet<>(caps)), () -> "effective " + effective);
        return Optional.of(new AgentClient(URI.create("http://127.0.0.1:" + port.get() + "/"), TOKEN, null,
                Duration.ofSeconds(30)));
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** The absolute {@code path} below {@code root}. */
    private static Path under(Path root, String path) {
        return root.resolve(path.substring(1));
    }

    private interface Step {
        String run() throws IOException;
    }

    /** What {@code step} returns, or the agent's answer when it refused. */
    private static String attempt(Step step) throws IOException {
        try {
            return step.run();
        } catch (AgentException e) {
            return e.status() + " " + e.getMessage();
        }
    }

    /** Records {@code ok} or {@code why}'s text for {@code name}; whether it went well. */
    private static boolean step(Map<String, String> steps, String name, boolean ok, Step why) throws IOException {
        steps.put(name, ok ? "ok" : why.run().strip());
        return ok;
    }

    /**
     * One of the unit's commands as this machine runs it: the repository stands where the unit
     * expects {@code /opt/understudy}, the configuration under {@code root}.
     */
    private List<String> command(String key, Path root) {
        return Arrays.stream(unit.one(key, "").split("\\s+"))
                .map(w -> w.equals(CONFIG) ? under(root, CONFIG).toString()
                        : w.startsWith(INSTALLED) ? REPO.resolve(w.substring(INSTALLED.length())).toString() : w)
                .toList();
    }

    /**
     * {@code command} as systemd would start it from the unit, but with {@code caps} as the
     * bounding set: in a mount namespace of its own, {@code root} standing for the file system's
     * root in ReadWritePaths=, the file system as the unit's ProtectSystem=, ReadWritePaths=,
     * PrivateTmp= and ProtectHome= leave it (each writable path a mount of its own, as systemd
     * makes it); then its umask, no-new-privileges, user and ambient capabilities.
     */
    private List<String> sandboxed(List<String> caps, Path root, List<String> command) throws IOException {
        // The repository (the agent's jar, and root in its build directory) may itself lie in a folder
        // the unit hides (a clone in /tmp): held open here, shown again at its place once hidden.
        String repo = REPO.toAbsolutePath().normalize().toString();
        StringBuilder script = new StringBuilder("set -e\nrepo='" + repo + "'\nexec 3<\"$repo\"\n");
        if (unit.one("Service.ProtectSystem", "no").equals("strict")) {
            script.append("""
                    for m in $(awk '{print $5}' /proc/self/mountinfo | sort -u); do
                      case "$m" in /proc*|/sys*|/dev*) ;; *) mount -o remount,bind,ro "$m" ;; esac
                    done
                    """);
        }
        for (String path : unit.words("Service.ReadWritePaths")) {
            String rw = Files.createDirectories(under(root, path)).toString();
            script.append("mount --bind ").append(rw).append(' ').append(rw)
                    .append(" && mount -o remount,bind,rw ").append(rw).append('\n');
        }
        if (unit.yes("Service.PrivateTmp")) {
            script.append("mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -t tmpfs -o mode=1777 tmpfs /var/tmp\n");
        }
        if (unit.yes("Service.ProtectHome")) {
            script.append("for h in /root /home /run/user; do [ ! -d $h ] || mount -t tmpfs -o mode=000 tmpfs $h; done\n");
        }
        script.append("""
                for h in /tmp /var/tmp /root /home /run/user; do
                  case "$repo" in "$h"/*) mkdir -p "$repo" && mount --no-canonicalize --rbind /proc/self/fd/3 "$repo" ;; esac
                done
                exec 3<&-
                """);
        if (unit.yes("Service.ProtectHome")) {
            script.append("for h in /root /home /run/user; do [ ! -d $h ] || mount -o remount,ro $h; done\n");
        }
        script.append("umask ").append(unit.one("Service.UMask", "0022")).append("\nexec \"$@\"\n");
        List<String> c = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                script.toString(), "sh", "setpriv", "--bounding-set=-all" + caps.stream().map(x -> ",+" + x).collect(joining())));
        List<String> ambient = unit.capabilities("Service.AmbientCapabilities");
        if (!ambient.isEmpty()) {
            String set = "-all" + ambient.stream().map(x -> ",+" + x).collect(joining());
            c.add("--inh-caps=" + set);
            c.add("--ambient-caps=" + set);
        }
        if (unit.yes("Service.NoNewPrivileges")) {
            c.add("--no-new-privs");
        }
        String user = unit.one("Service.User", "root");
        if (!user.equals("root")) {
            c.addAll(List.of("--reuid=" + user, "--regid=" + user, "--init-groups"));
        }
        if (traces != null) {
            c.addAll(List.of("strace", "-f", "-qq", "-o",
                    Files.createDirectories(traces).resolve(command.get(1) + ".strace").toString()));
        }
        c.addAll(command);
        return c;
    }

    private Process start(List<String> command, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        for (String assignment : unit.words("Service.Environment")) {
            int eq = assignment.indexOf('=');
            env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
        }
        // The script runs the java on the PATH: this JVM's.
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** The port the agent says it listens on, once it does; empty if it ended first. */
    private static Optional<Integer> port(Process serve, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(Files.readString(log));
            if (m.find()) {
                return Optional.of(Integer.parseInt(m.group(1)));
            }
            if (serve.waitFor(100, TimeUnit.MILLISECONDS)) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The process's effective capabilities, by setpriv's names (which it lists in the kernel's order). */
    private static TreeSet<String> effective(Process p) throws IOException {
        String status = Files.readString(Path.of("/proc", Long.toString(p.pid()), "status"));
        Matcher m = Pattern.compile("CapEff:\\s*([0-9a-f]+)").matcher(status);
        assertThat(m.find()).as(status).isTrue();
        BigInteger bits = new BigInteger(m.group(1), 16);
        List<String> names = Arrays.asList(Qemu.ok("setpriv", "--list-caps").strip().split("\\s+"));
        TreeSet<String> caps = new TreeSet<>();
        for (int i = 0; i < bits.bitLength(); i++) {
            if (bits.testBit(i)) {
                caps.add(i < names.size() ? names.get(i) : "cap_" + i);
            }
        }
        return caps;
    }

    /**
     * A root for {@code systemd-analyze}: the unit {@code name} where INSTALL puts it, systemd's own
     * units (the targets it is ordered against; not this machine's other services, whose own
     * warnings are not the unit's), and a stand-in for each command it runs.
     */
    private Path analysisRoot(String name) throws IOException {
        Path root = tmp.resolve("root");
        Path units = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        Files.copy(UNITS.resolve(name), Files.createDirectories(root.resolve("etc/systemd/system")).resolve(name));
        UnitFile analysed = UnitFile.read(UNITS.resolve(name));
        for (String file : Qemu.ok("dpkg-query", "-L", "systemd").split("\n")) {
            Path f = Path.of(file);
            boolean unitFile = file.matches("/(usr/)?lib/systemd/system/[^/]+")
                    && (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(f));
            if (unitFile && !Files.exists(units.resolve(f.getFileName()), LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(f, units.resolve(f.getFileName()), LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        Set<String> made = new HashSet<>();
        for (String key : List.of("Service.ExecStartPre", "Service.ExecStart")) {
            String binary = analysed.one(key, "").split("\\s+")[0];
            // The controller's unit has no ExecStartPre=.
            if (!binary.isEmpty() && made.add(binary)) {
                Path stub = root.resolve(binary.substring(1));
                Files.createDirectories(stub.getParent());
                Files.writeString(stub, "#!/bin/sh\n");
                Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        return root;
    }
}

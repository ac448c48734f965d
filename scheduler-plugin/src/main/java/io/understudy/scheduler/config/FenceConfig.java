package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How one host is fenced ({@code moves.fencing.default}, {@code moves.fencing.hosts.HOST}): a
 * method name alone ({@code nova-down}, {@code agent}), or a mapping with {@code method:} and
 * that method's settings.
 */
public sealed interface FenceConfig {

    FenceMethod method();

    /** {@code nova-down}: Nova's own view; waits up to {@code moves.serviceDownTime} for the host's silence. */
    record NovaDown() implements FenceConfig {
        @Override
        public FenceMethod method() {
            return FenceMethod.NOVA_DOWN;
        }
    }

    /** {@code agent}: the host's agent destroys the domain within {@code agents.timeout}. */
    record Agent() implements FenceConfig {
        @Override
        public FenceMethod method() {
            return FenceMethod.AGENT;
        }
    }

    /**
     * {@code redfish}: a power-off through the host's BMC.
     *
     * @param bmc {@code bmc}: the BMC's base URL, https (credentials travel to it), e.g. {@code https://10.0.0.12}
     * @param system {@code system}: the ComputerSystem's id under {@code /redfish/v1/Systems/} (default {@code 1})
     * @param credentials {@code credentials}: a file whose first line is {@code USER:PASSWORD} (HTTP basic auth)
     * @param ca {@code ca}: PEM file of the CA the BMC's certificate chains to; empty: the JVM's trusted CAs
     * @param timeout {@code timeout}: from the ForceOff request until the BMC must report PowerState Off (default 60 s)
     */
    record Redfish(URI bmc, String system, Path credentials, Optional<Path> ca, Duration timeout)
            implements FenceConfig {

        public static final String DEFAULT_SYSTEM = "1";
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

        public Redfish {
            requireNonNull(bmc, "bmc is null");
            requireNonNull(system, "system is null");
            requireNonNull(credentials, "credentials is null");
            requireNonNull(ca, "ca is null");
            requireNonNull(timeout, "timeout is null");
        }

        @Override
        public FenceMethod method() {
            return FenceMethod.REDFISH;
        }
    }

    /**
     * {@code process}: a command; exit 0 within the timeout means fenced.
     *
     * @param command {@code command}: the program and its arguments; {@code {host}} and {@code {vm}} in them
     *     are replaced by the host fenced and the VM being failed over
     * @param timeout {@code timeout}: how long it may run before it is killed and the fence failed (default 30 s)
     */
    record Process(List<String> command, Duration timeout) implements FenceConfig {

        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

        public Process {
            command = List.copyOf(requireNonNull(command, "command is null"));
            requireNonNull(timeout, "timeout is null");
            if (command.isEmpty()) {
                throw new IllegalArgumentException("a process fence needs a command");
            }
        }

        @Override
        public FenceMethod method() {
            return FenceMethod.PROCESS;
        }
    }
}

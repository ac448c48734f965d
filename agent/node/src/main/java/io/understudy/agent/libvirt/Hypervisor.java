package io.understudy.agent.libvirt;

import io.understudy.agent.config.ConfigReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainBlockStats;
import org.libvirt.DomainInfo;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/**
 * One connection to a libvirt driver ({@code qemu:///system} on a compute node,
 * {@code test:///default} in tests), opened again by itself when the daemon restarts: while it
 * is down every call throws {@link LibvirtUnreachableException}. Domains are addressed by UUID:
 * under Nova that is the server's UUID, while names ({@code instance-XXXXXXXX}) are Nova's
 * internal numbering.
 */
public final class Hypervisor implements AutoCloseable {

    private static final int LIST_ACTIVE = 1;
    private static final int UNDEFINE_CHECKPOINTS_METADATA = 1 << 4;

    private final Link link;
    private final String uri;

    private Hypervisor(Link link) {
        this.link = link;
        this.uri = link.uri();
    }

    /**
     * Connects read-write, now: a daemon that does not answer gives a message that says how to
     * start it. For tools and tests (it reconnects as the daemon's does by default); the daemon uses
     * {@link #connect}.
     */
    public static Hypervisor open(String uri) throws HypervisorException {
        return new Hypervisor(Link.open(uri, ConfigReader.DEFAULT_LIBVIRT_RECONNECT_MAX, true));
    }

    /**
     * Connects read-write, at once if the daemon answers, otherwise as soon as it does: tries
     * 0.5 s apart at first, doubling up to {@code maxRetry}. Only a URI no daemon could answer
     * (no such driver, unparsable, refused credentials) is an error.
     */
    public static Hypervisor connect(String uri, Duration maxRetry) throws HypervisorException {
        return new Hypervisor(Link.open(uri, maxRetry, false));
    }

    public String uri() {
        return uri;
    }

    /** Whether libvirtd answers now: one call to it (a dead connection is noticed here, too). */
    public boolean reachable() {
        try {
            link.get().getLibVersion();
            return true;
        } catch (LibvirtUnreachableException e) {
            return false;
        } catch (LibvirtException e) {
            return !(link.failed("ask for its version", e) instanceof LibvirtUnreachableException);
        }
    }

    /** The domain with this UUID, if this hypervisor has one (running or only defined). */
    public Optional<DomainDescription> describe(UUID vm) throws HypervisorException {
        Optional<Domain> d = find(vm);
        return d.isPresent() ? Optional.of(describe(d.get(), vm)) : Optional.empty();
    }

    /** Every running domain, described. */
    public List<DomainDescription> runningDomains() throws HypervisorException {
        List<DomainDescription> all = new ArrayList<>();
        for (Domain d : active()) {
            try {
                all.add(DomainDescription.parse(d.getXMLDesc(0)));
            } catch (LibvirtException e) {
                if (!gone(e)) {
                    throw link.failed("read the XML of a running domain on " + uri, e);
                }
            }
        }
        return all;
    }

    /** The state of the domain {@code vm}; empty when no such domain exists. */
    public Optional<PowerState> state(UUID vm) throws HypervisorException {
        Optional<Domain> d = find(vm);
        return d.isPresent() ? Optional.of(state(d.get(), vm)) : Optional.empty();
    }

    /** What {@link #destroy} found and left: the state read back after the destroy. */
    public record Destroyed(UUID vm, boolean wasRunning, Optional<PowerState> after) {}

    /**
     * Fences a domain: destroys it (QEMU killed, no graceful shutdown) and reads its state back.
     * Returns only when libvirt confirms there is no QEMU process: the domain is shut off, or gone
     * (a transient domain disappears when destroyed). A domain that does not exist counts as fenced.
     *
     * @throws HypervisorException when the destroy fails or the domain is still not stopped
     */
    public Destroyed destroy(UUID vm) throws HypervisorException {
        Optional<Domain> found = find(vm);
        if (found.isEmpty()) {
            return new Destroyed(vm, false, Optional.empty());
        }
        Domain d = found.get();
        boolean wasRunning = !state(d, vm).stopped();
        if (wasRunning) {
            try {
                d.destroy();
            } catch (LibvirtException e) {
                // It may have stopped by itself in between; the state read back decides.
                if (e.getError().getCode() != Error.ErrorNumber.VIR_ERR_OPERATION_INVALID) {
                    throw link.failed("destroy domain " + vm, e);
                }
            }
        }
        Optional<PowerState> after = state(vm);
        if (after.isPresent() && !after.get().stopped()) {
            throw new HypervisorException("domain " + vm + " is still " + after.get() + " after destroy");
        }
        return new Destroyed(vm, wasRunning, after);
    }

    /**
     * Pauses a running domain: its vCPUs stop and QEMU drains in-flight I/O, so its disks hold
     * still for a final round (a hand-over) until it is resumed or destroyed.
     */
    public void pause(UUID vm) throws HypervisorException {
        try {
            domain(vm).suspend();
        } catch (LibvirtException e) {
            throw link.failed("pause domain " + vm, e);
        }
    }

    /** Defines the domain (persistent, as Nova's are) and starts it. */
    public DomainDescription defineAndStart(DomainSpec spec) throws HypervisorException {
        Domain d;
        try {
            d = link.get().domainDefineXML(spec.toXml());
        } catch (LibvirtException e) {
            throw link.failed("define domain " + spec.name() + " on " + spec.disk(), e);
        }
        try {
            d.create();
        } catch (LibvirtException e) {
            throw link.failed("start domain " + spec.name() + " on " + spec.disk(), e);
        }
        return describe(d, spec.uuid());
    }

    /**
     * Removes a domain's definition, its checkpoint metadata included (the dirty bitmaps stay in
     * its qcow2 files). With a running domain this only makes it transient.
     */
    public void undefine(UUID vm) throws HypervisorException {
        Optional<Domain> d = find(vm);
        if (d.isEmpty()) {
            return;
        }
        try {
            d.get().undefine(UNDEFINE_CHECKPOINTS_METADATA);
        } catch (LibvirtException e) {
            if (e.getError().getCode() != Error.ErrorNumber.VIR_ERR_INVALID_ARG) {
                throw link.failed("undefine domain " + vm, e);
            }
            // A driver without checkpoints refuses the flag, and has no checkpoint metadata to drop.
            try {
                d.get().undefine(0);
            } catch (LibvirtException again) {
                throw link.failed("undefine domain " + vm, again);
            }
        }
    }

    /** The domain as libvirt holds it, for {@link LiveCapture}. */
    Domain domain(UUID vm) throws HypervisorException {
        return find(vm).orElseThrow(() -> new HypervisorException("no domain " + vm + " on " + uri));
    }

    /** Cheap counters of one running domain, summed over its disks; what {@link HostSampler} rates. */
    record Counters(UUID vm, String name, long cpuTimeNanos, long readBytes, long writeBytes) {}

    List<Counters> counters() throws HypervisorException {
        List<Counters> all = new ArrayList<>();
        for (Domain d : active()) {
            try {
                DomainInfo info = d.getInfo();
                DomainDescription desc = describe(d, null);
                long read = 0;
                long written = 0;
                for (DomainDescription.Disk disk : desc.disks()) {
                    if (disk.source().isPresent()) {
                        DomainBlockStats s = d.blockStats(disk.target());
                        read += Math.max(0, s.rd_bytes);
                        written += Math.max(0, s.wr_bytes);
                    }
                }
                all.add(new Counters(desc.uuid(), desc.name(), info.cpuTime, read, written));
            } catch (LibvirtException e) {
                if (!gone(e)) {
                    throw link.failed("read counters of a domain on " + uri, e);
                }
            }
        }
        return all;
    }

    /** Every domain libvirt defines, running or not, for {@link LiveCapture#parkAll()}. */
    List<Domain> all() throws HypervisorException {
        try {
            return List.of(link.get().listAllDomains(0));
        } catch (LibvirtException e) {
            throw link.failed("list the domains on " + uri, e);
        }
    }

    private List<Domain> active() throws HypervisorException {
        try {
            return List.of(link.get().listAllDomains(LIST_ACTIVE));
        } catch (LibvirtException e) {
            throw link.failed("list running domains on " + uri, e);
        }
    }

    private Optional<Domain> find(UUID vm) throws HypervisorException {
        Objects.requireNonNull(vm, "vm");
        try {
            return Optional.of(link.get().domainLookupByUUID(vm));
        } catch (LibvirtException e) {
            if (e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return Optional.empty();
            }
            throw link.failed("look up domain " + vm + " on " + uri, e);
        }
    }

    static DomainDescription describe(Domain d, UUID vm) throws HypervisorException {
        try {
            return DomainDescription.parse(d.getXMLDesc(0));
        } catch (LibvirtException e) {
            throw new HypervisorException("read the XML of domain " + (vm == null ? "?" : vm), e);
        }
    }

    private static PowerState state(Domain d, UUID vm) throws HypervisorException {
        try {
            return PowerState.of(d.getInfo().state);
        } catch (LibvirtException e) {
            throw new HypervisorException("read the state of domain " + vm, e);
        }
    }

    /** A domain that vanished between listing and asking: not an error for a sampler. */
    private static boolean gone(LibvirtException e) {
        return e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN
                || e.getError().getCode() == Error.ErrorNumber.VIR_ERR_OPERATION_INVALID;
    }

    @Override
    public void close() throws HypervisorException {
        link.close();
    }
}

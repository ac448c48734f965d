package io.understudy.agent.testing;

import io.understudy.agent.libvirt.TinyGuest;
import java.nio.file.Path;

/**
 * A libvirtd of a test's own beside the machine's (devstack/libvirt-host.sh): in its own mount
 * namespace with its own virtlogd, configuration and state under one folder, reachable from here
 * at {@link #uri()}. A test may kill and start it again without disturbing the libvirtd other
 * tests use; guests it started keep running while it is down, and it finds them again.
 */
public final class LibvirtHost implements AutoCloseable {

    private final Path script = TinyGuest.repoFile("devstack/libvirt-host.sh");
    private final Path dir;
    private final String uri;

    private LibvirtHost(Path dir) {
        this.dir = dir;
        this.uri = Qemu.ok(script.toString(), "uri", dir.toString()).strip();
    }

    /** A daemon whose files live in {@code dir}, not started yet. Needs root. */
    public static LibvirtHost in(Path dir) {
        return new LibvirtHost(dir);
    }

    public String uri() {
        return uri;
    }

    /** Starts the daemon (and its virtlogd); returns once it answers. */
    public LibvirtHost start() {
        Qemu.ok(script.toString(), "up", dir.toString());
        return this;
    }

    /** kill -9 of libvirtd alone; returns once it is gone. */
    public void kill() {
        Qemu.ok(script.toString(), "kill", dir.toString());
    }

    /** Stops libvirtd, virtlogd and any guest left running. */
    @Override
    public void close() {
        Qemu.ok(script.toString(), "down", dir.toString());
    }
}

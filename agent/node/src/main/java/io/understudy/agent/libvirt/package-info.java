/**
 * The agent's side of libvirt (libvirt-java + JNA): what runs on this node and on which disks,
 * live capture of what a running VM wrote, host statistics, and destroying or booting domains.
 *
 * <p>{@link io.understudy.agent.libvirt.Hypervisor} is one connection (e.g. {@code qemu:///system}),
 * opened again by itself when libvirtd restarts; meanwhile its calls throw
 * {@link io.understudy.agent.libvirt.LibvirtUnreachableException};
 * {@link io.understudy.agent.libvirt.DomainDescription} reads a domain's identity and disks from
 * its XML. {@link io.understudy.agent.libvirt.LiveCapture} runs one replication round of a running
 * domain with a libvirt checkpoint and a pull-mode backup: the changed clusters are read from the
 * backup's NBD export, point-in-time consistent while the guest keeps writing, and the qcow2 chain
 * Nova manages is never touched; libvirt holds the checkpoint only while a round runs, so that
 * Nova can always undefine the domain. The replication package turns those clusters into deltas.
 * {@link io.understudy.agent.libvirt.HostSampler} measures the node for the controller.
 */
package io.understudy.agent.libvirt;

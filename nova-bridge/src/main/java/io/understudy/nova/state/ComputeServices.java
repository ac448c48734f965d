package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Nova's nova-compute services. */
public final class ComputeServices {

    /** From 2.53 services carry UUIDs, the only handle force-down accepts from then on. */
    public static final Microversion VERSION = new Microversion(2, 53);

    private final NovaCalls nova;

    public ComputeServices(NovaCalls nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    public List<ComputeService> list() {
        return query("/os-services?binary=nova-compute");
    }

    /** The nova-compute service of HOST, if Nova knows one. */
    public Optional<ComputeService> ofHost(String host) {
        List<ComputeService> services =
                query("/os-services?binary=nova-compute&host=" + URLEncoder.encode(host, StandardCharsets.UTF_8));
        if (services.size() > 1) {
            throw new IllegalStateException("Nova lists " + services.size() + " nova-compute services on host " + host);
        }
        return services.stream().findFirst();
    }

    private List<ComputeService> query(String path) {
        List<ComputeService> services = new ArrayList<>();
        nova.get(path, VERSION).path("services").forEach(service -> services.add(ComputeService.fromJson(service)));
        return services;
    }
}

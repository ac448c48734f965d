package io.understudy.nova.keystone;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.DomainRef;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.openstack4j.api.OSClient.OSClientV3;
import org.openstack4j.api.exceptions.OS4JException;
import org.openstack4j.api.types.Facing;
import org.openstack4j.core.transport.Config;
import org.openstack4j.model.common.Identifier;
import org.openstack4j.model.identity.v3.Endpoint;
import org.openstack4j.model.identity.v3.Service;
import org.openstack4j.model.identity.v3.Token;
import org.openstack4j.openstack.OSFactory;

/**
 * Project-scoped Keystone v3 password login through openstack4j.
 *
 * <p>openstack4j also parks each client it authenticates in a thread-local session; nothing here
 * relies on that: callers get the client or the session back and pass it on.
 */
public final class KeystoneLogin implements SessionSource {

    private final CloudConfig cloud;
    private final Config transport;

    public KeystoneLogin(CloudConfig cloud, Duration timeout) {
        this.cloud = requireNonNull(cloud, "cloud is null");
        int millis = Math.toIntExact(requireNonNull(timeout, "timeout is null").toMillis());
        this.transport = Config.newConfig().withConnectionTimeout(millis).withReadTimeout(millis);
    }

    /**
     * Logs in and returns openstack4j's client, for the reads openstack4j gets right at Nova's base
     * microversion (servers, hypervisors, flavors).
     *
     * @throws KeystoneException naming the cloud when Keystone refuses or cannot be reached
     */
    public OSClientV3 authenticate() {
        try {
            return OSFactory.builderV3()
                    .withConfig(transport)
                    .endpoint(cloud.identityV3Url().toString())
                    .credentials(cloud.username(), cloud.password(), identifier(cloud.userDomain()))
                    .scopeToProject(Identifier.byName(cloud.projectName()), identifier(cloud.projectDomain()))
                    .perspective(facing(cloud.endpointInterface()))
                    .authenticate();
        } catch (OS4JException e) {
            throw new KeystoneException("login to " + cloud.identityV3Url() + " as " + cloud.username()
                    + " (" + cloud.source() + ") failed: " + e.getMessage(), e);
        }
    }

    @Override
    public ComputeSession login() {
        Token token = authenticate().getToken();
        return new ComputeSession(token.getId(), token.getExpires().toInstant(), computeEndpoint(token.getCatalog()));
    }

    /** Nova's endpoint on the configured interface, in the configured region (or the first region listed). */
    URI computeEndpoint(List<? extends Service> catalog) {
        String iface = cloud.endpointInterface().name().toLowerCase(Locale.ROOT);
        return catalog.stream()
                .filter(service -> "compute".equals(service.getType()))
                .flatMap(service -> service.getEndpoints().stream())
                .filter(endpoint -> endpoint.getIface() != null
                        && iface.equals(endpoint.getIface().value().toLowerCase(Locale.ROOT)))
                .filter(endpoint -> cloud.regionName().map(region -> region.equals(regionOf(endpoint))).orElse(true))
                .findFirst()
                .map(endpoint -> uri(endpoint.getUrl().toString()))
                .orElseThrow(() -> new KeystoneException("the catalog of " + cloud.identityV3Url()
                        + " has no compute endpoint on interface " + iface
                        + cloud.regionName().map(region -> " in region " + region).orElse("")));
    }

    private static String regionOf(Endpoint endpoint) {
        return endpoint.getRegionId() != null ? endpoint.getRegionId() : endpoint.getRegion();
    }

    private static URI uri(String url) {
        try {
            return new URI(url.replaceAll("/+$", ""));
        } catch (URISyntaxException e) {
            throw new KeystoneException("the catalog's compute endpoint '" + url + "' is not a URL", e);
        }
    }

    private static Identifier identifier(DomainRef domain) {
        return domain.isId() ? Identifier.byId(domain.value()) : Identifier.byName(domain.value());
    }

    private static Facing facing(CloudConfig.EndpointInterface endpointInterface) {
        return switch (endpointInterface) {
            case PUBLIC -> Facing.PUBLIC;
            case INTERNAL -> Facing.INTERNAL;
            case ADMIN -> Facing.ADMIN;
        };
    }
}

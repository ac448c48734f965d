package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How to reach Nova ({@code openstack:}).
 *
 * @param cloudsYaml {@code openstack.cloudsYaml}: the clouds.yaml to read; empty: OpenStack's usual
 *     search ({@code OS_CLIENT_CONFIG_FILE}, ./clouds.yaml, ~/.config/openstack, /etc/openstack)
 * @param cloud {@code openstack.cloud}: the cloud's name in it; empty: {@code OS_CLOUD}, else the {@code OS_*} variables
 * @param requestTimeout {@code openstack.requestTimeout}: per Keystone or Nova request
 * @param pageSize {@code openstack.pageSize}: entries per page of Nova's server and hypervisor listings
 */
public record OpenStackConfig(Optional<Path> cloudsYaml, Optional<String> cloud, Duration requestTimeout, int pageSize) {

    public static final OpenStackConfig DEFAULT = new OpenStackConfig(Optional.empty(), Optional.empty(),
            Duration.ofSeconds(30), 1000);

    public OpenStackConfig {
        requireNonNull(cloudsYaml, "cloudsYaml is null");
        requireNonNull(cloud, "cloud is null");
        requireNonNull(requestTimeout, "requestTimeout is null");
    }
}

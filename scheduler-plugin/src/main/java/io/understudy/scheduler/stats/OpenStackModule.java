package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfigLoader;
import io.understudy.scheduler.config.OpenStackConfig;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.metrics.CountedNova;
import java.util.HashMap;
import java.util.Map;

/** Nova: the cloud's credentials (clouds.yaml / OS_*), Keystone login, the Nova client and reader. */
public final class OpenStackModule extends AbstractModule {

    private final OpenStackConfig config;
    private final Map<String, String> environment;

    public OpenStackModule(OpenStackConfig config, Map<String, String> environment) {
        this.config = requireNonNull(config, "config is null");
        this.environment = Map.copyOf(environment);
    }

    @Provides
    @Singleton
    CloudConfig cloud() {
        Map<String, String> env = new HashMap<>(environment);
        config.cloudsYaml().ifPresent(file -> env.put("OS_CLIENT_CONFIG_FILE", file.toString()));
        return new CloudConfigLoader(env, CloudConfigLoader.standardDirectories()).load(config.cloud());
    }

    /** Nova's client, its failed requests counted. */
    @Provides
    @Singleton
    NovaCalls nova(CloudConfig cloud, ControllerMetrics metrics) {
        return new CountedNova(NovaClient.create(cloud, config.requestTimeout()), metrics);
    }

    @Provides
    @Singleton
    NovaReader reader(NovaCalls nova) {
        return new NovaReader(nova, config.pageSize());
    }
}

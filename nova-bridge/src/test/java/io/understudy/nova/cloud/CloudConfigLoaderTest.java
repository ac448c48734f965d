package io.understudy.nova.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.cloud.CloudConfig.DomainRef;
import io.understudy.nova.cloud.CloudConfig.EndpointInterface;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloudConfigLoaderTest {

    private static final String CLOUDS = """
            clouds:
              understudy:
                auth:
                  auth_url: http://127.0.0.1:5000/v3
                  username: admin
                  password: 12345
                  project_name: admin
                  user_domain_name: Default
                  project_domain_id: default
                region_name: RegionOne
                interface: internal
                identity_api_version: 3
              other:
                auth:
                  auth_url: https://keystone.example:5000
                  username: ops
                  password: secret
                  project_name: ops
            """;

    @TempDir
    Path dir;

    @Test
    void readsTheNamedCloudFromTheFirstCloudsYamlFound() throws IOException {
        Path first = write("first/clouds.yaml", CLOUDS);
        write("second/clouds.yaml", "clouds: {}");
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(),
                List.of(dir.resolve("missing/clouds.yaml"), first, dir.resolve("second/clouds.yaml")));

        CloudConfig cloud = loader.load(Optional.of("understudy"));

        assertThat(cloud.authUrl()).isEqualTo(URI.create("http://127.0.0.1:5000/v3"));
        assertThat(cloud.username()).isEqualTo("admin");
        assertThat(cloud.password()).isEqualTo("12345");
        assertThat(cloud.projectName()).isEqualTo("admin");
        assertThat(cloud.userDomain()).isEqualTo(DomainRef.byName("Default"));
        assertThat(cloud.projectDomain()).isEqualTo(DomainRef.byId("default"));
        assertThat(cloud.regionName()).contains("RegionOne");
        assertThat(cloud.endpointInterface()).isEqualTo(EndpointInterface.INTERNAL);
        assertThat(cloud.source()).isEqualTo(first + " cloud 'understudy'");
    }

    @Test
    void osCloudNamesTheCloudAndOsClientConfigFileTheFile() throws IOException {
        Path file = write("elsewhere.yaml", CLOUDS);
        CloudConfigLoader loader = new CloudConfigLoader(
                Map.of("OS_CLOUD", "other", "OS_CLIENT_CONFIG_FILE", file.toString(),
                        "OS_USERNAME", "ignored-when-a-cloud-is-named"),
                List.of(write("clouds.yaml", "clouds: {}")));

        CloudConfig cloud = loader.load(Optional.empty());

        assertThat(cloud.username()).isEqualTo("ops");
        assertThat(cloud.userDomain()).as("Keystone's default domain when none is named")
                .isEqualTo(DomainRef.byId("default"));
        assertThat(cloud.regionName()).isEmpty();
        assertThat(cloud.endpointInterface()).isEqualTo(EndpointInterface.PUBLIC);
        assertThat(cloud.identityV3Url()).isEqualTo(URI.create("https://keystone.example:5000/v3"));
    }

    @Test
    void anExplicitNameWinsOverOsCloud() throws IOException {
        CloudConfigLoader loader = new CloudConfigLoader(Map.of("OS_CLOUD", "other"),
                List.of(write("clouds.yaml", CLOUDS)));

        assertThat(loader.load(Optional.of("understudy")).username()).isEqualTo("admin");
    }

    @Test
    void readsOsVariablesWhenNoCloudIsNamed() {
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(
                "OS_AUTH_URL", "http://10.0.0.1:5000/v3/",
                "OS_USERNAME", "admin",
                "OS_PASSWORD", "pw",
                "OS_TENANT_NAME", "legacy-project",
                "OS_USER_DOMAIN_ID", "default",
                "OS_PROJECT_DOMAIN_NAME", "Default",
                "OS_REGION_NAME", "RegionTwo",
                "OS_INTERFACE", "adminURL",
                "OS_IDENTITY_API_VERSION", "3"), List.of());

        CloudConfig cloud = loader.load(Optional.empty());

        assertThat(cloud.projectName()).isEqualTo("legacy-project");
        assertThat(cloud.userDomain()).isEqualTo(DomainRef.byId("default"));
        assertThat(cloud.projectDomain()).isEqualTo(DomainRef.byName("Default"));
        assertThat(cloud.regionName()).contains("RegionTwo");
        assertThat(cloud.endpointInterface()).isEqualTo(EndpointInterface.ADMIN);
        assertThat(cloud.identityV3Url()).isEqualTo(URI.create("http://10.0.0.1:5000/v3"));
        assertThat(cloud.source()).isEqualTo("OS_* environment variables");
    }

    @Test
    void theFirstProjectNameVariableWins() {
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(
                "OS_AUTH_URL", "http://10.0.0.1:5000", "OS_USERNAME", "u", "OS_PASSWORD", "p",
                "OS_PROJECT_NAME", "new", "OS_TENANT_NAME", "old"), List.of());

        assertThat(loader.load(Optional.empty()).projectName()).isEqualTo("new");
    }

    @Test
    void neverShowsThePassword() throws IOException {
        CloudConfig cloud = new CloudConfigLoader(Map.of(), List.of(write("clouds.yaml", CLOUDS)))
                .load(Optional.of("other"));

        assertThat(cloud.toString()).contains("ops").doesNotContain("secret");
    }

    @Test
    void refusesWhatItCannotUseWithOneLineNamingTheInput() throws IOException {
        Path file = write("clouds.yaml", """
                clouds:
                  appcred:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_id: x}
                  v2:
                    identity_api_version: 2
                    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: p}
                  nourl:
                    auth: {username: u, password: p, project_name: p}
                  badurl:
                    auth: {auth_url: "ftp://k", username: u, password: p, project_name: p}
                  badiface:
                    interface: private
                    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: p}
                  noauth:
                    region_name: r
                """);
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(), List.of(file));

        assertRefused(loader, "appcred", file + " cloud 'appcred': auth_type 'v3applicationcredential' is not supported (only password)");
        assertRefused(loader, "v2", file + " cloud 'v2': identity API version '2' is not supported (only 3)");
        assertRefused(loader, "nourl", file + " cloud 'nourl': auth.auth_url is missing");
        assertRefused(loader, "badurl", file + " cloud 'badurl': auth.auth_url 'ftp://k' is not an http(s) URL");
        assertRefused(loader, "badiface", file + " cloud 'badiface': interface 'private' is not one of public, internal, admin");
        assertRefused(loader, "noauth", file + " cloud 'noauth': has no 'auth' mapping");
        assertRefused(loader, "absent", file + ": no cloud named 'absent' (it has: appcred, v2, nourl, badurl, badiface, noauth)");
    }

    @Test
    void refusesMissingOrBrokenFiles() throws IOException {
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", dir + "/none.yaml"), List.of())
                .load(Optional.of("x")))
                .hasMessage("OS_CLIENT_CONFIG_FILE=" + dir + "/none.yaml: no such file");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of(dir.resolve("a.yaml"), dir.resolve("b.yaml")))
                .load(Optional.of("x")))
                .hasMessage("no clouds.yaml found (looked in " + dir + "/a.yaml, " + dir + "/b.yaml; set OS_CLIENT_CONFIG_FILE)");
        Path broken = write("broken.yaml", "clouds: [unclosed");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of(broken)).load(Optional.of("x")))
                .hasMessageStartingWith(broken + ": not valid YAML: ");
        Path empty = write("empty.yaml", "");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of(empty)).load(Optional.of("x")))
                .hasMessage(empty + ": has no 'clouds' mapping");
    }

    @Test
    void namesTheMissingVariable() {
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of("OS_AUTH_URL", "http://k:5000", "OS_USERNAME", "u"),
                List.of()).load(Optional.empty()))
                .hasMessage("OS_PASSWORD is not set; set OS_CLOUD to use clouds.yaml instead");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of()).load(Optional.empty()))
                .hasMessage("OS_AUTH_URL is not set; set OS_CLOUD to use clouds.yaml instead");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of("OS_AUTH_URL", "not a url", "OS_USERNAME", "u"),
                List.of()).load(Optional.empty()))
                .hasMessageStartingWith("OS_AUTH_URL 'not a url' is not a URL: ");
    }

    private static void assertRefused(CloudConfigLoader loader, String cloud, String message) {
        assertThatThrownBy(() -> loader.load(Optional.of(cloud)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }
}

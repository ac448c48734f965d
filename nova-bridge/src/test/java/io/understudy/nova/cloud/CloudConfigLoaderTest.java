package io.understudy.nova.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.cloud.CloudConfig.ApplicationCredential;
import io.understudy.nova.cloud.CloudConfig.DomainRef;
import io.understudy.nova.cloud.CloudConfig.EndpointInterface;
import io.understudy.nova.cloud.CloudConfig.NameOrId;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.cloud.CloudConfig.Tls;
import io.understudy.nova.cloud.CloudConfig.Token;
import io.understudy.nova.testing.LogLines;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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

    @RegisterExtension
    final LogLines logged = new LogLines(CloudConfigLoader.class);

    @Test
    void readsTheNamedCloudFromTheFirstCloudsYamlFound() throws IOException {
        Path first = write("first/clouds.yml", CLOUDS);
        write("second/clouds.yaml", "clouds: {}");
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(),
                List.of(dir.resolve("missing"), dir.resolve("first"), dir.resolve("second")));

        CloudConfig cloud = loader.load(Optional.of("understudy"));

        assertThat(cloud.authUrl()).isEqualTo(URI.create("http://127.0.0.1:5000/v3"));
        assertThat(cloud.auth()).isEqualTo(new Password(NameOrId.byName("admin", DomainRef.byName("Default")), "12345",
                NameOrId.byName("admin", DomainRef.byId("default"))));
        assertThat(cloud.tls()).isEqualTo(new Tls(Optional.empty(), true, Optional.empty(), Optional.empty()));
        assertThat(cloud.regionName()).contains("RegionOne");
        assertThat(cloud.endpointInterface()).isEqualTo(EndpointInterface.INTERNAL);
        assertThat(cloud.source()).isEqualTo(first + " cloud 'understudy'");
        assertThat(logged.lines()).as("every key read").isEmpty();
    }

    @Test
    void osCloudNamesTheCloudAndOsClientConfigFileTheFile() throws IOException {
        Path file = write("elsewhere.yaml", CLOUDS);
        write("clouds.yaml", "clouds: {}");
        CloudConfigLoader loader = new CloudConfigLoader(
                Map.of("OS_CLOUD", "other", "OS_CLIENT_CONFIG_FILE", file.toString(),
                        "OS_USERNAME", "ignored-when-a-cloud-is-named"),
                List.of(dir));

        CloudConfig cloud = loader.load(Optional.empty());

        assertThat(cloud.auth()).as("Keystone's default domain when none is named").isEqualTo(new Password(
                NameOrId.byName("ops", DomainRef.DEFAULT), "secret", NameOrId.byName("ops", DomainRef.DEFAULT)));
        assertThat(cloud.regionName()).isEmpty();
        assertThat(cloud.endpointInterface()).isEqualTo(EndpointInterface.PUBLIC);
        assertThat(cloud.identityV3Url()).isEqualTo(URI.create("https://keystone.example:5000/v3"));
    }

    @Test
    void anExplicitNameWinsOverOsCloud() throws IOException {
        write("clouds.yaml", CLOUDS);
        CloudConfigLoader loader = new CloudConfigLoader(Map.of("OS_CLOUD", "other"), List.of(dir));

        assertThat(((Password) loader.load(Optional.of("understudy")).auth()).user().value()).isEqualTo("admin");
    }

    @Test
    void readsAPasswordByIdsAndOpenstacksdksDomainShorthands() throws IOException {
        write("clouds.yaml", """
                clouds:
                  ids:
                    auth: {auth_url: "http://k:5000", user_id: u-1, password: p, project_id: p-1}
                  shared-domain:
                    auth_type: v3password
                    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: p, domain_id: d-1}
                  default-domain:
                    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: p,
                           default_domain_name: Ops, project_domain_id: d-2}
                  beside-auth:
                    auth: {auth_url: "http://k:5000", username: u, password: p}
                    project_name: p
                    user_domain_name: Ops
                """);
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(), List.of(dir));

        assertThat(loader.load(Optional.of("ids")).auth())
                .isEqualTo(new Password(NameOrId.byId("u-1"), "p", NameOrId.byId("p-1")));
        assertThat(loader.load(Optional.of("shared-domain")).auth()).isEqualTo(new Password(
                NameOrId.byName("u", DomainRef.byId("d-1")), "p", NameOrId.byName("p", DomainRef.byId("d-1"))));
        assertThat(loader.load(Optional.of("default-domain")).auth()).isEqualTo(new Password(
                NameOrId.byName("u", DomainRef.byName("Ops")), "p", NameOrId.byName("p", DomainRef.byId("d-2"))));
        assertThat(loader.load(Optional.of("beside-auth")).auth()).as("openstacksdk moves auth options under auth")
                .isEqualTo(new Password(NameOrId.byName("u", DomainRef.byName("Ops")), "p",
                        NameOrId.byName("p", DomainRef.DEFAULT)));
        assertThat(logged.lines()).isEmpty();
    }

    @Test
    void readsApplicationCredentialsAndTokens() throws IOException {
        write("clouds.yaml", """
                clouds:
                  by-id:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_id: ac-1, application_credential_secret: s}
                  by-name:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_name: controller,
                           application_credential_secret: s, username: understudy, user_domain_name: Default}
                  by-name-and-user-id:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_name: controller,
                           application_credential_secret: s, user_id: u-1}
                  token:
                    auth_type: v3token
                    auth: {auth_url: "http://k:5000", token: gAAAA, project_id: p-1}
                  generic-token:
                    auth_type: token
                    auth: {auth_url: "http://k:5000", auth_token: gAAAA, project_name: p, project_domain_name: Ops}
                """);
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(), List.of(dir));

        assertThat(loader.load(Optional.of("by-id")).auth())
                .isEqualTo(new ApplicationCredential(Optional.of("ac-1"), Optional.empty(), Optional.empty(), "s"));
        assertThat(loader.load(Optional.of("by-name")).auth()).isEqualTo(new ApplicationCredential(Optional.empty(),
                Optional.of("controller"), Optional.of(NameOrId.byName("understudy", DomainRef.byName("Default"))), "s"));
        assertThat(loader.load(Optional.of("by-name-and-user-id")).auth()).isEqualTo(new ApplicationCredential(
                Optional.empty(), Optional.of("controller"), Optional.of(NameOrId.byId("u-1")), "s"));
        assertThat(loader.load(Optional.of("token")).auth()).isEqualTo(new Token("gAAAA", NameOrId.byId("p-1")));
        assertThat(loader.load(Optional.of("generic-token")).auth())
                .isEqualTo(new Token("gAAAA", NameOrId.byName("p", DomainRef.byName("Ops"))));
        assertThat(logged.lines()).isEmpty();
    }

    @Test
    void readsTheTlsSettingsAsOpenstacksdkDoes() throws IOException {
        Path ca = write("ca.pem", "-");
        Path cert = write("client.pem", "-");
        Path key = write("client.key", "-");
        write("clouds.yaml", """
                clouds:
                  own-ca:
                    auth: {auth_url: "https://k:5000", username: u, password: p, project_name: p}
                    cacert: %s
                    cert: %s
                    key: %s
                  unverified:
                    auth: {auth_url: "https://k:5000", username: u, password: p, project_name: p}
                    verify: false
                    cacert: %s
                  insecure-wins:
                    auth: {auth_url: "https://k:5000", username: u, password: p, project_name: p}
                    verify: "True"
                    insecure: "true"
                  key-in-cert:
                    auth: {auth_url: "https://k:5000", username: u, password: p, project_name: p}
                    cert: %s
                """.formatted(ca, cert, key, ca, cert));
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(), List.of(dir));

        assertThat(loader.load(Optional.of("own-ca")).tls())
                .isEqualTo(new Tls(Optional.of(ca), true, Optional.of(cert), Optional.of(key)));
        assertThat(loader.load(Optional.of("unverified")).tls()).as("no CA trusted when nothing is verified")
                .isEqualTo(new Tls(Optional.empty(), false, Optional.empty(), Optional.empty()));
        assertThat(logged.lines()).containsExactly("WARN " + dir.resolve("clouds.yaml") + " cloud 'unverified': cacert "
                + ca + " is not used: certificates are not verified (verify: false or insecure)");
        assertThat(loader.load(Optional.of("insecure-wins")).tls().verify()).isFalse();
        assertThat(loader.load(Optional.of("key-in-cert")).tls())
                .isEqualTo(new Tls(Optional.empty(), true, Optional.of(cert), Optional.empty()));
    }

    @Test
    void mergesSecureYamlIntoCloudsYamlItsValuesWinning() throws IOException {
        write("etc/clouds.yaml", """
                clouds:
                  understudy:
                    auth: {auth_url: "http://k:5000", username: u, password: placeholder, project_name: p}
                    region_name: RegionOne
                """);
        Path secure = write("home/secure.yaml", """
                clouds:
                  understudy:
                    auth: {password: from-secure}
                  secret-only:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_id: ac-1, application_credential_secret: s}
                """);
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(), List.of(dir.resolve("home"), dir.resolve("etc")));

        CloudConfig cloud = loader.load(Optional.of("understudy"));

        assertThat(((Password) cloud.auth()).password()).isEqualTo("from-secure");
        assertThat(((Password) cloud.auth()).user().value()).as("what secure.yaml leaves out stays").isEqualTo("u");
        assertThat(cloud.regionName()).contains("RegionOne");
        assertThat(cloud.source()).isEqualTo(dir.resolve("etc/clouds.yaml") + " cloud 'understudy' with " + secure);
        assertThat(loader.load(Optional.of("secret-only")).auth()).isInstanceOf(ApplicationCredential.class);

        Path explicit = write("secure-elsewhere.yaml", "clouds: {understudy: {auth: {password: explicit}}}");
        CloudConfig fromVariable = new CloudConfigLoader(Map.of("OS_CLIENT_SECURE_FILE", explicit.toString()),
                List.of(dir.resolve("home"), dir.resolve("etc"))).load(Optional.of("understudy"));
        assertThat(((Password) fromVariable.auth()).password()).isEqualTo("explicit");
    }

    @Test
    void namesWhatItDoesNotReadInOneWarning() throws IOException {
        Path file = write("clouds.yaml", """
                clouds:
                  understudy:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_id: ac-1, application_credential_secret: s,
                           project_name: p, passcode: 123}
                    compute_api_version: "2.95"
                """);

        new CloudConfigLoader(Map.of(), List.of(dir)).load(Optional.of("understudy"));

        assertThat(logged.lines()).containsExactly("WARN " + file + " cloud 'understudy': not read by Understudy with "
                + "auth_type v3applicationcredential, so ignored: compute_api_version, auth.project_name, auth.passcode");
    }

    @Test
    void readsOsVariablesWhenNoCloudIsNamed() throws IOException {
        Path ca = write("ca.pem", "-");
        Path cert = write("client.pem", "-");
        Path key = write("client.key", "-");
        Map<String, String> env = new HashMap<>(Map.of(
                "OS_AUTH_URL", "http://10.0.0.1:5000/v3/",
                "OS_USERNAME", "admin",
                "OS_PASSWORD", "pw",
                "OS_TENANT_NAME", "legacy-project",
                "OS_USER_DOMAIN_ID", "default",
                "OS_PROJECT_DOMAIN_NAME", "Default",
                "OS_REGION_NAME", "RegionTwo",
                "OS_INTERFACE", "adminURL",
                "OS_IDENTITY_API_VERSION", "3",
                "OS_CACERT", ca.toString()));
        env.putAll(Map.of("OS_CERT", cert.toString(), "OS_KEY", key.toString(), "OS_CLIENT_CONFIG_FILE", "/none",
                "PATH", "/usr/bin"));
        CloudConfig cloud = new CloudConfigLoader(env, List.of()).load(Optional.empty());

        assertThat(cloud.auth()).isEqualTo(new Password(NameOrId.byName("admin", DomainRef.byId("default")), "pw",
                NameOrId.byName("legacy-project", DomainRef.byName("Default"))));
        assertThat(cloud.tls()).isEqualTo(new Tls(Optional.of(ca), true, Optional.of(cert), Optional.of(key)));
        assertThat(cloud.regionName()).contains("RegionTwo");
        assertThat(cloud.endpointInterface()).isEqualTo(EndpointInterface.ADMIN);
        assertThat(cloud.identityV3Url()).isEqualTo(URI.create("http://10.0.0.1:5000/v3"));
        assertThat(cloud.source()).isEqualTo("OS_* environment variables");
        assertThat(logged.lines()).isEmpty();
    }

    @Test
    void readsEveryCredentialKindFromOsVariables() {
        assertThat(fromVariables("OS_AUTH_URL", "http://k:5000", "OS_USER_ID", "u-1", "OS_PASSWORD", "pw",
                "OS_PROJECT_ID", "p-1", "OS_PROJECT_NAME", "unused", "OS_INSECURE", "True").auth())
                .isEqualTo(new Password(NameOrId.byId("u-1"), "pw", NameOrId.byId("p-1")));
        assertThat(logged.lines()).containsExactly("WARN OS_* environment variables: not read by Understudy with "
                + "auth_type password, so ignored: OS_PROJECT_NAME");
        assertThat(fromVariables("OS_AUTH_URL", "http://k:5000", "OS_AUTH_TYPE", "v3applicationcredential",
                "OS_APPLICATION_CREDENTIAL_ID", "ac-1", "OS_APPLICATION_CREDENTIAL_SECRET", "s").auth())
                .isEqualTo(new ApplicationCredential(Optional.of("ac-1"), Optional.empty(), Optional.empty(), "s"));
        assertThat(fromVariables("OS_AUTH_URL", "http://k:5000", "OS_AUTH_TYPE", "v3applicationcredential",
                "OS_APPLICATION_CREDENTIAL_NAME", "controller", "OS_APPLICATION_CREDENTIAL_SECRET", "s",
                "OS_USERNAME", "understudy", "OS_USER_DOMAIN_ID", "default").auth())
                .isEqualTo(new ApplicationCredential(Optional.empty(), Optional.of("controller"),
                        Optional.of(NameOrId.byName("understudy", DomainRef.byId("default"))), "s"));
        assertThat(fromVariables("OS_AUTH_URL", "http://k:5000", "OS_AUTH_TYPE", "v3token", "OS_TOKEN", "gAAAA",
                "OS_PROJECT_NAME", "admin", "OS_PROJECT_DOMAIN_ID", "default").auth())
                .isEqualTo(new Token("gAAAA", NameOrId.byName("admin", DomainRef.byId("default"))));
        assertThat(fromVariables("OS_AUTH_URL", "https://k:5000", "OS_USERNAME", "u", "OS_PASSWORD", "p",
                "OS_PROJECT_NAME", "p", "OS_INSECURE", "true").tls().verify()).isFalse();
    }

    @Test
    void neverShowsASecret() throws IOException {
        write("clouds.yaml", """
                clouds:
                  password:
                    auth: {auth_url: "http://k:5000", username: ops, password: the-password, project_name: ops}
                  appcred:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_id: ac-1, application_credential_secret: the-secret}
                  token:
                    auth_type: v3token
                    auth: {auth_url: "http://k:5000", token: the-token, project_id: p-1}
                """);
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(), List.of(dir));

        assertThat(loader.load(Optional.of("password")).toString()).contains("ops").doesNotContain("the-password");
        assertThat(loader.load(Optional.of("appcred")).toString()).contains("ac-1").doesNotContain("the-secret");
        assertThat(loader.load(Optional.of("token")).toString()).contains("p-1").doesNotContain("the-token");
    }

    @Test
    void refusesWhatItCannotUseWithOneLineNamingTheInput() throws IOException {
        Path file = write("clouds.yaml", """
                clouds:
                  oidc:
                    auth_type: v3oidcpassword
                    auth: {auth_url: "http://k:5000"}
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
                  authlist:
                    auth: [auth_url]
                  nouser:
                    auth: {auth_url: "http://k:5000", password: p, project_name: p}
                  noproject:
                    auth: {auth_url: "http://k:5000", username: u, password: p}
                  mappedpassword:
                    auth: {auth_url: "http://k:5000", username: u, password: {value: p}, project_name: p}
                  nosecret:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_id: ac-1}
                  nameonly:
                    auth_type: v3applicationcredential
                    auth: {auth_url: "http://k:5000", application_credential_name: c, application_credential_secret: s}
                  notoken:
                    auth_type: v3token
                    auth: {auth_url: "http://k:5000", project_id: p-1}
                  badverify:
                    verify: /etc/ssl/ca.pem
                    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: p}
                  nocacert:
                    cacert: /nowhere/ca.pem
                    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: p}
                  keyonly:
                    key: %s
                    auth: {auth_url: "http://k:5000", username: u, password: p, project_name: p}
                """.formatted(dir.resolve("clouds.yaml")));
        CloudConfigLoader loader = new CloudConfigLoader(Map.of(), List.of(dir));

        assertRefused(loader, "oidc", file + " cloud 'oidc': auth_type 'v3oidcpassword' is not supported "
                + "(password, v3password, v3applicationcredential, token, v3token)");
        assertRefused(loader, "v2", file + " cloud 'v2': identity_api_version '2' is not supported (only 3)");
        assertRefused(loader, "nourl", file + " cloud 'nourl': auth.auth_url is missing");
        assertRefused(loader, "badurl", file + " cloud 'badurl': auth.auth_url 'ftp://k' is not an http(s) URL");
        assertRefused(loader, "badiface", file + " cloud 'badiface': interface 'private' is not one of public, internal, admin");
        assertRefused(loader, "noauth", file + " cloud 'noauth': auth.auth_url is missing");
        assertRefused(loader, "authlist", file + " cloud 'authlist': auth is not a mapping");
        assertRefused(loader, "nouser", file + " cloud 'nouser': auth.user_id or auth.username is missing");
        assertRefused(loader, "noproject", file + " cloud 'noproject': auth.project_id or auth.project_name is missing");
        assertRefused(loader, "mappedpassword", file + " cloud 'mappedpassword': auth.password must be a single value, not a mapping");
        assertRefused(loader, "nosecret", file + " cloud 'nosecret': auth.application_credential_secret is missing");
        assertRefused(loader, "nameonly", file + " cloud 'nameonly': auth.user_id or auth.username is missing");
        assertRefused(loader, "notoken", file + " cloud 'notoken': auth.token is missing");
        assertRefused(loader, "badverify", file + " cloud 'badverify': verify '/etc/ssl/ca.pem' is not true or false");
        assertRefused(loader, "nocacert", file + " cloud 'nocacert': cacert '/nowhere/ca.pem' is not a readable file");
        assertRefused(loader, "keyonly", file + " cloud 'keyonly': key '" + file + "' needs its client certificate: set cert too");
        assertRefused(loader, "absent", file + ": no cloud named 'absent' (it has: oidc, v2, nourl, badurl, badiface, "
                + "noauth, authlist, nouser, noproject, mappedpassword, nosecret, nameonly, notoken, badverify, nocacert, keyonly)");
    }

    @Test
    void refusesMissingOrBrokenFiles() throws IOException {
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", dir + "/none.yaml"), List.of())
                .load(Optional.of("x")))
                .hasMessage("OS_CLIENT_CONFIG_FILE=" + dir + "/none.yaml: no such file");
        Path clouds = write("clouds.yaml", CLOUDS);
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", clouds.toString(),
                "OS_CLIENT_SECURE_FILE", dir + "/none.yaml"), List.of()).load(Optional.of("x")))
                .hasMessage("OS_CLIENT_SECURE_FILE=" + dir + "/none.yaml: no such file");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of(dir.resolve("a"), dir.resolve("b")))
                .load(Optional.of("x")))
                .hasMessage("no clouds.yaml found (looked in " + dir + "/a, " + dir + "/b; set OS_CLIENT_CONFIG_FILE)");
        Path broken = write("broken/clouds.yaml", "clouds: [unclosed");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of(broken.getParent())).load(Optional.of("x")))
                .hasMessageStartingWith(broken + ": not valid YAML: ");
        Path empty = write("empty/clouds.yaml", "");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of(empty.getParent())).load(Optional.of("x")))
                .hasMessage(empty + ": has no 'clouds' mapping");
        Path list = write("list/clouds.yaml", "- clouds");
        assertThatThrownBy(() -> new CloudConfigLoader(Map.of(), List.of(list.getParent())).load(Optional.of("x")))
                .hasMessage(list + ": is not a mapping");
    }

    @Test
    void namesTheMissingOrBadVariable() {
        assertThatThrownBy(() -> fromVariables("OS_AUTH_URL", "http://k:5000", "OS_USERNAME", "u"))
                .hasMessage("OS_PASSWORD is not set; set OS_CLOUD to use clouds.yaml instead");
        assertThatThrownBy(() -> fromVariables("OS_USERNAME", "u"))
                .hasMessage("OS_AUTH_URL is not set; set OS_CLOUD to use clouds.yaml instead");
        assertThatThrownBy(() -> fromVariables("OS_AUTH_URL", "not a url", "OS_USERNAME", "u"))
                .hasMessageStartingWith("OS_AUTH_URL 'not a url' is not a URL: ");
        assertThatThrownBy(() -> fromVariables("OS_AUTH_URL", "http://k:5000", "OS_USERNAME", "u", "OS_PASSWORD", "p"))
                .hasMessage("OS_PROJECT_ID or OS_PROJECT_NAME is not set; set OS_CLOUD to use clouds.yaml instead");
        assertThatThrownBy(() -> fromVariables("OS_AUTH_URL", "http://k:5000", "OS_AUTH_TYPE", "v3applicationcredential",
                "OS_APPLICATION_CREDENTIAL_SECRET", "s"))
                .hasMessage("OS_APPLICATION_CREDENTIAL_ID or OS_APPLICATION_CREDENTIAL_NAME is not set; "
                        + "set OS_CLOUD to use clouds.yaml instead");
        assertThatThrownBy(() -> fromVariables("OS_AUTH_URL", "http://k:5000", "OS_USERNAME", "u", "OS_PASSWORD", "p",
                "OS_PROJECT_NAME", "p", "OS_INSECURE", "maybe"))
                .hasMessage("OS_INSECURE 'maybe' is not true or false");
        assertThatThrownBy(() -> fromVariables("OS_AUTH_URL", "http://k:5000", "OS_USERNAME", "u", "OS_PASSWORD", "p",
                "OS_PROJECT_NAME", "p", "OS_CACERT", "/nowhere/ca.pem"))
                .hasMessage("OS_CACERT '/nowhere/ca.pem' is not a readable file");
        assertThatThrownBy(() -> fromVariables("OS_AUTH_URL", "http://k:5000", "OS_USERNAME", "u", "OS_PASSWORD", "p",
                "OS_PROJECT_NAME", "p", "OS_INTERFACE", "private"))
                .hasMessage("OS_INTERFACE 'private' is not one of public, internal, admin");
    }

    private static CloudConfig fromVariables(String... nameValues) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            env.put(nameValues[i], nameValues[i + 1]);
        }
        return new CloudConfigLoader(env, List.of()).load(Optional.empty());
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

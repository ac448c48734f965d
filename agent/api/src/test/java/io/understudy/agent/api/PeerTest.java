package io.understudy.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A peer is another agent's base URL and nothing else; a protection names its every field. */
class PeerTest {

    @Test
    void aPeerIsHttpOrHttpsToAHostAndPort() {
        assertThat(new Peer("compute1", URI.create("https://compute1:9797")).url().getPort()).isEqualTo(9797);
        assertThat(new Peer("compute1", URI.create("http://10.0.0.1:9797/")).url().getHost()).isEqualTo("10.0.0.1");
        assertThat(new Peer("compute1", URI.create("https://[fd00::1]:9797")).url().getHost()).isEqualTo("[fd00::1]");
    }

    @Test
    void anythingElseIsRefusedNamingThePeerAndWhy() {
        String[][] cases = {
            {"file:///etc/passwd", "is not an http:// or https:// URL"},
            {"compute1:9797", "is not an http:// or https:// URL"},
            {"/v1", "is not an http:// or https:// URL"},
            {"https://admin:secret@compute1:9797", "carries user information"},
            {"https:///x", "names no host"},
            {"https://compute1:9797/?a=b", "has a query or a fragment"},
            {"https://compute1:9797#x", "has a query or a fragment"},
            {"https://compute1:9797/v1", "has a path"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> new Peer("compute1", URI.create(c[0]))).as(c[0])
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("peer compute1: url '" + c[0] + "' " + c[1]);
        }
        assertThatThrownBy(() -> new Peer(null, URI.create("https://compute1:9797"))).hasMessage("missing field 'host'");
        assertThatThrownBy(() -> new Peer("compute1", null)).hasMessage("missing field 'url'");
    }

    @Test
    void aProtectionNamesItsMissingField() {
        Peer peer = new Peer("compute1", URI.create("https://compute1:9797"));
        UUID vm = UUID.randomUUID();
        assertThatThrownBy(() -> new Protection(null, Role.PRIMARY, List.of(peer), Duration.ZERO))
                .hasMessage("missing field 'vm'");
        assertThatThrownBy(() -> new Protection(vm, null, List.of(peer), Duration.ZERO))
                .hasMessage("missing field 'role'");
        assertThatThrownBy(() -> new Protection(vm, Role.PRIMARY, null, Duration.ZERO))
                .hasMessage("missing field 'peers'");
    }

    @Test
    void aPeerReadFromJsonIsCheckedToo() {
        ObjectMapper json = Json.mapper();
        assertThatThrownBy(() -> json.readValue("{\"host\":\"c1\",\"url\":\"file:///etc/passwd\"}", Peer.class))
                .hasRootCauseMessage("peer c1: url 'file:///etc/passwd' is not an http:// or https:// URL");
    }
}

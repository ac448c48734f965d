package io.understudy.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The wire records survive a round trip in the wire's JSON, in a form people can read. */
class WireTest {

    private final ObjectMapper json = Json.mapper();
    private final UUID vm = UUID.fromString("0b2f8c1e-9a45-4a4e-8a8c-6f0f2b1a7c3d");

    @Test
    void hostStatsRoundTrip() throws IOException {
        HostStats stats = new HostStats("compute1", Instant.parse("2026-11-29T06:00:00Z"), 37.5, 1L << 30, 4L << 30,
                10L << 30, 100L << 30, 0.5, 0.4, 0.3, 2,
                List.of(new DomainStats(vm, "instance-00000001", 12.5, 4096, 8192)), Map.of(vm, 3.25), true,
                Map.of(vm, "domain instance-00000001 has no root disk"), Map.of(vm, 42L));
        String text = json.writeValueAsString(stats);
        assertThat(text).contains("\"time\":\"2026-11-29T06:00:00Z\"").contains("\"" + vm + "\":3.25")
                .contains("\"replicaVersions\":{\"" + vm + "\":42}")
                .contains("\"stoppedProtections\":{\"" + vm + "\":\"domain instance-00000001 has no root disk\"}");
        assertThat(json.readValue(text, HostStats.class)).isEqualTo(stats);
    }

    @Test
    void aStoppedPrimaryStatusSaysSoAndOneFromAnOlderAgentReplicates() throws IOException {
        PrimaryStatus stopped = new PrimaryStatus(vm, 4, Instant.parse("2026-11-29T06:00:00Z"), 0.5, false, "x",
                List.of(), null, List.of(), PrimaryStatus.STOPPED, "domain instance-00000001 has no root disk");
        String text = json.writeValueAsString(stopped);
        assertThat(text).contains("\"state\":\"stopped\"").contains("\"reason\":\"domain instance-00000001 has no root disk\"");
        assertThat(json.readValue(text, PrimaryStatus.class)).isEqualTo(stopped);
        PrimaryStatus old = json.readValue("{\"vm\":\"" + vm + "\",\"version\":3,\"secondaries\":[]}", PrimaryStatus.class);
        assertThat(old.state()).isEqualTo(PrimaryStatus.REPLICATING);
        assertThat(old.reason()).isNull();
        HostStats older = json.readValue("{\"host\":\"c1\",\"domains\":[],\"replicaLagSeconds\":{}}", HostStats.class);
        assertThat(older.stoppedProtections()).isEmpty();
        assertThat(older.replicaVersions()).isEmpty();
    }

    @Test
    void protectionCarriesItsIntervalAsAnIsoDuration() throws IOException {
        Protection p = new Protection(vm, Role.PRIMARY,
                List.of(new Peer("compute2", URI.create("https://compute2:7480"))), Duration.ofSeconds(30));
        String text = json.writeValueAsString(p);
        assertThat(text).contains("\"interval\":\"PT30S\"").contains("\"role\":\"PRIMARY\"");
        assertThat(json.readValue(text, Protection.class)).isEqualTo(p);
    }

    @Test
    void unknownFieldsFromANewerAgentAreIgnored() throws IOException {
        Health h = json.readValue("{\"host\":\"c1\",\"status\":\"ok\",\"version\":\"0.1\",\"uptimeSeconds\":5,"
                + "\"libvirtReachable\":true,\"time\":\"2026-11-29T06:00:00Z\",\"future\":1}", Health.class);
        assertThat(h.host()).isEqualTo("c1");
    }
}

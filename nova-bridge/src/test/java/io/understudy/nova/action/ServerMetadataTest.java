package io.understudy.nova.action;

import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.understudy.nova.action.FakeNova.SERVER;
import static io.understudy.nova.action.LiveMigrationTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.action.ServerMetadata.Replica;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServerMetadataTest {

    private final FakeNova nova = new FakeNova("compute1");
    private final ServerMetadata metadata = new ServerMetadata(nova.client(Duration.ofSeconds(5)), FAST);

    @AfterEach
    void stop() {
        nova.close();
    }

    @Test
    void mergesRoleAndReplicasIntoTheServersMetadata() {
        nova.failing("POST /v2.1/servers/" + SERVER + "/metadata", 1, 503);

        var after = metadata.publish(SERVER, "primary on compute1",
                List.of(new Replica("compute2", Duration.ofMillis(3140)), new Replica("compute3", Duration.ofMillis(2900))));

        assertThat(after).containsEntry("understudy:role", "primary on compute1")
                .containsEntry("understudy:replicas", "compute2:3.1s,compute3:2.9s")
                .as("other keys stay").containsEntry("owner", "db-team");
        nova.wireMock.verify(2, postRequestedFor(urlEqualTo("/v2.1/servers/" + SERVER + "/metadata"))
                .withRequestBody(equalToJson("{\"metadata\": {\"understudy:role\": \"primary on compute1\", "
                        + "\"understudy:replicas\": \"compute2:3.1s,compute3:2.9s\"}}")));
    }

    @Test
    void noReplicasIsAnEmptyList() {
        assertThat(metadata.publish(SERVER, "primary on compute1", List.of())).containsEntry("understudy:replicas", "");
    }

    @Test
    void refusesWhatNovaWouldNotStore() {
        assertThatThrownBy(() -> metadata.publish(SERVER, " ", List.of()))
                .hasMessage("understudy:role value is blank");
        assertThatThrownBy(() -> metadata.publish(SERVER, "r".repeat(256), List.of()))
                .hasMessageStartingWith("understudy:role value 'rrr").hasMessageEndingWith("' is longer than Nova's 255 characters");
        assertThatThrownBy(() -> new Replica("compute2,compute3", Duration.ZERO))
                .hasMessage("replica host 'compute2,compute3' contains ',' or ':'");
        assertThat(nova.received("POST")).isEmpty();
    }
}

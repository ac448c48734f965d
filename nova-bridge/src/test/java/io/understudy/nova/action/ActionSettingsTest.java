package io.understudy.nova.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.RetryPolicy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ActionSettingsTest {

    @Test
    void pinsEveryDefault() {
        assertThat(ActionSettings.DEFAULTS).isEqualTo(new ActionSettings(
                new RetryPolicy(4, new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2))),
                new Backoff(Duration.ofMillis(250), Duration.ofMillis(250)),
                Duration.ofMinutes(2), Duration.ofMinutes(2), ActionSettings.OnTimeout.ABORT,
                Duration.ofMinutes(1), Duration.ofMinutes(3)));
    }

    @Test
    void aLiveMigrationGetsItsBaseTimePlusItsShareOfRam() {
        assertThat(ActionSettings.DEFAULTS.liveMigrationTimeout(0)).isEqualTo(Duration.ofMinutes(2));
        assertThat(ActionSettings.DEFAULTS.liveMigrationTimeout(512)).isEqualTo(Duration.ofMinutes(3));
        assertThat(ActionSettings.DEFAULTS.liveMigrationTimeout(8192)).isEqualTo(Duration.ofMinutes(18));
    }

    @Test
    void refusesLimitsThatCannotBeMet() {
        ActionSettings d = ActionSettings.DEFAULTS;
        assertThatThrownBy(() -> new ActionSettings(d.retry(), d.polling(), Duration.ZERO, d.liveMigrationTimeoutPerGiB(),
                d.onTimeout(), d.settleTimeout(), d.evacuationTimeout()))
                .hasMessage("liveMigrationTimeout PT0S is not positive");
        assertThatThrownBy(() -> new ActionSettings(d.retry(), d.polling(), d.liveMigrationTimeout(),
                Duration.ofSeconds(-1), d.onTimeout(), d.settleTimeout(), d.evacuationTimeout()))
                .hasMessage("liveMigrationTimeoutPerGiB PT-1S is negative");
    }
}

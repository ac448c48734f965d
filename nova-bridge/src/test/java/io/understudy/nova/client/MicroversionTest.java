package io.understudy.nova.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MicroversionTest {

    @Test
    void parsesAndPrintsTheHeaderNovaExpects() {
        Microversion version = Microversion.parse("2.74");

        assertThat(version).isEqualTo(new Microversion(2, 74));
        assertThat(version.headerValue()).isEqualTo("compute 2.74");
        assertThat(version).hasToString("2.74");
    }

    @Test
    void comparesNumericallyNotAsText() {
        assertThat(Microversion.parse("2.9")).isLessThan(Microversion.parse("2.10"));
        assertThat(Microversion.parse("2.95")).isGreaterThan(Microversion.parse("2.68"));
        assertThat(Microversion.parse("3.0")).isGreaterThan(Microversion.parse("2.93"));
    }

    @Test
    void refusesWhatIsNotMajorDotMinor() {
        for (String bad : new String[] {"2", "2.", ".5", "2.74.1", "latest", "02.1", "2.01", " 2.1", "-2.1"}) {
            assertThatThrownBy(() -> Microversion.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("microversion '" + bad + "' is not of the form MAJOR.MINOR (e.g. 2.74)");
        }
    }
}

package io.understudy.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.keystone.Caller;
import io.understudy.nova.keystone.KeystoneException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeystoneCallersTest {

    private static final Instant T0 = Instant.parse("2026-12-07T20:00:00Z");

    /** What Keystone says of each token, and every token it was asked about. */
    private final Map<String, Caller> known = new HashMap<>();
    private final List<String> asked = new ArrayList<>();
    private Instant now = T0;

    private KeystoneCallers callers(Duration cacheTime) {
        Clock clock = new Clock() {
            @Override
            public Instant instant() {
                return now;
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        return new KeystoneCallers(token -> {
            asked.add(token);
            return Optional.ofNullable(known.get(token));
        }, cacheTime, clock);
    }

    private static Caller caller(Instant expiresAt) {
        return new Caller("alice (u1)", "project demo (p1)", Set.of("reader", "member"), expiresAt);
    }

    @Test
    void aValidatedTokenIsTrustedForTheCacheTimeThenAskedAboutAgain() {
        KeystoneCallers callers = callers(Duration.ofMinutes(5));
        known.put("t1", caller(T0.plus(Duration.ofHours(1))));
        assertThat(callers.caller("t1")).contains(caller(T0.plus(Duration.ofHours(1))));
        now = T0.plus(Duration.ofMinutes(4));
        assertThat(callers.caller("t1")).isPresent();
        assertThat(asked).containsExactly("t1");
        // Revoked in Keystone meanwhile: refused once the cache time is over.
        known.remove("t1");
        now = T0.plus(Duration.ofMinutes(5));
        assertThat(callers.caller("t1")).isEmpty();
        assertThat(asked).containsExactly("t1", "t1");
    }

    @Test
    void neverTrustedPastItsExpiry() {
        KeystoneCallers callers = callers(Duration.ofMinutes(5));
        known.put("t1", caller(T0.plusSeconds(10)));
        assertThat(callers.caller("t1")).isPresent();
        now = T0.plusSeconds(10);
        // Keystone answers 404 for an expired token; its last answer is not used past the expiry.
        known.remove("t1");
        assertThat(callers.caller("t1")).isEmpty();
        assertThat(asked).containsExactly("t1", "t1");
    }

    @Test
    void anAnswerAlreadyExpiredLetsNothingIn() {
        KeystoneCallers callers = callers(Duration.ofMinutes(5));
        known.put("t1", caller(T0.minusSeconds(1)));
        assertThat(callers.caller("t1")).isEmpty();
    }

    @Test
    void refusalsAndFailuresAreNotKept() {
        KeystoneCallers callers = callers(Duration.ofMinutes(5));
        assertThat(callers.caller("t1")).isEmpty();
        known.put("t1", caller(T0.plus(Duration.ofHours(1))));
        assertThat(callers.caller("t1")).isPresent();
        assertThat(asked).containsExactly("t1", "t1");

        KeystoneCallers down = new KeystoneCallers(token -> {
            throw new KeystoneException("no answer within 30000 ms");
        }, Duration.ofMinutes(5), Clock.systemUTC());
        assertThatThrownBy(() -> down.caller("t2")).isInstanceOf(KeystoneException.class);
    }

    @Test
    void aZeroCacheTimeAsksEveryTime() {
        KeystoneCallers callers = callers(Duration.ZERO);
        known.put("t1", caller(T0.plus(Duration.ofHours(1))));
        callers.caller("t1");
        callers.caller("t1");
        assertThat(asked).containsExactly("t1", "t1");
    }

    @Test
    void theLeastRecentlyUsedTokenGoesBeyondTheBound() {
        KeystoneCallers callers = callers(Duration.ofMinutes(5));
        for (int i = 0; i <= KeystoneCallers.MAX_TOKENS; i++) {
            known.put("t" + i, caller(T0.plus(Duration.ofHours(1))));
            callers.caller("t" + i);
        }
        asked.clear();
        callers.caller("t" + KeystoneCallers.MAX_TOKENS);
        callers.caller("t0");
        assertThat(asked).containsExactly("t0");
    }
}

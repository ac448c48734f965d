package io.understudy.scheduler.api;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.keystone.Caller;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Keystone's word on callers' tokens, each kept for the cache time and never past the token's
 * expiry, so that a busy client costs Keystone one request per cache time. Only tokens Keystone
 * vouched for are kept, under their SHA-256 rather than themselves: a heap dump holds no token.
 * Refusals are not kept: a token that was not yet valid is asked about again.
 */
final class KeystoneCallers {

    /** Beyond this many tokens the least recently used goes: a flood of valid tokens is bounded too. */
    static final int MAX_TOKENS = 10_000;

    private record Entry(Caller caller, Instant until) {}

    private final Function<String, Optional<Caller>> keystone;
    private final Duration cacheTime;
    private final Clock clock;
    private final Map<String, Entry> cache = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > MAX_TOKENS;
        }
    };

    /**
     * @param keystone asks Keystone about a token: its caller, or empty when Keystone does not know
     *     it; throws {@link io.understudy.nova.keystone.KeystoneException} when Keystone cannot be asked
     */
    KeystoneCallers(Function<String, Optional<Caller>> keystone, Duration cacheTime, Clock clock) {
        this.keystone = requireNonNull(keystone, "keystone is null");
        this.cacheTime = requireNonNull(cacheTime, "cacheTime is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** TOKEN's caller while it is valid; empty once it is unknown, expired or revoked. */
    Optional<Caller> caller(String token) {
        String key = sha256(token);
        Instant now = clock.instant();
        synchronized (cache) {
            Entry entry = cache.get(key);
            if (entry != null && now.isBefore(entry.until())) {
                return Optional.of(entry.caller());
            }
            cache.remove(key);
        }
        Optional<Caller> caller = keystone.apply(token).filter(c -> now.isBefore(c.expiresAt()));
        caller.ifPresent(c -> {
            Instant until = now.plus(cacheTime);
            synchronized (cache) {
                cache.put(key, new Entry(c, until.isBefore(c.expiresAt()) ? until : c.expiresAt()));
            }
        });
        return caller;
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}

package io.understudy.nova.keystone;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** One exchange with Keystone, bounded as a whole; and how its answers are quoted in errors. */
final class KeystoneHttp {

    private static final int BODY_EXCERPT = 300;

    private KeystoneHttp() {}

    /**
     * The whole exchange, answer included, ends within TIMEOUT: {@link HttpRequest#timeout} alone
     * stops at the headers.
     *
     * @throws KeystoneException starting with WHAT when there is no answer in time
     */
    static HttpResponse<String> send(HttpClient http, HttpRequest request, Duration timeout, String what) {
        CompletableFuture<HttpResponse<String>> response = http.sendAsync(request, BodyHandlers.ofString());
        try {
            return response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            response.cancel(true);
            throw new KeystoneException(what + " failed: no answer within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new KeystoneException(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            response.cancel(true);
            Thread.currentThread().interrupt();
            throw new KeystoneException(what + ": interrupted", e);
        }
    }

    /**
     * A time as Keystone writes it: {@code 2026-12-07T21:25:22.000000Z} mostly, but a token cut short
     * by its application credential's expiry ends at {@code 2026-12-07T20:26:49}, with no zone:
     * Keystone's times are UTC.
     *
     * @throws DateTimeParseException when TEXT is neither
     */
    static Instant time(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        }
    }

    static String excerpt(String body) {
        String flat = body.replaceAll("\\s+", " ").strip();
        return flat.length() <= BODY_EXCERPT ? flat : flat.substring(0, BODY_EXCERPT) + "...";
    }
}

package io.understudy.nova.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Sends requests to Nova: the {@link NovaClient} itself, or a layer over it that retries
 * ({@link Retrying}) or counts.
 */
public interface NovaCalls {

    /**
     * @return Nova's 2xx answer
     * @throws NovaException when Nova answers with an error status, an unreadable body, or not at all
     */
    NovaResponse send(NovaRequest request);

    /** The body of a GET, or a missing node when there is none. */
    default JsonNode get(String path, Microversion version) {
        return send(NovaRequest.get(path, version)).body();
    }

    default JsonNode post(String path, Microversion version, JsonNode body) {
        return send(NovaRequest.post(path, version, body)).body();
    }

    default JsonNode put(String path, Microversion version, JsonNode body) {
        return send(NovaRequest.put(path, version, body)).body();
    }

    default JsonNode delete(String path, Microversion version) {
        return send(NovaRequest.delete(path, version)).body();
    }
}

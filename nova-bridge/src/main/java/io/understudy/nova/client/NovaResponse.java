package io.understudy.nova.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * Nova's successful answer.
 *
 * @param body the JSON body, or a missing node when there was none
 * @param requestId Nova's id of the request ({@code x-openstack-request-id}), the key of its logs
 *     and of the server's action log
 */
public record NovaResponse(int status, JsonNode body, Optional<String> requestId) {

    public NovaResponse {
        if (status < 200 || status > 299) {
            throw new IllegalArgumentException("HTTP " + status + " is not a successful answer");
        }
        requireNonNull(body, "body is null");
        requireNonNull(requestId, "requestId is null");
    }
}

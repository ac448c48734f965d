package io.understudy.agent.resources;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.UUID;

/** Path parameters as the API accepts them: a VM id is a canonical UUID, nothing else. */
final class Ids {

    private Ids() {}

    static UUID vm(String text) {
        try {
            UUID vm = UUID.fromString(text);
            if (vm.toString().equals(text.toLowerCase(java.util.Locale.ROOT))) {
                return vm;
            }
        } catch (IllegalArgumentException e) {
            // fall through to the refusal
        }
        throw error(Response.Status.BAD_REQUEST, "VM id '" + clip(text) + "' is not a UUID");
    }

    /** A refusal the server's error mapper turns into the JSON line (and logs, when it is one). */
    static WebApplicationException error(Response.Status status, String message) {
        return new WebApplicationException(message, status);
    }

    private static String clip(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }
}

package io.understudy.nova.keystone;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Set;

/**
 * Who a token Keystone vouched for belongs to, and what it may do.
 *
 * @param user the user's name and id, as logs name a caller
 * @param scope what the token is scoped to: {@code project NAME (ID)}, {@code domain NAME (ID)},
 *     {@code system} or {@code unscoped}
 * @param roles the token's role names, the roles the assigned ones imply among them
 * @param expiresAt the token's end
 */
public record Caller(String user, String scope, Set<String> roles, Instant expiresAt) {

    public Caller {
        requireNonNull(user, "user is null");
        requireNonNull(scope, "scope is null");
        roles = Set.copyOf(roles);
        requireNonNull(expiresAt, "expiresAt is null");
    }
}

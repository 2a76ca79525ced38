package io.kim.spi;

/**
 * Who is on the other end of a connection, as established by an {@link Authenticator}.
 *
 * <p>Immutable and thread-safe. Two identities are the same user only if both {@code tenant} and {@code userId}
 * are equal: user ids are scoped by tenant.
 *
 * @param tenant     the tenant (the seeds' "app") the user belongs to; non-blank
 * @param userId     the user, unique within the tenant; non-blank
 * @param deviceId   the device the user logs in from, unique among the user's devices; non-blank
 * @param deviceType the kind of device ({@code "ios"}, {@code "android"}, {@code "web"}, {@code "pc"}, ...);
 *                   multi-device policies such as "one device per type" compare it; non-blank
 */
public record Identity(String tenant, String userId, String deviceId, String deviceType) {

    public Identity {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        Validate.nonBlank(deviceId, "deviceId");
        Validate.nonBlank(deviceType, "deviceType");
    }
}

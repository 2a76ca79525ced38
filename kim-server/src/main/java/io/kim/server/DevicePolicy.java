package io.kim.server;

/** What happens when a user logs in while already logged in elsewhere. */
public enum DevicePolicy {
    /**
     * One session per device type: a new login from a device type that is already logged in kicks the old session
     * (it gets a KICK push, then its connection is closed with {@link io.kim.net.CloseStatus#KICKED}). Logins from
     * other device types (phone and desktop, say) stay side by side. The default.
     */
    ONE_PER_DEVICE_TYPE,
    /** The new login is refused with {@code LOGIN_REJECTED} while a session of the same device type exists. */
    REJECT_NEW,
    /** Any number of sessions; nobody is kicked. */
    ALLOW_MANY
}

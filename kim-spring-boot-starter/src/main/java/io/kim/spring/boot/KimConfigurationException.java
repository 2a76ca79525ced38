package io.kim.spring.boot;

/**
 * The starter cannot build the kim server from the application context: a required bean is missing (an
 * {@link io.kim.spi.Authenticator}, or a store that {@code kim.store.type} does not provide) or a property is
 * invalid. Thrown while the context starts, so the application fails to start with this message.
 */
public final class KimConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String action;

    /**
     * @param message what is wrong
     * @param action  what to do about it
     */
    public KimConfigurationException(String message, String action) {
        super(message + " " + action);
        this.action = action;
    }

    /** What to do about it. */
    public String action() {
        return action;
    }
}

package io.kim.spi;

/** The {@link EventListener#none()} singleton. */
final class NoopEventListener implements EventListener {

    static final NoopEventListener INSTANCE = new NoopEventListener();

    private NoopEventListener() {
    }

    @Override
    public String toString() {
        return "EventListener.none()";
    }
}

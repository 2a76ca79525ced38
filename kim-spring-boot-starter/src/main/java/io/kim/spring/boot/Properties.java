package io.kim.spring.boot;

/** Applies one {@code kim.*} property to a builder, turning the builder's refusal into a startup failure. */
final class Properties {

    private Properties() {
    }

    /**
     * Runs {@code apply}; if it throws {@link IllegalArgumentException} or {@link NullPointerException} (the
     * builders' checks), throws a {@link KimConfigurationException} naming {@code property}.
     */
    static void set(String property, Runnable apply) {
        try {
            apply.run();
        } catch (IllegalArgumentException | NullPointerException e) {
            String why = e.getMessage() == null ? "not set" : e.getMessage();
            int colon = why.indexOf(": ");
            throw new KimConfigurationException(property + ": " + (colon >= 0 ? why.substring(colon + 2) : why) + ".",
                    "Fix the property " + property + ".");
        }
    }
}

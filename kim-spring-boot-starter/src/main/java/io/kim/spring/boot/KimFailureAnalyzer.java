package io.kim.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a {@link KimConfigurationException} as Boot's "APPLICATION FAILED TO START" description and action. */
final class KimFailureAnalyzer extends AbstractFailureAnalyzer<KimConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, KimConfigurationException cause) {
        String message = cause.getMessage();
        String description = message.substring(0, message.length() - cause.action().length()).trim();
        return new FailureAnalysis(description, cause.action(), cause);
    }
}

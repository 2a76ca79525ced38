package io.kim.spring.boot.sample;

import io.kim.spi.AuthenticationException;
import io.kim.spi.Authenticator;
import io.kim.spi.EventListener;
import io.kim.spi.Identity;
import io.kim.spi.Message;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * A Boot application that embeds kim with the starter: it declares only an {@link Authenticator} (tokens of the
 * form {@code user:device}, for a demo), an event listener and a meter registry; everything else comes from the
 * {@code kim.*} properties.
 */
@SpringBootApplication
public class SampleChatApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleChatApplication.class, args);
    }

    @Bean
    Authenticator authenticator() {
        return token -> {
            String[] parts = token.split(":");
            if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
                return CompletableFuture.failedFuture(new AuthenticationException(
                        AuthenticationException.Reason.INVALID, "expected user:device"));
            }
            return CompletableFuture.completedFuture(new Identity("sample", parts[0], parts[1], "desktop"));
        };
    }

    @Bean
    AcceptedMessages acceptedMessages() {
        return new AcceptedMessages();
    }

    @Bean
    MeterRegistry meterRegistry() {
        return new SimpleMeterRegistry();
    }

    /** Remembers the ids of accepted messages (an audit log would write them somewhere). */
    static final class AcceptedMessages implements EventListener {
        final List<String> ids = new CopyOnWriteArrayList<>();

        @Override
        public void messageAccepted(Message message) {
            ids.add(message.messageId());
        }
    }
}

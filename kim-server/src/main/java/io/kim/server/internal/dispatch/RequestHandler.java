package io.kim.server.internal.dispatch;

import java.util.concurrent.CompletionStage;

/**
 * Handles one command. Called on the channel's event loop; must not block. Returns the encoded answer, usually
 * completed later on the same loop (see {@link io.kim.server.internal.Stages}); a refusal is a
 * {@link RequestException} (thrown or as the stage's failure), and any other failure is mapped by
 * {@link Failures}. The dispatcher sends exactly one answer for every call.
 */
@FunctionalInterface
public interface RequestHandler {

    CompletionStage<byte[]> handle(Request request) throws Exception;
}

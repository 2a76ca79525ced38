package io.kim.server.internal;

import io.kim.net.Channel;
import io.kim.net.CloseStatus;
import io.kim.protocol.Command;
import java.net.SocketAddress;
import java.util.concurrent.CompletionStage;

/**
 * The requesting channel as a request handler sees it: the first push is the response, and its time is the
 * request's handling time.
 */
final class TimedChannel implements Channel {

    private final Channel channel;
    private final Command command;
    private final long start;
    private final ImMetrics metrics;
    private volatile boolean answered;

    TimedChannel(Channel channel, Command command, long start, ImMetrics metrics) {
        this.channel = channel;
        this.command = command;
        this.start = start;
        this.metrics = metrics;
    }

    @Override
    public boolean push(byte[] payload) {
        if (!answered) {
            answered = true;
            metrics.requestHandled(command, System.nanoTime() - start);
        }
        metrics.packetOut(command);
        return channel.push(payload);
    }

    @Override
    public String id() {
        return channel.id();
    }

    @Override
    public String transport() {
        return channel.transport();
    }

    @Override
    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    @Override
    public boolean isActive() {
        return channel.isActive();
    }

    @Override
    public Object attachment() {
        return channel.attachment();
    }

    @Override
    public void close(CloseStatus status) {
        channel.close(status);
    }

    @Override
    public CompletionStage<Void> closeFuture() {
        return channel.closeFuture();
    }
}

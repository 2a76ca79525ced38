package io.kim.transport.tcp;

import io.kim.transport.tcp.internal.TcpFrameEncoder;

/** Test access to the encoder's copy threshold. */
final class TcpFrameEncoderAccess {
    private TcpFrameEncoderAccess() {
    }

    static int pendingCapacity() {
        return TcpFrameEncoder.PENDING_CAPACITY;
    }

    static int copyThreshold() {
        return TcpFrameEncoder.COPY_THRESHOLD;
    }
}

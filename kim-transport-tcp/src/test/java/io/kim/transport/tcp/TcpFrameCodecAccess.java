package io.kim.transport.tcp;

import io.kim.transport.tcp.internal.TcpFrameCodec;

/** Test access to the codec's copy threshold. */
final class TcpFrameCodecAccess {
    private TcpFrameCodecAccess() {
    }

    static int pendingCapacity() {
        return TcpFrameCodec.PENDING_CAPACITY;
    }

    static int copyThreshold() {
        return TcpFrameCodec.COPY_THRESHOLD;
    }
}

package io.kim.net.leak;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test class, collects garbage and fails if Netty reported a leaked buffer. Registered for every test
 * through {@code META-INF/services/org.junit.jupiter.api.extension.Extension} (autodetection is on in the build).
 */
public final class LeakCheckExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED) {
            return;
        }
        for (int i = 0; i < 5 && RecordingLeakDetector.LEAKS.isEmpty(); i++) {
            System.gc();
            Thread.sleep(20);
            // Leaks are reported when a new buffer is tracked: allocate a few to drain the reference queue.
            for (int j = 0; j < 8; j++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                a.release();
                b.release();
            }
        }
        if (!RecordingLeakDetector.LEAKS.isEmpty()) {
            String report = String.join("\n", RecordingLeakDetector.LEAKS);
            RecordingLeakDetector.LEAKS.clear();
            fail("Netty buffer leak detected after " + context.getDisplayName() + ":\n" + report);
        }
    }
}

package io.kim.net.leak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.Test;

/** The build runs every test with paranoid leak detection through the recording detector. */
class LeakDetectionSetupTest {

    @Test
    void testsRunWithParanoidRecordingLeakDetector() {
        assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
        assertInstanceOf(RecordingLeakDetector.class,
                ResourceLeakDetectorFactory.instance().newResourceLeakDetector(ByteBuf.class));
    }

    /** Netty logs this one leak at ERROR, with the hint; the record of it is removed so that the class passes. */
    @Test
    void aLeakedBuffer_isRecorded() throws InterruptedException {
        String hint = "leaked on purpose by " + getClass().getName();
        leak(hint);
        boolean recorded = false;
        for (int i = 0; i < 50 && !recorded; i++) {
            System.gc();
            Thread.sleep(20);
            PooledByteBufAllocator.DEFAULT.heapBuffer(16).release(); // a leak is reported when a buffer is tracked
            recorded = RecordingLeakDetector.LEAKS.removeIf(report -> report.contains(hint));
        }
        assertTrue(recorded, "the leak was recorded: " + RecordingLeakDetector.LEAKS);
    }

    private static void leak(String hint) {
        PooledByteBufAllocator.DEFAULT.heapBuffer(16).touch(hint).writeByte(1); // never released
    }
}

package io.kim.net.leak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.netty.buffer.ByteBuf;
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
}

package io.kim.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IdentityTest {

    @Test
    void constructor_blankTenant_isRejectedWithTheExpectation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Identity("", "alice", "phone-1", "ios"));
        assertEquals("tenant: \"\" (expected: non-blank)", e.getMessage());
    }

    @Test
    void constructor_nullDeviceType_isRejected() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> new Identity("acme", "alice", "phone-1", null));
        assertEquals("deviceType", e.getMessage());
    }
}

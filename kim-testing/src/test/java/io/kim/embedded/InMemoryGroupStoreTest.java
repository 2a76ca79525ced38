package io.kim.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kim.spi.GroupStore;
import io.kim.testing.GroupStoreContract;
import org.junit.jupiter.api.Test;

class InMemoryGroupStoreTest extends GroupStoreContract {

    @Override
    protected GroupStore newStore(int memberLimit) {
        return InMemoryGroupStore.builder().memberLimit(memberLimit).build();
    }

    @Test
    void builder_withoutMemberLimit_defaultsTo500() {
        assertEquals(500, InMemoryGroupStore.create().memberLimit());
        assertEquals(InMemoryGroupStore.DEFAULT_MEMBER_LIMIT, InMemoryGroupStore.builder().build().memberLimit());
    }

    @Test
    void builder_nonPositiveMemberLimit_isRejectedWithTheExpectedRange() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> InMemoryGroupStore.builder().memberLimit(0));
        assertEquals("memberLimit: 0 (expected: > 0)", zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InMemoryGroupStore.builder().memberLimit(-5));
    }
}

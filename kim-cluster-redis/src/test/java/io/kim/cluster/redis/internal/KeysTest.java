package io.kim.cluster.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeysTest {

    private final Keys keys = new Keys("kim:");

    @Test
    void userOf_aUsersKey_givesBackTenantAndUser() {
        assertEquals(List.of("acme", "bob"), keys.userOf(keys.user("acme", "bob")));
        assertEquals(List.of("a:b", "}{ü"), keys.userOf(keys.user("a:b", "}{ü")));
    }

    @Test
    void userOf_otherKeys_isNull() {
        assertNull(keys.userOf(keys.nodeCounts("node-a")));
        assertNull(keys.userOf(new Keys("other:").user("acme", "bob")));
        assertNull(keys.userOf("kim:s:{garbage}"));
        assertNull(keys.userOf("kim:s:{"));
    }
}

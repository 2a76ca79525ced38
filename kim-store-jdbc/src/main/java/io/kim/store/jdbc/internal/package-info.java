/** The implementation of the JDBC stores; may change at any time, use {@link io.kim.store.jdbc.JdbcStores}. */
package io.kim.store.jdbc.internal;

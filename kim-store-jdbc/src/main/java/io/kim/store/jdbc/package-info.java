/** Durable kim stores on JDBC (PostgreSQL, an embedded H2 file): {@link io.kim.store.jdbc.JdbcStores}. */
package io.kim.store.jdbc;

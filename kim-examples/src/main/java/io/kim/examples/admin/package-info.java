/**
 * The example server's admin HTTP API (users, password login, groups, health, Prometheus metrics), documented in
 * {@code docs/admin-api.md}. Everything but {@link io.kim.examples.admin.AdminHttpServer} is an implementation
 * detail and may change at any time.
 */
package io.kim.examples.admin;

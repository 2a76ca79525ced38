/**
 * Contracts a host implements to plug its own auth, sessions, message storage, users, groups and content filter
 * into kim. Plain Java, no dependencies.
 *
 * <h2>Threading</h2>
 * The server calls every SPI method on a Netty event loop, which must never block. Methods that may do I/O
 * therefore return a {@link java.util.concurrent.CompletionStage}: a remote implementation (Redis, JDBC, an HTTP
 * auth service) starts its work and returns at once, completing the stage later from any thread of its choosing;
 * the in-memory defaults in kim-server ({@code io.kim.embedded}) do their (short, lock-protected) work synchronously and return an already
 * completed stage. No method returns {@code null}; a failure of the backing system completes the stage
 * exceptionally. Invalid arguments (a programming error, never a client's input) are rejected by throwing at once.
 *
 * <h2>Tenancy</h2>
 * Every method is keyed by tenant first. Identical user ids, device ids, channel ids or client message ids in two
 * tenants belong to different users and never see each other.
 *
 * <h2>Contract tests</h2>
 * kim-testing holds a contract test suite per store ({@code io.kim.testing.MessageStoreContract},
 * {@code SessionStoreContract}, {@code UserDirectoryContract}, {@code GroupStoreContract}); every implementation
 * extends it (see {@code docs/embedding.md}).
 */
package io.kim.spi;

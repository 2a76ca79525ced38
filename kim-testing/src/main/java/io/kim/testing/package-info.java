/**
 * The kim test kit: contract suites that every implementation of a kim-spi store must pass
 * ({@link io.kim.testing.MessageStoreContract}, {@link io.kim.testing.GroupStoreContract},
 * {@link io.kim.testing.SessionStoreContract}, {@link io.kim.testing.UserDirectoryContract}), a JUnit 5 extension
 * that runs a server and hands out logged-in clients ({@link io.kim.testing.KimServerExtension},
 * {@link io.kim.testing.TestClient}), and a raw protocol client ({@link io.kim.testing.RawImClient}) for
 * end-to-end tests.
 */
package io.kim.testing;

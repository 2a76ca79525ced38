/**
 * The load generator ({@link io.kim.bench.load.LoadMain}), the server it drives in a JVM of its own
 * ({@link io.kim.bench.load.BenchServerMain}) and the raw-Netty relay every kim figure is compared with
 * ({@link io.kim.bench.load.RelayServer}). Loopback only; every run is bounded in time. See docs/benchmarks.md.
 */
package io.kim.bench.load;

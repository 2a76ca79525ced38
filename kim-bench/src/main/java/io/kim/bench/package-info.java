/**
 * JMH micro-benchmarks. Built into {@code kim-bench/target/kim-bench.jar}; run with
 * {@code java -jar kim-bench/target/kim-bench.jar <regex> -rf json}. Never run by the build.
 */
package io.kim.bench;

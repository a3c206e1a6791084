/**
 * Scenario tests: one class per io_uring behaviour, each written once against the seam
 * ({@link dev.ringspec.seam.IoUringKernel}) and run against every backend in {@link dev.ringspec.scenarios.Backends}.
 *
 * <ul>
 *   <li>Each test method is a {@code @ParameterizedTest} over {@code Backends#all}; a class skips with the
 *       availability reason when no backend can run ({@code Backends.assumeAny()} in {@code @BeforeAll}).</li>
 *   <li>A scenario that needs a feature calls {@code Backends.assumeFeature}, judged from the backend's probed
 *       capabilities, and skips with "this kernel lacks X" where it is absent; the same test runs unchanged where
 *       the feature exists (a newer kernel, or the model claiming a 7.x profile).</li>
 *   <li>Expected values come from {@code shared/reference/ring-semantics.md}: each test cites its Part B row or
 *       Part A section. Where the kernel and the document disagree, the kernel run is the fact.</li>
 *   <li>Memory whose address a backend must dereference (query chains, fd arrays, iovecs, BPF programs, timespecs)
 *       is allocated from the backend's {@link dev.ringspec.seam.UserMemory}.</li>
 *   <li>Thread-bound rings are driven from platform threads only; {@code OnThread} is "another task".</li>
 * </ul>
 *
 * <p>Run them with {@code ./mvnw -o -pl conformance test -Dtest='dev.ringspec.scenarios.**'}; surefire reads
 * {@code dev.ringspec.scenarios.*} as a class name with an extension and selects nothing.
 */
package dev.ringspec.scenarios;

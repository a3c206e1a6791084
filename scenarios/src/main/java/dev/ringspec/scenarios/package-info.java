/**
 * The scenario contract: one class per io_uring behaviour, each written once against the seam
 * ({@link dev.ringspec.seam.IoUringKernel}) and run against every backend the run selects. The classes are main
 * code of their own module so that every module with a backend runs the same contract: conformance (the kernel
 * this JVM runs on and the model with each profile), and later guest-runner and the emulator, each through
 * surefire's {@code dependenciesToScan}.
 *
 * <ul>
 *   <li>Each test method is a {@link dev.ringspec.scenarios.Scenario}: run once per backend in
 *       {@link dev.ringspec.seam.BackendRegistry#selected()} ({@code -Dringspec.backends=native,model-7.1}; by
 *       default every registered backend), and skipped with the backend's reason where it cannot run here
 *       (io_uring disabled, blocked or absent).</li>
 *   <li>A scenario that needs a feature calls {@code Scenarios.assumeFeature}, judged from the backend's probed
 *       capabilities, and skips with "lacks X" where it is absent, or "the model does not model X yet"; the same
 *       test runs unchanged where the feature exists (a newer kernel, or the model with a 7.x profile).</li>
 *   <li>Expected values come from {@code shared/reference/ring-semantics.md}: each test cites its Part B row or
 *       Part A section. Where the kernel and the document disagree, the kernel run is the fact. Where a kernel
 *       shows a catalogued bug, the scenario expects the catalogued behaviour from {@code Kind.KERNEL} backends
 *       and the intended one from the others, and says so.</li>
 *   <li>Memory whose address a backend must dereference (query chains, fd arrays, iovecs, BPF programs, timespecs)
 *       is allocated from the backend's {@link dev.ringspec.seam.UserMemory}; descriptors to register come from
 *       its {@link dev.ringspec.seam.BackendProcess}.</li>
 *   <li>Thread-bound rings are driven from platform threads only; {@code OnThread} is "another task".</li>
 * </ul>
 *
 * <p>Run them from conformance with {@code ./mvnw -o -pl conformance -am verify -Dtest='dev.ringspec.scenarios.**'
 * -Dsurefire.failIfNoSpecifiedTests=false}; surefire reads {@code dev.ringspec.scenarios.*} as a class name with an
 * extension and selects nothing.
 */
package dev.ringspec.scenarios;

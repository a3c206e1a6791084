/**
 * A kernel-compatible io_uring in Java ({@link dev.ringspec.emulator.EmulatedIoUring}): the kernel's memory layout
 * and syscall-shaped interface ({@code dev.ringspec.seam.IoUringKernel}), every ring rule from the reference model,
 * real I/O on the process's descriptors through opcodes in {@code dev.ringspec.emulator.ops} (one class per kernel
 * file), an io-wq of threads ({@code WorkerPool}), readiness through epoll ({@link dev.ringspec.emulator.Readiness}),
 * timers on a real or virtual clock, a deterministic mode, injected faults ({@link dev.ringspec.emulator.FaultPlan})
 * and a pedantic report of the application's ring mistakes ({@link dev.ringspec.emulator.Pedantic}).
 */
package dev.ringspec.emulator;

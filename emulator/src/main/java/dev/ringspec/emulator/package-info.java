/**
 * A kernel-compatible io_uring in Java: the kernel's memory layout and syscall-shaped interface
 * ({@code dev.ringspec.seam.IoUringKernel}), semantics taken from the reference model, real I/O,
 * deterministic scheduling and fault injection. Its issue has not come yet; this package holds only this note.
 */
package dev.ringspec.emulator;

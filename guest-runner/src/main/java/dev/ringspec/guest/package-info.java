/**
 * Any bootable x86-64 kernel as an io_uring backend: the kernel runs in a QEMU guest, a small static agent inside
 * it executes the seam's calls, and the host drives it behind {@link dev.ringspec.seam.IoUringKernel} like any
 * other backend.
 */
package dev.ringspec.guest;

/**
 * The running kernel's io_uring behind the seam ({@link dev.ringspec.seam.IoUringKernel}), driven through
 * java.lang.foreign.
 *
 * <p>The three io_uring syscalls go through {@code syscall(2)} (variadic, linked with {@code firstVariadicArg});
 * errno is captured by the linker at the call. The rings are mapped at the kernel's offsets:
 *
 * <pre>
 *  mmap offset          region                                  size
 *  IORING_OFF_SQ_RING   struct io_rings: heads, tails, masks,   sq_off.array + 4 * sq_entries
 *  (0x0)                flags, dropped, overflow, CQEs, SQ array (one mapping for both rings under
 *  IORING_OFF_CQ_RING   the same region, seen through cq_off    IORING_FEAT_SINGLE_MMAP: the larger size)
 *  (0x8000000)                                                  cq_off.cqes + cqe size * cq_entries
 *  IORING_OFF_SQES      the SQE array                           sq_entries * (64 or 128)
 *  (0x10000000)
 * </pre>
 *
 * <p>With {@code IORING_SETUP_NO_MMAP} the same two regions live in memory of ours, handed to the kernel in
 * {@code cq_off.user_addr} (rings) and {@code sq_off.user_addr} (SQEs). Each mapping generation belongs to a
 * shared arena; a resize maps the new regions and closes the old arena.
 */
package dev.ringspec.nativerunner;

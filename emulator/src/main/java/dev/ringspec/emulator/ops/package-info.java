/**
 * The emulator's opcodes, one class per kernel file they mirror: {@code Rw} (io_uring/rw.c), {@code Sync} (sync.c),
 * {@code Statx} (statx.c); their real calls are {@code RealFiles}'s, in one place.
 *
 * <p>The life of a READ of a pipe:
 * <pre>
 *   submit ── prep (ring's task)      __io_prep_rw: ioprio, then import_ubuf / __import_iovec (-EFAULT, -EINVAL)
 *         └─ issue (ring's task)      preadv2(..., RWF_NOWAIT) ── bytes ──────────────► CQE (short: links fail)
 *                                                             └─ -EAGAIN
 *   model: io_arm_poll_handler ─── Readiness (epoll) ── ready ──► issue again (ring's task) ─► CQE
 *          (a regular file cannot be polled: io-wq) ─► Blocking form (worker) preadv2 ──► task work ─► CQE
 * </pre>
 * A request with IOSQE_ASYNC starts at the Blocking form; on a pipe or socket it tries without blocking there and
 * arms a poll on -EAGAIN, as {@code io_wq_submit_work} does, so no worker ever sleeps in a pipe.
 */
package dev.ringspec.emulator.ops;

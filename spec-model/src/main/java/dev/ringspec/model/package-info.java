/**
 * The reference model: every rule of io_uring ring semantics the project pins down, held once, behind the seam
 * ({@link dev.ringspec.model.ModelIoUring}), with the version differences in {@link dev.ringspec.model.KernelProfile}
 * and deliberate deviations in {@link dev.ringspec.model.Mutant}. The source of every rule is
 * {@code shared/reference/ring-semantics.md}; each check carries the name of the kernel function it mirrors.
 *
 * <p>The life of a request in the model ({@link dev.ringspec.model.ModelRing}):
 * <pre>
 *  enter(to_submit)
 *   io_submit_sqes ── io_get_sqe (cached head, SQ array, dropped) ── io_init_req (checks in order) ── nop prep
 *        │                     │ init error: io_submit_fail_init (CQE with the errno, chain cancelled)
 *        │               io_submit_sqe: chain assembly ── io_queue_sqe: issue ── inline completion batch
 *        │                                          └─ fallback: failed head / drain list / async (task work)
 *   io_submit_state_end: dangling chain queued; __io_submit_flush_completions:
 *        post CQEs in order (CQE cache, skip filler, overflow list) ── commit cq.tail (release)
 *        ── free requests: successors and cancellations become task work ── io_queue_deferred
 *   io_commit_sqring: sq.head (release), once
 *   task work: before enter returns (normal rings), or only in GETEVENTS (DEFER_TASKRUN local work)
 *   GETEVENTS (io_cqring_wait): task work, overflow flush, then the count; never blocks
 * </pre>
 *
 * <p>Shared fields are touched only through {@link dev.ringspec.seam.SharedMemory} with named access modes; SQE and
 * CQE bodies are plain data published by the paired release stores of the tails. Counters are free-running u32.
 */
package dev.ringspec.model;

/**
 * The reference model: every rule of io_uring ring semantics the project pins down, held once, behind the seam
 * ({@link dev.ringspec.model.ModelIoUring}), with the version differences in {@link dev.ringspec.model.KernelProfile}
 * and deliberate deviations in {@link dev.ringspec.model.Mutant}. The source of every rule is
 * {@code shared/reference/ring-semantics.md}; each check carries the name of the kernel function it mirrors and
 * reports itself as a named {@link dev.ringspec.model.Rule} ({@link dev.ringspec.model.Rules}). Where the kernel
 * may do either of two things the model names a {@link dev.ringspec.model.Choice}.
 *
 * <p>Files are named after the kernel's, state is split by the kernel struct it mirrors, and dependencies run one
 * way, down this picture (task work reaches back up only through {@code TaskWork.Runner}, as the kernel's
 * {@code io_task_work.func} does). The life of a request:
 * <pre>
 *  ModelIoUring (syscalls)      setup: IoUringSetup (sanitise, fill_params, rings_size, regions)
 *   │                           register: Register ── ResizeRings, Query, Restrictions, Rsrc ── FileTable, BufferTable
 *   └ enter ── ModelRing (io_ring_ctx: flags, owner IoUringTask, Regions, the parts below)
 *       SubmitSqes.submitSqes ── SqRing.getSqe (cached head, SQ array, dropped)
 *         │   InitReq.initReq (checks in order; Restrictions; Drain.initDrain) ── IoIssueDefs[opcode].prep
 *         │   init error: submitFailInit (CQE with the errno, chain cancelled)
 *         │   submitSqe: Links (chain assembly) ── IssueSqe.queueSqe ── IoIssueDefs[opcode].issue (Nop, ...)
 *         │        └ queueSqeFallback: failed head / Drain.drainReq / IoWq (the model's: task work)
 *         └ submitStateEnd: dangling chain queued; Completion.submitFlushCompletions:
 *              CQEs in order (CqeCache: cache, refill, skip filler │ OverflowList) ── commit cq.tail (release)
 *              ── free: Links.queueNext / io_fail_links become TaskWork ── Drain.queueDeferred
 *         SqRing.commitSqring: sq.head (release), once
 *       TaskWork (tw.c): before enter returns (normal rings), or only in GETEVENTS (DEFER_TASKRUN local work)
 *       CqringWait (wait.c): task work, overflow flush, then the count; a Waiter decides whether it sleeps
 * </pre>
 *
 * <p>An opcode is an {@link dev.ringspec.model.OpDef} (flags, prep, issue) that sees only its
 * {@link dev.ringspec.model.IssueContext}; another module adds one with
 * {@link dev.ringspec.model.KernelProfile.Builder#opcode}. Shared fields are touched only through
 * {@link dev.ringspec.seam.SharedMemory} with named access modes; SQE and CQE bodies are plain data published by the
 * paired release stores of the tails. Counters are free-running u32.
 */
package dev.ringspec.model;

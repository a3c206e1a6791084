/**
 * The rings' intended invariants, stated once as executable predicates ({@link dev.ringspec.invariants.RingInvariant},
 * each with its sentence and its source: the comment atop io_uring/io_uring.c, the uapi header's comments, the man
 * pages, commit messages that state a rule's intent, ring-semantics.md), and the machinery to check them after
 * every step of a run on any backend.
 *
 * <pre>
 *   step done ──► RingObservation.capture(ring, result, kernel's SQ head)      (seam: everything an app can see)
 *                        │
 *   RingStep (what it did: setup, enter, register, an application write)
 *                        ▼
 *   InvariantChecker ── StepCheck: before, step, after + History
 *                        │   consumed SQEs (from the kernel's head)  → Requests (chain, may-skip)
 *                        │   CQEs published (old tail → new tail, through CqeReader) → matched to Requests
 *                        ▼
 *   every RingInvariant checks; counts (checks, violations) per invariant; Violations returned
 * </pre>
 *
 * <p>Judged is what the kernel (or a backend standing in for it) does. An application that misbehaves (moves the
 * CQ head back or past the tail, moves sq.head, publishes a tail far ahead) is not a violation; an invariant whose
 * premise it broke does not apply. A slot the application once released stays released: the kernel may already
 * count it free, and may post in it twice within one step if it was released before anything was posted there
 * (those CQEs were never readable: the request bookkeeping is incomplete until the ring is quiescent). user_data
 * is the application's value and need not be unique: a CQE answers the request with its user_data that the rules
 * allow ({@code StepCheck.match}). A failed register may complete pending task work (Linux 6.1 runs it first).
 *
 * <p>Resize, by intent (io_uring_resize_rings(3), upstream 1fe703cc708f, e8dee8d5498c, 0edf1930b8ed): a successful
 * resize keeps every counter, every pending CQE at its counter and every pending SQE (those between the kernel's own
 * SQ head and the tail, through the SQ array) in order, whatever the counters' values, and leaves no 32-byte CQE
 * in the new ring's last slot (where one would land there, the resize fails with -EOVERFLOW). Linux 6.18 does not
 * (catalogue entries resize-drops-sq-array-mapping, resize-loses-entries-across-counter-wrap,
 * resize-publishes-the-applications-sq-head, resize-wraps-a-32-byte-cqe); the model follows the intent.
 *
 * <p>{@link dev.ringspec.invariants.CheckedRing} is an application whose every step is checked;
 * {@link dev.ringspec.invariants.RingExercises} are short runs any backend can be put through. The lockstep engine
 * checks both sides after every step (conformance, {@code InvariantWatch}).
 */
package dev.ringspec.invariants;

/**
 * The lockstep engine: generated step sequences run on two {@link dev.ringspec.seam.IoUringKernel} backends at
 * once (the reference, and the running kernel as the subject), compared after every step on everything an
 * application can observe.
 *
 * <pre>
 *  seed ──► Generator ──► Step ──► LockstepRunner ──► reference backend ──► ring state, result ─┐
 *              ▲                      │        └──► subject backend   ──► ring state, result ─┤
 *              └── reference state ◄──┘                                                       ▼
 *                                                                 compare (counters, flags, CQE bytes,
 *                                                                 write-backs) ──► Coverage labels
 *                                                                                 │ first difference
 *                                                                                 ▼
 *                     Shrinker (delete chunks, merge, delete pairs, simplify arguments, renumber user_data)
 *                                                                                 ▼
 *      report (steps, fdinfo side-by-side diff) + ReplayCase JSON + C reproducer + JUnit body; catalogue lookup
 * </pre>
 *
 * <p>Life of a run: a dedicated platform thread creates the rings of both sides (SINGLE_ISSUER and DEFER_TASKRUN
 * rings belong to it), executes each step on the reference, then on the subject, and compares. Steps whose outcome
 * the kernel does not fix (work handed to io-wq, waits that can never end) are refused on both sides before they
 * run, decided from the reference's ring, which equals the subject's until the first difference.
 *
 * <p>{@link dev.ringspec.lockstep.ReferenceBackends} names the two sides: the reference model, with the profile
 * chosen from the kernel's capabilities, and the running kernel. Tests also run the kernel against itself (a
 * harness self-test: it must never diverge) and against fault-injecting wrappers.
 */
package dev.ringspec.lockstep;

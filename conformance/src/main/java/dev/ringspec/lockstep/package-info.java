/**
 * The lockstep engine: generated step sequences run on two {@link dev.ringspec.seam.IoUringKernel} backends at
 * once (the reference, and the running kernel as the subject), compared after every step on everything an
 * application can observe.
 *
 * <pre>
 *  seed ──► Generator ──► Step ──► LockstepRunner (the loop, the run thread and the other thread)
 *              ▲                      │
 *              │                      ├─► Referee: the model runs the step first; a refusing Rule ends the run
 *              │                      ├─► Side (reference) ──┐  execute the step as an application would
 *              │                      ├─► Side (subject)   ──┤
 *              └── Counters ◄─────────┘                      ▼
 *                               Comparison (result, write-backs, Counters words, pending SQEs, CQE bytes)
 *                                  │ a difference
 *                                  ├─► Choices: another allowed outcome of the model's choice point agrees?
 *                                  ├─► CarryOver: the catalogue lets the run go on past it?
 *                                  ▼
 *                               Divergence (RingObservation of both sides) ──► DivergenceCatalogue
 *                                  ▼
 *          Shrinker (delete chunks, merge, delete pairs, simplify each StepForms component, renumber user_data)
 *                                  ▼
 *      report (steps, side-by-side RingObservations) + ReplayCase JSON + C reproducer + JUnit body
 * </pre>
 *
 * <p>Life of a run: a dedicated platform thread creates the rings of both sides (SINGLE_ISSUER and DEFER_TASKRUN
 * rings belong to it) and, for each step, lets the {@link dev.ringspec.lockstep.Referee} run it on the reference
 * model (a model beside the reference where the reference is a kernel or a mutant): if one of the model's rules
 * says the outcome on a kernel would depend on timing (io-wq, an accepted drain, a dangling link chain, a wait that
 * would block for ever), the run ends there and the subject never sees the step. Otherwise both sides run it and
 * are compared. Coverage counts labels and the rules the model reported. The generator writes NOP-centred SQEs, and
 * those of any opcode another module adds to the models' profiles once the run is told of it
 * ({@link dev.ringspec.lockstep.GeneratedOpcode}).
 *
 * <p>A step says once what it does: its record components ({@link dev.ringspec.lockstep.StepForms}) give its Java
 * expression, its call into the C reproducers' runtime ({@code reproducers/ringspec-reproducer.h}, where each step
 * kind is written once, with the trace formats {@link dev.ringspec.lockstep.TraceFormat} reads), and the
 * shrinker's simpler variants. Every catalogue entry ships its C reproducer in {@code reproducers/}.
 *
 * <p>The ring layouts of 6.19 and 7.0 ({@link dev.ringspec.lockstep.NewerLayoutSteps}: SQE_MIXED with NOP128
 * written by {@link dev.ringspec.lockstep.Step.WriteSqe128}, and SQ_REWIND, whose submissions are written from SQE 0
 * and never publish a tail) are generated only where the referee model takes them at setup, so a kernel whose
 * capabilities lack them never sees their steps, and the runs on it draw the same numbers as before.
 *
 * <p>{@link dev.ringspec.lockstep.ReferenceBackends} names the sides (the one place the engine makes
 * {@link dev.ringspec.seam.Backend}s): the reference model, with the profile chosen from the kernel's capabilities,
 * the running kernel, and the referee model. Tests also run the kernel against itself (a harness self-test: it must
 * never diverge) and against fault-injecting wrappers.
 */
package dev.ringspec.lockstep;

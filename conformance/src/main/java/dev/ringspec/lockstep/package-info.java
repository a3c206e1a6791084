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
 * <p><b>Runs with real I/O</b> ({@link dev.ringspec.lockstep.LockstepRunner#withWorld}: an emulator judged by
 * this kernel, {@code ringspec check --backend emulator --referee kernel}). Each side has an outside world of its
 * own ({@link dev.ringspec.lockstep.OutsideWorld}: a pipe, a socketpair, a loopback TCP listener, a scratch
 * directory, buffers), made anew for every run; {@link dev.ringspec.lockstep.Step.Outside} acts on both worlds alike
 * and {@link dev.ringspec.lockstep.Step.WriteIo} writes an SQE of a real-I/O opcode whose operands each side resolves
 * in its own world ({@link dev.ringspec.lockstep.WorldSteps} draws them). After every step both sides make an empty
 * enter (a task runs its task work on the way back from any syscall) and the run waits until the kernel's
 * asynchronous completions show what the emulator's did, for at most 200 ms; then everything is compared as usual,
 * and the bytes the requests read into the worlds' buffers too. The emulator runs deterministically (a seed, a
 * virtual clock that advances only at {@code Outside.ADVANCE_CLOCK} steps, while the kernel sleeps; timeouts are 5 ms,
 * over before the 20 ms advance that follows their batch, or 1,000 s) and waits that only the world could end are
 * refused, as on the model, instead of blocking. The invariant watch is off in these runs (completions arrive between
 * the steps it reasons about).
 *
 * <p>Where the kernel's order is not determined, the emulator takes the kernel's outcome at a named choice point
 * ({@link dev.ringspec.model.Choice}; {@link dev.ringspec.lockstep.ChoiceRebuild} rebuilds the reference with each
 * other outcome when a step diverges after one was reached in it, or in one of the steps before it whose order the
 * application could not see yet: a local task work list not yet run, the overflow list; every step from the earlier
 * choice on must then replay as the run took it): the model's {@code OVERFLOW_FLUSH_RESCHEDULES}, and the emulator's
 * io-wq points ({@code dev.ringspec.emulator.WorkerPool}): {@code IOWQ_COMPLETION_ORDER}, the order of io-wq work
 * pending together (io_uring/io-wq.c io_wq_enqueue hands work to concurrent workers; each posts as it finishes);
 * {@code IOWQ_POSTS_BEFORE_FLUSH}, a worker's io_req_complete_post before the task's next batch flush or
 * io_req_post_cqe on a ring without DEFER_TASKRUN; {@code IOWQ_RACES_DEFER_TASKRUN_WAIT}, a DEFER_TASKRUN ring's
 * io-wq completion before or after the submitting enter's wait ran local work; {@code IOWQ_FINISHES_DURING_SUBMIT},
 * such a completion's task work after that of later SQEs of its submission, or of its flush;
 * {@code IOWQ_STILL_RUNNING}, for how many later enters a worker is still busy; {@code IOWQ_FINISHES_BETWEEN_CALLS},
 * on a ring whose workers post their own CQEs, for how many more calls after those, empty ones too (where the
 * overflow list holds CQEs, the moment decides the worker's place in it); {@code IOWQ_NOT_TAKEN_YET}, whether a
 * worker had taken an item off io-wq's list when a cancellation looked (io_wq_cancel_cb: 0 and -ECANCELED, or
 * -EALREADY); {@code IOWQ_WAKES_BEFORE_IT_POSTS}, whether the polls a worker's write woke post before the worker's
 * own CQE; {@code IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK}, work a task work item handed to io-wq finished before the
 * task's next item; {@code WOKEN_WORKER_POSTS_FIRST}, a worker woken in its call by another's write posts before
 * it; and the emulator's clock point
 * {@code TIMER_FIRES_BEFORE_THE_CALL},
 * a timer due within 20 ms fired before a call (the kernel's side of a step may take that long under load, and its
 * hrtimers fire in real time); and {@code TASK_WORK_BEFORE_A_WOKEN_WORKER}, whether the polls' task work or an io-wq
 * worker waiting in its call takes a file's bytes first when the world, or io-wq work, wakes both at once. The lookback
 * reaches 64 steps (Choices.LOOKBACK_STEPS) before the difference, or before the reference's overflow list last began
 * to hold CQEs, whose order shows only at a flush; a step where the run took an outcome may take another there later.
 * Where no single outcome explains a difference, up to three are taken together, found by a beam search that nearness
 * to the subject's CQEs orders ({@link dev.ringspec.lockstep.ChoiceRebuild}; an FSYNC, a WRITEV and a later WRITEV each
 * still running for its own number of enters). Orders that need more, or a worker busy for more than six enters, still
 * show as new divergences. Polls of one file woken together are not a choice: the kernel wakes the last armed first,
 * and the emulator then takes epoll's order, which is the same ({@code Readiness.inWakeOrder}); the emulator draws no
 * random numbers in these runs, so a seed runs alone ({@code -Dworld.first=N -Dworld.runs=1}) as in a sequence, up to
 * the kernel's own timing.
 *
 * <p>{@link dev.ringspec.lockstep.ReferenceBackends} names the sides (the one place the engine makes
 * {@link dev.ringspec.seam.Backend}s): the reference model, with the profile chosen from the kernel's capabilities,
 * the running kernel, and the referee model. Tests also run the kernel against itself (a harness self-test: it must
 * never diverge) and against fault-injecting wrappers.
 */
package dev.ringspec.lockstep;

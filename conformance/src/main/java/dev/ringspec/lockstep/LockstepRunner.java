package dev.ringspec.lockstep;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.RingObservation;
import dev.ringspec.uapi.Errno;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The lockstep loop: runs steps on two {@link Side}s, the reference and the subject, and after each one compares
 * everything an application can observe ({@link Comparison}); goes on past the differences the catalogue lets it
 * carry over ({@link CarryOver}); and ends a run at the first other difference.
 *
 * <p>Both sides run each step on the same dedicated platform thread (the run thread), because a SINGLE_ISSUER or
 * DEFER_TASKRUN ring belongs to the thread that created it; {@link Step.OnOtherThread} steps run on a second
 * dedicated platform thread. Each side has its own user memory and argument memory, filled with the same contents;
 * both share one pipe, so descriptor arguments are equal too.
 *
 * <p>Each step runs first on the {@link Referee}'s model (the reference itself when that is the model): when one of
 * the model's rules says the step's outcome on a kernel would depend on timing (io-wq, a wait that would block for
 * ever, ...), the run ends there and the step is counted as refused; it never runs on the subject.
 */
public final class LockstepRunner implements AutoCloseable {
    /** The reference note for a ring on which Linux 6.18 has written a CQE through its stale cached range. */
    public static final String KERNEL_USES_STALE_CQE_CACHE = "kernelUsesStaleCqeCache";
    /** A note: a 6.1 or 6.12 drain on this ring was passed by the CQ tail, where the kernel stalls it for good. */
    public static final String DRAIN_STALLED_BY_SEQUENCE = "drainStalledBySequence";
    /** The reference deferred an eventfd signal that 6.12 to 7.0 drop ({@code EventFd.SIGNAL_BIT_KEPT}). */
    public static final String EVENTFD_SIGNAL_LOST = "eventfdSignalLost";
    /** The reference ended an interrupted SPLICE -EINTR where the kernel puts -512 ({@code Splice.RESTART_IN_CQE}). */
    public static final String SPLICE_RESTART_IN_CQE = "spliceRestartInCqe";

    /** Which side a trace or a report follows. */
    public enum Role {
        REFERENCE, SUBJECT
    }

    private final RunThreads threads = new RunThreads();
    private final CarryOver carryOver;
    private final Backend referenceBackend;
    private Side reference;
    private final Side subject;
    /** The model that runs each step first and says whether the run may take it ({@link Referee}). */
    private final Referee referee = new Referee();
    /** Where the referee's model runs: the reference itself when it is the model, else a model beside it. */
    private Side refereeSide;
    /** The reference model's choice points and the search of their outcomes ({@link ChoiceSearch}). */
    private final ChoiceSearch choices;
    /** The opcodes beyond NOP the generator may write ({@link #withOpcodes}). */
    private List<GeneratedOpcode> opcodes = List.of();
    private final int pipeRead;
    private final int pipeWrite;
    /** What the backends let generated runs write ({@link RunForms}). */
    private final RunForms forms;
    /** Whether runs do real I/O ({@link #withWorld}). */
    private boolean world;
    /** How long a run with real I/O waits for the sides to agree after a step, at most. */
    static final int SETTLE_MILLIS = 200;

    private Counters after = Counters.none(0);
    private int refused;
    private Coverage coverage;
    private List<String> trace;
    private Role traceRole;
    private Divergence divergence;
    private List<CarriedOver> carriedOver;
    private final InvariantWatch invariants = new InvariantWatch();
    /** Stops a run cut off by its time limit ({@link #runWithin}). */
    private final RunLimit runLimit = new RunLimit();

    /** A runner that ends every run at its first difference. */
    public LockstepRunner(Backend referenceBackend, Backend subjectBackend) {
        this(referenceBackend, subjectBackend, DivergenceCatalogue.empty());
    }

    /**
     * A runner that goes on past the differences {@code catalogue} lets it carry over ({@link CarryOver}); the run
     * records each such difference ({@link Outcome#carriedOver()}).
     */
    public LockstepRunner(Backend referenceBackend, Backend subjectBackend, DivergenceCatalogue catalogue) {
        this(referenceBackend, subjectBackend, catalogue, null);
    }

    /**
     * A runner whose steps are refereed by {@code refereeBackend}, if it is a model: by default (null, or not a model)
     * the reference itself when it is the model, else a model with the running kernel's profile beside it. A mutated
     * reference needs the unmutated model as its referee, or a mutant that makes the model refuse a step would hide
     * itself.
     */
    public LockstepRunner(Backend referenceBackend, Backend subjectBackend, DivergenceCatalogue catalogue,
            Backend refereeBackend) {
        this.carryOver = new CarryOver(catalogue);
        int[] pipe = Posix.pipe(Posix.O_CLOEXEC);
        if (pipe.length != 2) {
            throw new IllegalStateException("pipe2 failed: " + Errno.describe(pipe[0]));
        }
        this.pipeRead = pipe[0];
        this.pipeWrite = pipe[1];
        SideProbes.primeAbsentPath();
        this.referenceBackend = referenceBackend;
        this.reference = new Side(referenceBackend, pipeRead, pipeWrite);
        this.subject = new Side(subjectBackend, pipeRead, pipeWrite);
        this.choices = new ChoiceSearch(referee, carryOver, () -> new Side(referenceBackend, pipeRead, pipeWrite),
                this::execute);
        // an emulator reference referees itself: its rules are the model's, and it takes the run's choices
        this.refereeSide = refereeBackend != null && refereeBackend.kind() == Backend.Kind.MODEL
                ? new Side(refereeBackend, pipeRead, pipeWrite)
                : RefereeModel.of(reference.kernel) != null ? reference
                : new Side(ReferenceBackends.referee(), pipeRead, pipeWrite);
        RefereeModel model = RefereeModel.of(refereeSide.kernel);
        if (model == null) {
            throw new IllegalStateException("the referee is the model, not " + refereeSide.name);
        }
        Set<Feature> newerLayouts = SideProbes.newerLayouts(refereeSide); // before the referee hears rules
        model.listen().accept(referee);
        if (refereeSide == reference) {
            model.choose().accept(choices.chooser());
        }
        this.forms = RunForms.of(referenceBackend, subjectBackend, reference, subject, model, hasTasks(),
                newerLayouts);
    }

    public String referenceName() {
        return reference.name;
    }

    public String subjectName() {
        return subject.name;
    }

    /**
     * Generated runs also write SQEs of these opcodes ({@link GeneratedOpcode}); the models on the sides must
     * have them in their profiles' opcode tables, or the referee refuses the step (OPCODE_NOT_MODELLED).
     */
    public LockstepRunner withOpcodes(List<GeneratedOpcode> extra) {
        this.opcodes = List.copyOf(extra);
        return this;
    }

    /**
     * Runs with real I/O: the generator also draws steps of the outside world and SQEs of the real-I/O opcodes
     * ({@link WorldSteps}), each side acting on a world of its own ({@link OutsideWorld}); after every step both
     * sides return to user space ({@link Side#returnToUser}) and the run waits up to {@value #SETTLE_MILLIS} ms for
     * the kernel's asynchronous completions (io-wq, timers, wakeups) to show what the emulator's did before it
     * compares; requests may go to io-wq. For an emulator judged by this kernel ({@code check --backend emulator
     * --referee kernel}): the emulator must be deterministic, so it can take the kernel's order at its choice points.
     */
    public LockstepRunner withWorld() {
        this.world = true;
        threads.renewEachRun();
        referee.allowIoWq();
        reference.boundWaits();
        subject.boundWaits();
        return this;
    }

    /** Whether runs do real I/O ({@link #withWorld}). */
    boolean world() {
        return world;
    }

    /** The opcodes beyond NOP the generator may write. */
    List<GeneratedOpcode> opcodes() {
        return opcodes;
    }

    /** Whether generated runs may write {@code opcode}: not one an emulator side compiled out (a NOP instead). */
    boolean writes(int opcode) {
        return !forms.compiledOut().contains(opcode);
    }

    /** Whether PROBE steps compare: not where a kernel marks supported what an emulator side compiled out. */
    boolean probes() {
        return forms.compiledOut().isEmpty() || !forms.kernelSide();
    }

    public String description(Role role) {
        return side(role).kernel.description();
    }

    private Side side(Role role) {
        return role == Role.REFERENCE ? reference : subject;
    }

    /**
     * What a run did: the steps executed, the first divergence that ended it (or null), how many steps were
     * refused, and the catalogued differences it carried over on the way.
     */
    public record Outcome(List<Step> steps, Divergence divergence, int refusedSteps, List<CarriedOver> carriedOver) {
        public Outcome {
            carriedOver = List.copyOf(carriedOver);
        }

        public boolean diverged() {
            return divergence != null;
        }
    }

    /** A catalogued difference the run went on past: the divergence as first seen, and the entry it matched. */
    public record CarriedOver(Divergence divergence, DivergenceCatalogue.Entry entry) {
    }

    /** Runs {@code steps} from a fresh start, stopping at the first divergence. */
    public Outcome run(List<Step> steps, Coverage cov) {
        return run(steps, cov, null);
    }

    /** Hears both sides' whole rings after each step of a run ({@code ringspec explain --replay}). */
    @FunctionalInterface
    public interface StepWatcher {
        void after(int index, Step step, RingObservation reference, RingObservation subject);
    }

    /** {@link #run(List, Coverage)}, telling {@code watcher} (if not null) both rings after each step. */
    public Outcome run(List<Step> steps, Coverage cov, StepWatcher watcher) {
        return onRunThread(() -> {
            begin(cov, null, null);
            try {
                return runSteps(steps, watcher);
            } finally {
                end();
            }
        });
    }

    /**
     * {@link #run(List, Coverage)} within {@code limit}, or empty where it ran out of time: the run is stopped at the
     * step it is in ({@link RunLimit}), its rings are closed and its threads free for the next run.
     */
    public Optional<Outcome> runWithin(List<Step> steps, Duration limit) {
        threads.beginRun();
        return Optional.ofNullable(runLimit.await(threads.submit(() -> {
            begin(null, null, null);
            try {
                Outcome o = runLimit.call(() -> runSteps(steps, null));
                return runLimit.stopped() ? null : o; // a step the stop broke off may differ: not an outcome
            } catch (Exception e) {
                if (runLimit.stopped()) {
                    return null; // what the stop broke off (an interrupted sleep or wait) ends the run
                }
                throw e;
            } finally {
                if (runLimit.stopped()) {
                    threads.onOther(() -> null); // the other thread's step has ended too
                }
                end();
            }
        }), limit));
    }

    /** Runs {@code steps} until one diverges, or until the run is stopped ({@link #runWithin}: null). */
    private Outcome runSteps(List<Step> steps, StepWatcher watcher) {
        for (int i = 0; i < steps.size(); i++) {
            if (runLimit.stopped()) {
                return null;
            }
            boolean agreed = step(i, steps.get(i));
            if (watcher != null) {
                watcher.after(i, steps.get(i), reference.observe(), subject.observe());
            }
            if (!agreed) {
                return outcome(List.copyOf(steps.subList(0, i + 1)));
            }
        }
        return outcome(steps);
    }

    /**
     * Runs {@code steps} and returns one line per step as the {@code role} side saw it, then its pending SQEs and
     * its CQE slots, in the {@link TraceFormat} the C reproducer prints.
     */
    public List<String> trace(List<Step> steps, Role role) {
        return onRunThread(() -> {
            List<String> lines = new ArrayList<>();
            begin(null, lines, role);
            try {
                for (int i = 0; i < steps.size(); i++) {
                    if (!step(i, steps.get(i))) {
                        break;
                    }
                }
                lines.add(TraceFormat.sqesLine(side(role)));
                lines.add(TraceFormat.cqesLine(side(role)));
                return lines;
            } finally {
                end();
            }
        });
    }

    /** Runs {@code steps} generated steps from {@code seed}, each chosen from the reference's state. */
    public Outcome generate(long seed, int steps, Coverage cov) {
        return generate(new Generator(seed), steps, cov);
    }

    /** Runs a generator-driven sequence: {@code generator} picks each step from the reference's state. */
    Outcome generate(Generator generator, int count, Coverage cov) {
        return generate(generator, count, cov, null);
    }

    /**
     * {@link #generate(Generator, int, Coverage)}, telling {@code watcher} (if not null) both rings after each step.
     */
    Outcome generate(Generator generator, int count, Coverage cov, StepWatcher watcher) {
        return onRunThread(() -> {
            begin(cov, null, null);
            List<Step> steps = new ArrayList<>(count);
            try {
                generator.reset();
                while (steps.size() < count) {
                    Step step = generator.next(this);
                    steps.add(step);
                    boolean agreed = step(steps.size() - 1, step);
                    if (watcher != null) {
                        watcher.after(steps.size() - 1, step, reference.observe(), subject.observe());
                    }
                    if (!agreed) {
                        return outcome(steps);
                    }
                }
                return outcome(steps);
            } finally {
                end();
            }
        });
    }

    private Outcome outcome(List<Step> steps) {
        return new Outcome(steps, divergence, refused, carriedOver);
    }

    /** Runs a new run, {@code work}, on the run thread ({@link RunThreads#beginRun}). */
    private <T> T onRunThread(Callable<T> work) {
        threads.beginRun();
        return threads.onRun(work);
    }

    /** How long the threads of the runs before each run took to end ({@link RunThreads}), for reports. */
    public String threadTeardown() {
        return threads.teardown();
    }

    private int onOtherThread(Callable<Integer> work) {
        return threads.onOther(() -> runLimit.call(work));
    }

    private void begin(Coverage cov, List<String> traceLines, Role role) {
        this.coverage = cov;
        this.trace = traceLines;
        this.traceRole = role;
        this.divergence = null;
        runLimit.begin();
        this.carriedOver = new ArrayList<>();
        this.refused = 0;
        this.after = Counters.none(0);
        referee.reset(cov);
        if (cov != null) {
            cov.beginRun();
        }
        choices.reset();
        invariants.begin();
        if (world && refereeSide == reference) {
            freshReference();
        }
        reference.resetWorld();
        subject.resetWorld();
        refereeSide.resetWorld();
    }

    /**
     * A run with real I/O starts on a new reference where it is its own referee (an emulator), as one rebuilt for a
     * choice does ({@link ChoiceRebuild}): its clock, timers, earlier rings' exit work and tasks start as if alone.
     */
    private void freshReference() {
        reference.close();
        reference = new Side(referenceBackend, pipeRead, pipeWrite);
        refereeSide = reference;
        RefereeModel model = RefereeModel.of(reference.kernel);
        model.listen().accept(referee);
        model.choose().accept(choices.chooser());
    }

    /** The stated invariants, checked after every step of the last run on both sides. */
    public InvariantWatch invariants() {
        return invariants;
    }

    private void end() {
        reference.closeRing();
        subject.closeRing();
        refereeSide.closeRing();
        reference.endTask();
        subject.endTask();
        refereeSide.endTask();
        coverage = null;
        trace = null;
    }

    // ---- the reference's state, for the generator ----

    /** The reference's ring as the last step left it (counters and flags; no CQEs). */
    Counters observation() {
        return after;
    }

    boolean hasRing() {
        return reference.hasRing();
    }

    /** Whether the reference's pending SQEs hold a timeout of the world's 5 ms ({@link Side#pendingShortTimeout}). */
    boolean pendingShortTimeout() {
        return reference.pendingShortTimeout();
    }

    /** Whether the reference deferred an eventfd signal since the world's clock last moved ({@link Referee}). */
    boolean eventfdSignalDeferred() {
        return referee.eventfdDeferred();
    }

    int ringFlags() {
        return reference.ringFlags;
    }

    int sqEntries() {
        return reference.sqEntries;
    }

    int cqEntries() {
        return reference.cqEntries;
    }

    /** Whether every side can give the run thread another task, so a run may change its own (fork, restrict). */
    boolean hasTasks() {
        return reference.hasTasks && subject.hasTasks && refereeSide.hasTasks;
    }

    /**
     * Whether the generator may restrict the run's task: every side can switch tasks, at most one side is a kernel,
     * and both backends have per-task restrictions, as their capability probes found (never from a version string).
     */
    boolean taskRestrictions() {
        return forms.taskRestrictions();
    }

    /**
     * Whether generated runs register a ring's own restrictions: where the referee's profile keeps the SQE and
     * register halves of a restriction set apart (7.0+). That profile is the one capability discovery chose for the
     * checked kernel, as for {@link #newerLayouts()}; elsewhere nothing is drawn for it, so runs on older kernels are
     * as they were.
     */
    boolean splitRestrictions() {
        return forms.splitRestrictions();
    }

    /**
     * Whether every kernel side answers an absent path's lookup inline (see
     * {@link SideProbes#answersAbsentLookupsInline}); where one does not, the generator writes only OPENATs that fail
     * before the lookup.
     */
    boolean absentLookupsInline() {
        return forms.absentLookupsInline();
    }

    /**
     * Whether both backends have BPF filters, as their capability probes found: the generator then registers them
     * often (on the run's task too where {@link #taskRestrictions()}), else now and then to see both refuse.
     */
    boolean bpfFilters() {
        return forms.bpfFilters();
    }

    /** {@link Feature#SQE_MIXED} and {@link Feature#SQ_REWIND}, where the backends have them. */
    Set<Feature> newerLayouts() {
        return forms.newerLayouts();
    }

    // ---- one step ----

    /**
     * Executes one step: first on the referee, then on both sides, and compares; false if the run ends here, because
     * the sides diverged or the referee refused the step.
     */
    private boolean step(int index, Step step) {
        String limit = Referee.limit(step, reference.hasRing() && subject.hasRing(), hasTasks());
        if (limit != null) {
            refuse(index, limit); // nobody ran it: the run goes on
            return true;
        }
        Counters before = reference.observeCounters();
        referee.beforeStep(step);
        choices.beforeStep(index);
        try {
            execute(refereeSide, step);
        } catch (RuntimeException e) {
            if (referee.refusal() == null) {
                if (outsideModel(e) instanceof UnsupportedOperationException u) {
                    // a form outside the model's world (WORLD.md): the generator writes none, a shrunk variant may
                    refuse(index, "outside the model's world: " + u.getMessage().replaceAll("-?[0-9]+", "N"));
                    return false;
                }
                throw e;
            }
        }
        if (referee.refusal() != null) {
            refuse(index, referee.refusal().name() + ": " + referee.refusal().sentence());
            return false; // the referee ran it: its state is past the step the sides never took
        }
        if (refereeSide != reference) {
            try {
                execute(reference, step);
            } catch (RuntimeException e) {
                if (outsideModel(e) instanceof UnsupportedOperationException u) {
                    // a mutated reference model can reach a form the unmutated referee never issues (a filter it
                    // allows that the referee denies): the run ends there, as for the referee
                    refuse(index, "outside the reference model's world: "
                            + u.getMessage().replaceAll("-?[0-9]+", "N"));
                    return false;
                }
                throw e;
            }
        }
        execute(subject, step);
        if (world) {
            settle(); // not watched: completions come between the steps, which the invariants' steps do not know
        } else {
            invariants.afterStep(index, step.effective(), reference.ring, reference.result, reference.submitHead,
                    subject.ring, subject.result, subject.submitHead, referee::notes);
        }
        after = reference.observeCounters();
        if (trace != null) {
            trace.add(TraceFormat.stepLine(index, step, side(traceRole)));
        }
        boolean agreed = compare(index, step, before);
        if (agreed) {
            choices.ran(index, step, reference.holdsCompletions(after));
        }
        if (coverage != null) {
            coverage.tag(reference, step, before, after); // a step that ran counts, whether it agreed or not
        }
        if (agreed && refereeSide != reference
                && Comparison.compare(step, reference, after, refereeSide, refereeSide.observeCounters()) != null) {
            // The referee no longer knows what the reference's ring holds, so what it would refuse next is unknown:
            // the run ends after this step, which both sides took and agreed on.
            if (coverage != null) {
                coverage.refused("the run ended: the referee model lost track of the reference");
            }
            return false;
        }
        return agreed;
    }

    /** The model's refusal of a form outside its world, thrown on this thread or on the other one; else null. */
    private static Throwable outsideModel(RuntimeException e) {
        return e instanceof UnsupportedOperationException ? e
                : e.getCause() instanceof UnsupportedOperationException ? e.getCause() : null;
    }

    private void refuse(int index, String reason) {
        refused++;
        if (coverage != null) {
            coverage.refused(reason);
        }
        if (trace != null) {
            trace.add(TraceFormat.refusedLine(index));
        }
    }

    private void execute(Side side, Step step) {
        if (step instanceof Step.OnOtherThread) {
            onOtherThread(() -> side.execute(step));
        } else {
            side.execute(step);
        }
        if (world) {
            side.returnToUser();
        }
    }

    /**
     * Waits until the subject's ring words and world buffers (a completion on the overflow list shows in no ring
     * word) equal the reference's, returning to user space on both sides now and
     * then, for at most {@value #SETTLE_MILLIS} ms: a kernel's io-wq workers and timers post on their own time, the
     * emulator's when it is called. What differs after that is compared as usual.
     */
    private void settle() {
        long deadline = System.nanoTime() + SETTLE_MILLIS * 1_000_000L;
        while ((!reference.observeCounters().equals(subject.observeCounters())
                || Comparison.worldBytes(reference, subject) != null) && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            reference.returnToUser();
            subject.returnToUser();
        }
    }

    /**
     * Compares the sides after {@code step}, carrying a catalogued difference over where it may; sets divergence. The
     * catalogue is asked before the choice search ({@link #explainByChoice}): a difference an entry matches is
     * reported as that entry, never explained by a choice, since each entry's matcher names a kernel behaviour the
     * model established (a resize's copy, a CQE written through the stale cached range the model saw the kernel
     * take), and a choice that also fit would tell the reader that a known kernel bug was something the kernel may
     * do. Nor does such a difference pay for a search.
     */
    private boolean compare(int index, Step step, Counters before) {
        Comparison.Difference d = Comparison.compare(step, reference, after, subject, subject.observeCounters());
        if (d == null) {
            return true;
        }
        Divergence first = divergence(index, step, d, before);
        boolean catalogued = carryOver.catalogued(first) != null;
        if (catalogued && coverage != null && refereeSide == reference && carriedOver.isEmpty()) {
            coverage.catalogueFirst();
        }
        if (!catalogued && refereeSide == reference && carriedOver.isEmpty()) {
            // the search compares its trials with the subject as the step left it: a kernel's timers and io-wq
            // workers post meanwhile (world lockstep seed 3131: a TIMEOUT of 5 ms firing while the search ran)
            Side seen = subject.frozen();
            ChoiceRebuild.Rebuilt rebuilt = explainByChoice(index, step, seen);
            if (rebuilt != null && !rebuilt.catalogued()) {
                if (coverage != null) {
                    coverage.choice(Choices.Taken.describe(rebuilt.taken()));
                }
                return true;
            }
            if (rebuilt != null) { // a difference the catalogue knows under the outcomes the reference now took
                d = Comparison.compare(step, reference, after, seen, seen.observeCounters());
                before = rebuilt.before();
            }
            first = divergence(index, step, d, before); // observed after the search, as it always was
        }
        DivergenceCatalogue.Entry entry = carryOver.apply(first, reference, subject);
        if (entry == null) {
            divergence = first;
            return false;
        }
        after = reference.observeCounters();
        invariants.resyncReference(reference.ring, reference.result, reference.submitHead);
        Comparison.Difference again = Comparison.compare(step, reference, after, subject, subject.observeCounters());
        if (again != null) {
            divergence = divergence(index, step, again, before);
            return false;
        }
        carriedOver.add(new CarriedOver(first, entry));
        return true;
    }

    /**
     * Step {@code index} diverged: the reference rebuilt with another allowed outcome at a choice point of this step
     * or a few before ({@link ChoiceRebuild}) that agrees with {@code seen}, the subject as the step left it
     * ({@link Side#frozen}), replaces it, as does one whose difference only the catalogue knows
     * ({@link ChoiceRebuild.Rebuilt#catalogued}); that rebuilt reference, or null. A run that carried a difference
     * over is not rebuilt: its reference holds words copied from the subject that a replay would not.
     */
    private ChoiceRebuild.Rebuilt explainByChoice(int index, Step step, Side seen) {
        ChoiceRebuild.Rebuilt rebuilt = choices.explain(index, step, reference, seen, coverage);
        if (rebuilt == null) {
            return null;
        }
        reference.close();
        reference = rebuilt.side();
        refereeSide = reference;
        after = reference.observeCounters();
        invariants.resyncReference(reference.ring, reference.result, reference.submitHead);
        return rebuilt;
    }

    private Divergence divergence(int index, Step step, Comparison.Difference d, Counters before) {
        return new Divergence(index, step, d.field(), d.referenceValue(), d.subjectValue(), reference.observe(),
                subject.observe(), before.sqFlags(), referee.notes());
    }

    @Override
    public void close() {
        threads.onRun(() -> {
            end();
            return null;
        });
        threads.shutdown();
        reference.close();
        subject.close();
        if (refereeSide != reference) {
            refereeSide.close();
        }
        Posix.close(pipeRead);
        Posix.close(pipeWrite);
    }
}

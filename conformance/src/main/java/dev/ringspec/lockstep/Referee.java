package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_ABS_TIMER;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG_REG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_NO_IOWAIT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_SQ_WAIT;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_SQ_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_HYBRID_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_AFF;

import dev.ringspec.emulator.ops.EventFd;
import dev.ringspec.emulator.ops.Splice;
import dev.ringspec.model.Rule;
import dev.ringspec.model.RuleListener;
import dev.ringspec.model.Rules;
import java.util.Set;

/**
 * Decides which steps a run may take, from the reference model's own rules: the step runs on the referee (the
 * reference itself when it is the model, else a model run beside it) before anyone else, and if one of
 * {@link #REFUSING} fires in it (a request handed to io-wq, an accepted drain on a kernel that ends drains when its
 * request cache says so, rather than by sequence as 6.1 and 6.12 do, a link chain left dangling, a wait
 * that would block for ever, an opcode the model cannot run, ...) its outcome on a kernel is not fixed: the run ends
 * at that step, which runs on nobody else, and the step counts as refused. The referee also hears every other rule,
 * for coverage ({@link Coverage#rule}) and for the 6.18 stale CQE cache the catalogue keys on ({@link #staleCqeCache}).
 *
 * <p>Two limits are the engine's own, decided before a step runs: setups of rings whose behaviour depends on a
 * polling thread or on memory the backends place differently, and enters whose flags name a ring or wait region
 * by a registration that differs between backends.
 */
final class Referee implements RuleListener {
    /** The rules that make a step's outcome on a kernel depend on timing: a step in which one fires is refused. */
    static final Set<Rule> REFUSING = Set.of(Rules.IO_QUEUE_IOWQ, Rules.DRAIN_WAITS_FOR_FREED_REQUESTS,
            Rules.SUBMIT_STATE_END_DANGLING_LINK, Rules.CQRING_WAIT_WOULD_BLOCK, Rules.OPCODE_NOT_MODELLED,
            Rules.NOP_FILE_FIXED_FLAG_MISMATCH);
    /** Setup flags the engine refuses: polling threads, iopoll and user-placed rings are not NOP-deterministic. */
    static final int UNSAFE_SETUP = IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF
            | IORING_SETUP_ATTACH_WQ | IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY
            | IORING_SETUP_HYBRID_IOPOLL;
    /**
     * Enter flags that change nothing an enter of NOPs does, without an argument, on the rings the engine uses:
     * SQ_WAKEUP and SQ_WAIT matter only with SQPOLL, EXT_ARG and ABS_TIMER only with GETEVENTS (where a missing
     * argument is -EINVAL), NO_IOWAIT only in how a wait is accounted.
     */
    static final int HARMLESS_ENTER_FLAGS = IORING_ENTER_SQ_WAKEUP | IORING_ENTER_SQ_WAIT | IORING_ENTER_EXT_ARG
            | IORING_ENTER_ABS_TIMER | IORING_ENTER_NO_IOWAIT;
    /**
     * Enter flags the engine refuses: REGISTERED_RING reads the ring descriptor as an index into a table the
     * backends fill differently, and EXT_ARG_REG needs a registered wait region.
     */
    static final int REGISTRATION_ENTER_FLAGS = IORING_ENTER_REGISTERED_RING | IORING_ENTER_EXT_ARG_REG;
    private static final int KNOWN_ENTER_FLAGS = IORING_ENTER_GETEVENTS | HARMLESS_ENTER_FLAGS
            | REGISTRATION_ENTER_FLAGS;

    private Rule refusing;
    /** Whether io-wq is allowed: in runs with real I/O, whose comparison waits for io-wq ({@link #allowIoWq}). */
    private boolean ioWq;
    private boolean staleCqeCache;
    private boolean drainStalled;
    /** Whether the reference deferred an eventfd signal that 6.12 to 7.0 drop ({@link EventFd#SIGNAL_BIT_KEPT}). */
    private boolean eventfdSignalLost;
    /** Whether the reference deferred an eventfd signal since the world's clock last moved. */
    private boolean eventfdDeferred;
    /** Whether the reference ended an interrupted SPLICE -EINTR where the kernel puts -512 ({@link Splice}). */
    private boolean spliceRestartInCqe;
    private Coverage coverage;

    /** Why the engine will not run {@code step} at all, or null: the engine's own limits, before any side runs it. */
    static String limit(Step step, boolean hasRing, boolean hasTasks) {
        Step effective = step.effective();
        if (effective instanceof Step.TaskStep) {
            return hasTasks ? null : "a backend cannot give the run another task";
        }
        if (effective instanceof Step.Outside) {
            return null; // the world's own syscalls need no ring
        }
        if (effective instanceof Step.Setup setup) {
            return (setup.flags() & UNSAFE_SETUP) != 0 ? "setup flags outside the deterministic set" : null;
        }
        if (!hasRing) {
            return "no ring";
        }
        // io_uring_enter: unknown flags -> -EINVAL before anything else, on every backend alike
        if (effective instanceof Step.Enter e && (e.flags() & ~KNOWN_ENTER_FLAGS) == 0
                && (e.flags() & REGISTRATION_ENTER_FLAGS) != 0) {
            return "enter flags REGISTERED_RING or EXT_ARG_REG";
        }
        return null;
    }

    /**
     * Lets requests go to io-wq: a run with real I/O waits after each step until the kernel's io-wq has posted
     * what the emulator's did ({@link LockstepRunner#withWorld}), and their order is a choice point.
     */
    void allowIoWq() {
        ioWq = true;
    }

    /** A new run, whose rules {@code cov} counts (or nobody, if null). */
    void reset(Coverage cov) {
        refusing = null;
        staleCqeCache = false;
        drainStalled = false;
        eventfdSignalLost = false;
        eventfdDeferred = false;
        spliceRestartInCqe = false;
        coverage = cov;
    }

    /** What the referee has heard of the kernel's known bugs on this ring, saved while a rebuilt reference replays. */
    record Heard(boolean staleCqeCache, boolean drainStalled, boolean eventfdSignalLost, boolean eventfdDeferred,
            boolean spliceRestartInCqe) {
    }

    Heard heard() {
        return new Heard(staleCqeCache, drainStalled, eventfdSignalLost, eventfdDeferred, spliceRestartInCqe);
    }

    /** Back to a state saved before a rebuilt reference replayed the run. */
    void restore(Heard h, Coverage cov) {
        refusing = null;
        staleCqeCache = h.staleCqeCache();
        drainStalled = h.drainStalled();
        eventfdSignalLost = h.eventfdSignalLost();
        eventfdDeferred = h.eventfdDeferred();
        spliceRestartInCqe = h.spliceRestartInCqe();
        coverage = cov;
    }

    /** Before the referee runs a step. */
    void beforeStep(Step step) {
        refusing = null;
        if (step.effective() instanceof Step.Setup) {
            staleCqeCache = false; // a new ring
            drainStalled = false;
            eventfdSignalLost = false;
            spliceRestartInCqe = false;
        }
        if (step.effective() instanceof Step.Outside o && o.action() == Step.Outside.ADVANCE_CLOCK) {
            eventfdDeferred = false;
        }
    }

    /** The refusing rule that fired in the step the referee just ran, or null. */
    Rule refusal() {
        return refusing;
    }

    /** Whether the model saw Linux 6.18 take a CQE slot from its stale cached range on this ring. */
    boolean staleCqeCache() {
        return staleCqeCache;
    }

    /** Whether the model saw a 6.1 or 6.12 drain the kernel stalls ({@link Rules#DRAIN_SEQUENCE_PASSED}). */
    boolean drainStalled() {
        return drainStalled;
    }

    /** Whether the reference deferred an eventfd signal that 6.12 to 7.0 drop, on this ring. */
    boolean eventfdSignalLost() {
        return eventfdSignalLost;
    }

    /** What the model knows about the kernel at this point (see {@link Divergence#referenceNotes()}). */
    Set<String> notes() {
        Set<String> notes = new java.util.HashSet<>();
        if (staleCqeCache()) {
            notes.add(LockstepRunner.KERNEL_USES_STALE_CQE_CACHE);
        }
        if (drainStalled()) {
            notes.add(LockstepRunner.DRAIN_STALLED_BY_SEQUENCE);
        }
        if (eventfdSignalLost()) {
            notes.add(LockstepRunner.EVENTFD_SIGNAL_LOST);
        }
        if (spliceRestartInCqe()) {
            notes.add(LockstepRunner.SPLICE_RESTART_IN_CQE);
        }
        return Set.copyOf(notes);
    }

    /** Whether the reference ended an interrupted SPLICE or TEE -EINTR where the kernel puts -512, on this ring. */
    boolean spliceRestartInCqe() {
        return spliceRestartInCqe;
    }

    /**
     * Whether the reference deferred an eventfd signal since the world's clock last moved: it lands once the clock
     * has moved 20 ms, the kernel's after an RCU grace period, so the generator lets the clock move next.
     */
    boolean eventfdDeferred() {
        return eventfdDeferred;
    }

    @Override
    public void fired(Rule rule, int ringFd, long detail) {
        if (coverage != null) {
            coverage.rule(rule);
        }
        if (refusing == null && REFUSING.contains(rule) && !(ioWq && rule == Rules.IO_QUEUE_IOWQ)) {
            refusing = rule;
        }
        if (rule == Rules.STALE_CQE_CACHE_6_18) {
            staleCqeCache = true;
        }
        if (rule == Rules.DRAIN_SEQUENCE_PASSED) {
            drainStalled = true;
        }
        if (rule == EventFd.SIGNAL_DEFERRED) {
            eventfdDeferred = true;
        }
        if (rule == EventFd.SIGNAL_BIT_KEPT) {
            eventfdSignalLost = true;
        }
        if (rule == Splice.RESTART_IN_CQE) {
            spliceRestartInCqe = true;
        }
    }
}

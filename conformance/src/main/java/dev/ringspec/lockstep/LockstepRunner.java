package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_ENABLE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES2;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES_UPDATE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_RSRC_REGISTER_SPARSE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_ATTACH_WQ;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_HYBRID_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_AFF;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_FILES;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.model.ModelIoUring;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.CqRingView;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.SqRingView;
import dev.ringspec.seam.U32;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringRsrcRegister;
import dev.ringspec.uapi.IoUringRsrcUpdate;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Runs steps on two backends in lockstep and compares everything an application can observe after each one:
 * the syscall's result, the SQ and CQ counters and flags, the bytes of every visible CQE, and what setup, resize
 * and register calls wrote back into their arguments.
 *
 * <p>Both backends run each step on the same dedicated platform thread (the run thread), because a
 * SINGLE_ISSUER or DEFER_TASKRUN ring belongs to the thread that created it; {@link Op.OnOtherThread} steps run
 * on a second dedicated platform thread. Each side has its own {@link UserMemory} and its own argument memory,
 * filled with the same contents; both sides share one pipe, so descriptor arguments are equal too.
 *
 * <p>Before a step the runner may <em>refuse</em> it, on both sides alike, when its outcome would not be
 * deterministic on the running kernel: an enter that would hand a NOP to io-wq (IOSQE_ASYNC, an accepted
 * IOSQE_IO_DRAIN, a link chain left dangling at the end of the batch) or wait for completions that can never come.
 */
public final class LockstepRunner implements AutoCloseable {
    /** The reference note for a ring on which Linux 6.18 has written a CQE through its stale cached range. */
    public static final String KERNEL_USES_STALE_CQE_CACHE = "kernelUsesStaleCqeCache";
    static final int SQ_HEAD = 0;
    static final int SQ_TAIL = 1;
    static final int SQ_DROPPED = 2;
    static final int SQ_FLAGS = 3;
    static final int CQ_HEAD = 4;
    static final int CQ_TAIL = 5;
    static final int CQ_OVERFLOW = 6;
    static final int CQ_FLAGS = 7;
    static final String[] WORD_NAMES = {"SqHead", "SqTail", "SqDropped", "SqFlags", "CqHead", "CqTail",
        "CqOverflow", "CqFlags"};
    /** Setup flags the runner refuses: polling threads, iopoll and user-placed rings are not NOP-deterministic. */
    static final int UNSAFE_SETUP = IORING_SETUP_IOPOLL | IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF
            | IORING_SETUP_ATTACH_WQ | IORING_SETUP_NO_MMAP | IORING_SETUP_REGISTERED_FD_ONLY
            | IORING_SETUP_HYBRID_IOPOLL;
    /**
     * Enter flags that change nothing an enter of NOPs does, without an argument, on the rings the runner uses:
     * SQ_WAKEUP and SQ_WAIT matter only with SQPOLL, EXT_ARG and ABS_TIMER only with GETEVENTS (where a missing
     * argument is -EINVAL), NO_IOWAIT only in how a wait is accounted. REGISTERED_RING would read the ring
     * descriptor as an index, which differs between the backends, and EXT_ARG_REG needs a registered wait region.
     */
    static final int HARMLESS_ENTER_FLAGS = 0x2 | 0x4 | 0x8 | 0x20 | 0x80;
    /** Enter flags the kernel knows on 7.1; any other bit is answered -EINVAL before anything happens. */
    private static final int KNOWN_ENTER_FLAGS = 0xff;
    /** Opcodes at or above this are unknown to every kernel we target: io_init_req answers -EINVAL. */
    static final int SURELY_INVALID_OPCODE = 100;
    static final int MAX_FILES = 16;
    static final int MAX_BUFFERS = 16;
    static final int BUFFER_BYTES = 4096;

    /** Which side a trace or a report follows. */
    public enum Side {
        REFERENCE, SUBJECT
    }

    private final ExecutorService runThread;
    private final ExecutorService otherThread;
    private final DivergenceCatalogue carryOverCatalogue;
    private final SideState reference;
    private final SideState subject;
    private final int pipeRead;
    private final int pipeWrite;

    private final int[] before = new int[8];
    private final int[] after = new int[8];
    private final int[] subjectWords = new int[8];
    private boolean drainDisabled;
    private int submitHeadBefore;
    private int refused;
    private Coverage coverage;
    private List<String> trace;
    private Side traceSide;
    private Divergence divergence;
    private List<CarriedOver> carriedOver;
    private final InvariantWatch invariants = new InvariantWatch();

    /** A runner that ends every run at its first difference. */
    public LockstepRunner(Backend referenceBackend, Backend subjectBackend) {
        this(referenceBackend, subjectBackend, DivergenceCatalogue.empty());
    }

    /**
     * A runner that goes on past the differences {@code catalogue} lets it carry over: where a step's difference
     * matches an entry with {@link DivergenceCatalogue.Entry#carryOver() carryOver} words, the runner copies those
     * words from the subject's ring into the reference's, compares the step again, and goes on if nothing else
     * differs. The run records each such difference ({@link Outcome#carriedOver()}).
     */
    public LockstepRunner(Backend referenceBackend, Backend subjectBackend, DivergenceCatalogue catalogue) {
        this.carryOverCatalogue = catalogue;
        this.runThread = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("lockstep-run").daemon().factory());
        this.otherThread = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("lockstep-other").daemon().factory());
        int[] pipe = Posix.pipe(Posix.O_CLOEXEC);
        if (pipe.length != 2) {
            throw new IllegalStateException("pipe2 failed: " + Errno.describe(pipe[0]));
        }
        this.pipeRead = pipe[0];
        this.pipeWrite = pipe[1];
        this.reference = new SideState(referenceBackend);
        this.subject = new SideState(subjectBackend);
    }

    public String referenceName() {
        return reference.name;
    }

    public String subjectName() {
        return subject.name;
    }

    public String description(Side side) {
        return (side == Side.REFERENCE ? reference : subject).kernel.description();
    }

    /**
     * What a run did: the steps executed, the first divergence that ended it (or null), how many steps were
     * refused, and the catalogued differences it carried over on the way.
     */
    public record Outcome(List<Op> ops, Divergence divergence, int refusedSteps, List<CarriedOver> carriedOver) {
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

    /** Runs {@code ops} from a fresh start, stopping at the first divergence. */
    public Outcome run(List<Op> ops, Coverage coverage) {
        return onRunThread(() -> {
            begin(coverage, null, null);
            try {
                for (int i = 0; i < ops.size(); i++) {
                    if (!step(i, ops.get(i))) {
                        return new Outcome(List.copyOf(ops.subList(0, i + 1)), divergence, refused, carriedOver);
                    }
                }
                return new Outcome(ops, null, refused, carriedOver);
            } finally {
                end();
            }
        });
    }

    /**
     * Runs {@code ops} and returns one line per step as the {@code side} backend saw it, in the format the C
     * reproducer prints.
     */
    public List<String> trace(List<Op> ops, Side side) {
        return onRunThread(() -> {
            List<String> lines = new ArrayList<>();
            begin(null, lines, side);
            try {
                for (int i = 0; i < ops.size(); i++) {
                    if (!step(i, ops.get(i))) {
                        break;
                    }
                }
                SideState traced = side == Side.REFERENCE ? reference : subject;
                lines.add(traced.ring == null ? "sqes: no ring"
                        : "sqes:" + pendingSqeList(traced).stream().map(e -> " " + e).collect(Collectors.joining()));
                lines.add(cqeSlotsLine(traced));
                return lines;
            } finally {
                end();
            }
        });
    }

    /** Runs {@code steps} generated steps from {@code seed}, each chosen from the reference's state. */
    public Outcome generate(long seed, int steps, Coverage coverage) {
        return generate(new Generator(seed), steps, coverage);
    }

    /** Runs a generator-driven sequence: {@code generator} picks each step from the reference's state. */
    Outcome generate(Generator generator, int steps, Coverage coverage) {
        return onRunThread(() -> {
            begin(coverage, null, null);
            List<Op> ops = new ArrayList<>(steps);
            try {
                generator.reset();
                while (ops.size() < steps) {
                    Op op = generator.next(this);
                    ops.add(op);
                    if (!step(ops.size() - 1, op)) {
                        return new Outcome(ops, divergence, refused, carriedOver);
                    }
                }
                return new Outcome(ops, null, refused, carriedOver);
            } finally {
                end();
            }
        });
    }

    private <T> T onRunThread(Callable<T> work) {
        Future<T> f = runThread.submit(work);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the run thread", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("lockstep run failed: " + e.getCause(), e.getCause());
        }
    }

    private void begin(Coverage cov, List<String> traceLines, Side side) {
        this.coverage = cov;
        this.trace = traceLines;
        this.traceSide = side;
        this.divergence = null;
        this.carriedOver = new ArrayList<>();
        this.refused = 0;
        this.drainDisabled = false;
        invariants.begin();
    }

    /** The stated invariants, checked after every step of the last run on both sides. */
    public InvariantWatch invariants() {
        return invariants;
    }

    private void end() {
        reference.closeRing();
        subject.closeRing();
        coverage = null;
        trace = null;
    }

    // ---- the reference's state, for the generator ----

    boolean hasRing() {
        return reference.ring != null;
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

    /** The reference's counters after the last step (SQ head/tail/dropped/flags, CQ head/tail/overflow/flags). */
    int word(int index) {
        return after[index];
    }

    int sqArray(int position) {
        SideState s = reference;
        return s.sq.hasArray() ? s.sq.readOnceArray(position & s.sqMask) : position & s.sqMask;
    }

    int sqeByte(int sqeIndex, long fieldOffset) {
        SideState s = reference;
        return Byte.toUnsignedInt(s.sq.sqes().get(JAVA_BYTE, s.sq.sqeOffset(sqeIndex & s.sqMask) + fieldOffset));
    }

    boolean drainDisabled() {
        return drainDisabled;
    }

    CqRingView referenceCq() {
        return reference.cq;
    }

    SqRingView referenceSq() {
        return reference.sq;
    }

    // ---- one step ----

    /** Executes one step on both sides and compares; false if they diverged. */
    private boolean step(int index, Op op) {
        String refusal = refusal(op);
        if (refusal != null) {
            refused++;
            if (coverage != null) {
                coverage.refused(refusal);
            }
            if (trace != null) {
                trace.add("step " + index + ": refused");
            }
            return true;
        }
        reference.readWords(before);
        int referenceDropped = reference.droppedNow();
        submitHeadBefore = reference.submitHead;
        int subjectDropped = subject.droppedNow();
        if (op instanceof Op.OnOtherThread(Op inner)) {
            reference.result = onOtherThread(() -> execute(reference, inner));
            subject.result = onOtherThread(() -> execute(subject, inner));
        } else {
            reference.result = execute(reference, op);
            subject.result = execute(subject, op);
        }
        reference.readWords(after);
        Op stepped = op instanceof Op.OnOtherThread(Op inner) ? inner : op;
        reference.noteSubmitHead(stepped, referenceDropped);
        subject.noteSubmitHead(stepped, subjectDropped);
        invariants.afterStep(index, stepped, reference.ring, reference.result, reference.submitHead, subject.ring,
                subject.result, subject.submitHead, this::referenceNotes);
        if (trace != null) {
            SideState traced = traceSide == Side.REFERENCE ? reference : subject;
            String line = traceLine(index, traced);
            if ((op instanceof Op.OnOtherThread(Op inner) ? inner : op) instanceof Op.Probe p) {
                line += probeTrace(traced.probeArg(p));
            }
            trace.add(line);
        }
        if (!compare(index, op) && !carryOver(index, op)) {
            if (coverage != null) {
                coverage.tag(this, op, before, after, reference.result); // the step ran: what it reached counts
            }
            return false;
        }
        Op effective = op instanceof Op.OnOtherThread(Op inner) ? inner : op;
        if (effective instanceof Op.Setup) {
            drainDisabled = false; // a new ring: io_ring_ctx starts with drain_disabled clear
        }
        if (effective instanceof Op.Enter && reference.ring != null) {
            noteDrainDisabled();
        }
        if (coverage != null) {
            coverage.tag(this, op, before, after, reference.result);
        }
        return true;
    }

    private int onOtherThread(Callable<Integer> work) {
        Future<Integer> f = otherThread.submit(work);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the other thread", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("step on the other thread failed: " + e.getCause(), e.getCause());
        }
    }

    static String traceLine(int index, int result, boolean exists, int[] w) {
        if (!exists) {
            return "step " + index + ": res " + result + " no ring";
        }
        return "step " + index + ": res " + result + " sq " + U32.value(w[SQ_HEAD]) + " " + U32.value(w[SQ_TAIL])
                + " " + U32.value(w[SQ_DROPPED]) + " " + U32.value(w[SQ_FLAGS]) + " cq " + U32.value(w[CQ_HEAD])
                + " " + U32.value(w[CQ_TAIL]) + " " + U32.value(w[CQ_OVERFLOW]) + " " + U32.value(w[CQ_FLAGS]);
    }

    /** The trace's last line: the slots between the CQ head and tail (at most one ring's worth), byte for byte. */
    static String cqeSlotsLine(SideState s) {
        if (s.ring == null) {
            return "cqes: no ring";
        }
        int head = s.cq.readOnceHead();
        long n = Math.min(U32.distance(s.cq.loadAcquireTail(), head), s.cqEntries);
        StringBuilder b = new StringBuilder("cqes:");
        for (int i = 0; i < n; i++) {
            int slot = (head + i) & s.cqMask;
            b.append(" {ud 0x").append(Long.toHexString(s.cq.userData(slot))).append(" res ").append(s.cq.res(slot))
                    .append(" flags 0x").append(Integer.toHexString(s.cq.flags(slot)));
            if (s.cqeBytes == 32) {
                b.append(" big 0x").append(Long.toHexString(s.cq.bigCqe(slot, 0))).append(" 0x")
                        .append(Long.toHexString(s.cq.bigCqe(slot, 1)));
            }
            b.append('}');
        }
        return b.toString();
    }

    /** What a PROBE step adds to its trace line: the {@code last_op} and {@code ops_len} written back. */
    static String probeTrace(MemorySegment probe) {
        return " probe " + Byte.toUnsignedInt(probe.get(JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET)) + " "
                + Byte.toUnsignedInt(probe.get(JAVA_BYTE, IoUringProbe.OPS_LEN_OFFSET));
    }

    private String traceLine(int index, SideState s) {
        int[] w = new int[8];
        s.readWords(w);
        return traceLine(index, s.result, s.ring != null, w);
    }

    /** Why the step must not run, or null. Decided on the reference's state, which equals the subject's so far. */
    private String refusal(Op op) {
        Op effective = op instanceof Op.OnOtherThread(Op inner) ? inner : op;
        if (effective instanceof Op.Setup setup) {
            return (setup.flags() & UNSAFE_SETUP) != 0 ? "setup flags outside the deterministic set" : null;
        }
        if (reference.ring == null || subject.ring == null) {
            return "no ring";
        }
        if (effective instanceof Op.Enter enter) {
            return enterRefusal(reference, enter);
        }
        return null;
    }

    /** io_init_req fails this SQE for certain (so it never reaches io-wq and fails its chain). */
    static boolean surelyFailsInit(int opcode, int sqeFlags, int ioprio, int nopFlags) {
        return opcode >= SURELY_INVALID_OPCODE || (sqeFlags & 0x80) != 0
                || (opcode == IORING_OP_NOP && ((sqeFlags & IOSQE_BUFFER_SELECT) != 0 || ioprio != 0
                        || (nopFlags & ~0x3f) != 0));
    }

    /** io_init_req fails this SQE before it looks at IOSQE_IO_DRAIN: unknown opcode, unknown flag, BUFFER_SELECT. */
    static boolean failsBeforeDrain(int opcode, int sqeFlags) {
        return opcode >= SURELY_INVALID_OPCODE || (sqeFlags & 0x80) != 0
                || (opcode == IORING_OP_NOP && (sqeFlags & IOSQE_BUFFER_SELECT) != 0);
    }

    /** io_init_req sets drain_disabled for this SQE: it passed the opcode and flag checks and asked for skip. */
    static boolean disablesDrain(int opcode, int sqeFlags) {
        return opcode == IORING_OP_NOP && (sqeFlags & IOSQE_CQE_SKIP_SUCCESS) != 0 && (sqeFlags & 0x80) == 0
                && (sqeFlags & IOSQE_BUFFER_SELECT) == 0;
    }

    private String enterRefusal(SideState s, Op.Enter e) {
        if ((e.flags() & ~KNOWN_ENTER_FLAGS) != 0) {
            return null; // io_uring_enter: unknown flags -> -EINVAL before anything else
        }
        if ((e.flags() & ~(IORING_ENTER_GETEVENTS | HARMLESS_ENTER_FLAGS)) != 0) {
            return "enter flags REGISTERED_RING or EXT_ARG_REG";
        }
        int head = s.submitHead; // not the ring's sq.head, which a MoveSqHead step may have moved
        int tail = s.sq.readOnceTail();
        long n = Math.min(Math.min(U32.value(e.toSubmit()), U32.distance(tail, head)), s.sqEntries);
        boolean drainOff = drainDisabled;
        boolean prevLinked = false;
        boolean chainFailed = false;
        for (int i = 0; i < n; i++) {
            int position = head + i;
            int sqeIndex = s.sq.hasArray() ? s.sq.readOnceArray(position & s.sqMask) : position & s.sqMask;
            if (Integer.compareUnsigned(sqeIndex, s.sqEntries) >= 0) {
                // io_get_sqe: a dropped entry ends the batch; a chain before it would be left dangling.
                if (prevLinked && !chainFailed) {
                    return "a link chain would dangle before a dropped SQ entry (io-wq)";
                }
                prevLinked = false;
                break;
            }
            MemorySegment sqes = s.sq.sqes();
            long off = s.sq.sqeOffset(sqeIndex);
            int opcode = Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.OPCODE_OFFSET));
            int flags = Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET));
            int ioprio = sqes.get(JAVA_SHORT, off + IoUringSqe.IOPRIO_OFFSET);
            int nopFlags = sqes.get(JAVA_INT, off + IoUringSqe.NOP_FLAGS_OFFSET);
            boolean fails = surelyFailsInit(opcode, flags, ioprio, nopFlags);
            boolean linked = (flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0;
            // io_init_req: the drain checks come before ioprio, personality and prep; io_init_drain makes
            // drain_active sticky even if a later check fails the request.
            if (disablesDrain(opcode, flags)) {
                drainOff = true;
            }
            if ((flags & IOSQE_IO_DRAIN) != 0 && !drainOff && !failsBeforeDrain(opcode, flags)) {
                return "an accepted IOSQE_IO_DRAIN makes every later request async";
            }
            if (!fails) {
                if (opcode != IORING_OP_NOP) {
                    return "opcode " + opcode + " is not a NOP";
                }
                if ((flags & IOSQE_ASYNC) != 0) {
                    return "IOSQE_ASYNC goes to io-wq";
                }
                if ((flags & IOSQE_FIXED_FILE) != 0 && (nopFlags & IORING_NOP_FILE) != 0
                        && (nopFlags & IORING_NOP_FIXED_FILE) == 0) {
                    return "NOP_FILE with IOSQE_FIXED_FILE leaks a file reference before 7.2 (2564ca2e31bd)";
                }
            }
            if (fails && (linked || prevLinked)) {
                chainFailed = true;
            }
            if (!linked) {
                chainFailed = false;
            }
            prevLinked = linked;
        }
        if (prevLinked && !chainFailed) {
            return "a link chain would dangle at the end of the batch (io-wq)";
        }
        if ((e.flags() & IORING_ENTER_GETEVENTS) != 0 && e.minComplete() != 0
                && U32.value(e.toSubmit()) <= n
                && (long) (s.cq.loadAcquireTail() - s.cq.readOnceHead()) < U32.value(e.minComplete())) {
            // io_cqring_wait sleeps until cq.tail - (cq.head + min_complete) >= 0 as a signed distance: with the
            // head moved beyond the tail nothing wakes it.
            return "GETEVENTS could wait for completions that never come";
        }
        return null;
    }

    /** After an enter: any consumed SKIP_SUCCESS SQE that passed the flag checks disables drain for good. */
    private void noteDrainDisabled() {
        SideState s = reference;
        int from = submitHeadBefore; // the kernel's heads: the ring's may have been moved by the application
        int to = s.submitHead;
        long n = Math.min(U32.distance(to, from), s.sqEntries);
        for (int i = 0; i < n && !drainDisabled; i++) {
            int sqeIndex = s.sq.hasArray() ? s.sq.readOnceArray((from + i) & s.sqMask) : (from + i) & s.sqMask;
            if (Integer.compareUnsigned(sqeIndex, s.sqEntries) >= 0) {
                continue;
            }
            long off = s.sq.sqeOffset(sqeIndex);
            int opcode = Byte.toUnsignedInt(s.sq.sqes().get(JAVA_BYTE, off + IoUringSqe.OPCODE_OFFSET));
            int flags = Byte.toUnsignedInt(s.sq.sqes().get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET));
            if (disablesDrain(opcode, flags)) {
                drainDisabled = true;
            }
        }
    }

    // ---- executing a step on one side ----

    private int execute(SideState s, Op op) {
        return switch (op) {
            case Op.Setup setup -> s.setup(setup);
            case Op.WriteSqe w -> {
                long off = s.sq.sqeOffset(w.slot() & s.sqMask);
                MemorySegment sqes = s.sq.sqes();
                Sqe.clear(sqes, off, s.sq.sqeSizeBytes());
                Sqe.opcode(sqes, off, w.opcode());
                Sqe.flags(sqes, off, w.flags());
                Sqe.ioprio(sqes, off, w.ioprio());
                Sqe.fd(sqes, off, w.fd());
                Sqe.off(sqes, off, w.off());
                Sqe.addr(sqes, off, w.addr());
                Sqe.len(sqes, off, w.len());
                Sqe.opFlags(sqes, off, w.opFlags());
                Sqe.userData(sqes, off, w.userData());
                Sqe.bufIndex(sqes, off, w.bufIndex());
                Sqe.personality(sqes, off, w.personality());
                yield 0;
            }
            case Op.WriteArray a -> {
                if (s.sq.hasArray()) {
                    s.sq.writeOnceArray(a.position() & s.sqMask, a.value());
                }
                yield 0;
            }
            // Publishes the SQEs written before; pairs with the kernel's smp_load_acquire of sq.tail.
            case Op.PublishTail p -> {
                s.sq.storeReleaseTail(s.sq.readOnceTail() + p.delta());
                yield 0;
            }
            case Op.Enter e -> s.kernel.enter(s.ring, e.toSubmit(), e.minComplete(), e.flags(),
                    MemorySegment.NULL, 0);
            case Op.ConsumeCqes c -> {
                boolean mixed = (s.ringFlags & IORING_SETUP_CQE_MIXED) != 0 && !c.perSlot();
                int head = s.cq.readOnceHead();
                int tail = s.cq.loadAcquireTail();
                for (int i = 0; i < c.count() && head != tail; i++) {
                    head += mixed && (s.cq.flags(head & s.cqMask) & IORING_CQE_F_32) != 0 ? 2 : 1;
                }
                // Frees the slots; pairs with the kernel's READ_ONCE of cq.head before it reuses them.
                s.cq.storeReleaseHead(head);
                yield 0;
            }
            // Pairs with the kernel's READ_ONCE of cq.head, as a consume does, whatever the value.
            case Op.MoveCqHead m -> {
                s.cq.storeReleaseHead(s.cq.readOnceHead() + m.delta());
                yield 0;
            }
            // A plain store: the kernel never reads sq.head with ordering (only a resize reads it at all).
            case Op.MoveSqHead m -> {
                s.sq.writeOnceHead(s.sq.readOnceHead() + m.delta());
                yield 0;
            }
            case Op.RegisterFiles r -> s.registerFiles(r, pipeRead, pipeWrite);
            case Op.UpdateFiles u -> s.updateFiles(u, pipeRead, pipeWrite);
            case Op.UnregisterFiles u -> s.kernel.register(s.ring, IORING_UNREGISTER_FILES, MemorySegment.NULL, 0);
            case Op.RegisterBuffers b -> s.registerBuffers(b);
            case Op.UnregisterBuffers u ->
                s.kernel.register(s.ring, IORING_UNREGISTER_BUFFERS, MemorySegment.NULL, 0);
            case Op.EnableRings e -> s.kernel.register(s.ring, IORING_REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0);
            case Op.Resize r -> s.resize(r);
            case Op.Probe p -> s.probe(p);
            case Op.OnOtherThread o -> execute(s, o.op());
        };
    }

    // ---- comparing ----

    private boolean compare(int index, Op op) {
        if (reference.result != subject.result) {
            return diverge(index, op, "Result", Errno.describe(reference.result), Errno.describe(subject.result));
        }
        if ((reference.ring == null) != (subject.ring == null)) {
            return diverge(index, op, "RingExists", String.valueOf(reference.ring != null),
                    String.valueOf(subject.ring != null));
        }
        Op effective = op instanceof Op.OnOtherThread(Op inner) ? inner : op;
        if (effective instanceof Op.Setup && mismatch(reference.params, subject.params)) {
            return diverge(index, op, "ParamsWriteBack", hex(reference.params), hex(subject.params));
        }
        if (effective instanceof Op.Resize && mismatch(reference.resizeParams, subject.resizeParams)) {
            return diverge(index, op, "ResizeParamsWriteBack", hex(reference.resizeParams),
                    hex(subject.resizeParams));
        }
        if (effective instanceof Op.Probe p && mismatch(reference.probeArg(p), subject.probeArg(p))) {
            return diverge(index, op, "ProbeArgWriteBack", hex(reference.probeArg(p)), hex(subject.probeArg(p)));
        }
        if ((effective instanceof Op.RegisterFiles || effective instanceof Op.UpdateFiles)
                && (mismatch(reference.files, subject.files) || mismatch(reference.update.asSlice(0, IoUringRsrcUpdate.DATA_OFFSET),
                        subject.update.asSlice(0, IoUringRsrcUpdate.DATA_OFFSET))
                        || mismatch(reference.rsrcRegister.asSlice(0, IoUringRsrcRegister.DATA_OFFSET),
                                subject.rsrcRegister.asSlice(0, IoUringRsrcRegister.DATA_OFFSET)))) {
            return diverge(index, op, "RegisterArgWriteBack", hex(reference.files), hex(subject.files));
        }
        if (reference.ring == null) {
            return true;
        }
        subject.readWords(subjectWords);
        for (int w = 0; w < 8; w++) {
            if (after[w] != subjectWords[w]) {
                return diverge(index, op, WORD_NAMES[w], wordValue(w, after[w]), wordValue(w, subjectWords[w]));
            }
        }
        if (effective instanceof Op.Resize && reference.result == 0 && pendingSqesMismatch()) {
            // What a resize carried over: the SQEs between the SQ head and tail, at their new positions.
            return diverge(index, op, "PendingSqes", pendingSqes(reference), pendingSqes(subject));
        }
        if (reference.cqEntries != subject.cqEntries || reference.cqeBytes != subject.cqeBytes) {
            return diverge(index, op, "CqEntries", String.valueOf(reference.cqEntries),
                    String.valueOf(subject.cqEntries));
        }
        int head = after[CQ_HEAD];
        int visible = (int) Math.min(U32.distance(after[CQ_TAIL], head), reference.cqEntries);
        if (visible > 0) {
            int start = head & reference.cqMask;
            int first = Math.min(visible, reference.cqEntries - start);
            if (cqeMismatch(start, first) || cqeMismatch(0, visible - first)) {
                RingState r = reference.state();
                RingState s = subject.state();
                return diverge(index, op, "CQEs", r.cqes().toString(), s.cqes().toString(), r, s);
            }
        }
        return true;
    }

    /** The positions between the reference's SQ head and tail (at most one ring's worth), in order. */
    private int pendingSqPositions() {
        return (int) Math.min(U32.distance(after[SQ_TAIL], after[SQ_HEAD]), reference.sqEntries);
    }

    private boolean pendingSqesMismatch() {
        if (reference.sqEntries != subject.sqEntries || reference.sq.sqeSizeBytes() != subject.sq.sqeSizeBytes()) {
            return true;
        }
        int n = pendingSqPositions();
        long bytes = reference.sq.sqeSizeBytes();
        for (int i = 0; i < n; i++) {
            int slot = (after[SQ_HEAD] + i) & reference.sqMask;
            long off = reference.sq.sqeOffset(slot);
            if (MemorySegment.mismatch(reference.sq.sqes(), off, off + bytes, subject.sq.sqes(), off,
                    off + bytes) != -1) {
                return true;
            }
        }
        return false;
    }

    /** The pending SQEs as a divergence value: {@code [{pos P: opcode O, flags 0xF, ud U}, ...]}. */
    private static String pendingSqes(SideState s) {
        return "[" + String.join(", ", pendingSqeList(s)) + "]";
    }

    /**
     * The SQEs between the side's SQ head and tail (at most one ring's worth), by position: position, opcode, flags
     * and user_data of each, as the C reproducer prints them.
     */
    static List<String> pendingSqeList(SideState s) {
        List<String> out = new ArrayList<>();
        int head = s.sq.loadAcquireHead();
        long n = Math.min(U32.distance(s.sq.readOnceTail(), head), s.sqEntries);
        MemorySegment sqes = s.sq.sqes();
        for (int i = 0; i < n; i++) {
            int position = head + i;
            long off = s.sq.sqeOffset(position & s.sqMask);
            out.add("{pos " + U32.value(position) + ": opcode "
                    + Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.OPCODE_OFFSET)) + ", flags 0x"
                    + Integer.toHexString(Byte.toUnsignedInt(sqes.get(JAVA_BYTE, off + IoUringSqe.FLAGS_OFFSET)))
                    + ", ud " + Long.toUnsignedString(sqes.get(JAVA_LONG, off + IoUringSqe.USER_DATA_OFFSET)) + "}");
        }
        return out;
    }

    private boolean cqeMismatch(int fromIndex, int count) {
        if (count == 0) {
            return false;
        }
        long rOff = reference.cq.cqeOffset(fromIndex);
        long sOff = subject.cq.cqeOffset(fromIndex);
        long bytes = (long) count * reference.cqeBytes;
        return MemorySegment.mismatch(reference.cq.memory(), rOff, rOff + bytes, subject.cq.memory(), sOff,
                sOff + bytes) != -1;
    }

    private static boolean mismatch(MemorySegment a, MemorySegment b) {
        return a.mismatch(b) != -1;
    }

    private static String hex(MemorySegment m) {
        StringBuilder b = new StringBuilder();
        for (long i = 0; i < m.byteSize(); i += 4) {
            b.append(i == 0 ? "" : " ").append(Integer.toHexString(m.get(JAVA_INT, i)));
        }
        return b.toString();
    }

    private static String wordValue(int word, int value) {
        return word == SQ_FLAGS ? FlagNames.sqFlags(value) : String.valueOf(U32.value(value));
    }

    /**
     * After {@link #compare} found {@link #divergence}: if the catalogue lets the runner carry it over, copies the
     * entry's words from the subject's ring into the reference's and compares the step again.
     */
    private boolean carryOver(int index, Op op) {
        Divergence d = divergence;
        DivergenceCatalogue.Entry entry = carryOverCatalogue.match(d).orElse(null);
        if (entry == null || entry.carryOver().isEmpty() || reference.ring == null || subject.ring == null) {
            return false;
        }
        subject.readWords(subjectWords);
        for (String word : entry.carryOver()) {
            switch (word) {
                case "SqFlags" -> reference.sq.writeOnceFlags(subjectWords[SQ_FLAGS]);
                case "CqFlags" -> reference.cq.writeOnceFlags(subjectWords[CQ_FLAGS]);
                default -> throw new IllegalStateException("cannot carry over " + word);
            }
        }
        reference.readWords(after);
        invariants.resyncReference(reference.ring, reference.result, reference.submitHead);
        divergence = null;
        if (!compare(index, op)) {
            return false;
        }
        carriedOver.add(new CarriedOver(d, entry));
        return true;
    }

    private boolean diverge(int index, Op op, String field, String r, String s) {
        return diverge(index, op, field, r, s, reference.state(), subject.state());
    }

    private boolean diverge(int index, Op op, String field, String r, String s, RingState rs, RingState ss) {
        divergence = new Divergence(index, op, field, r, s, rs, ss, before[SQ_FLAGS], referenceNotes());
        return false;
    }

    /** What the reference model knows about the kernel at this point (see {@link Divergence#referenceNotes()}). */
    private Set<String> referenceNotes() {
        if (reference.kernel instanceof ModelIoUring model && reference.ring != null
                && model.kernelUsesStaleCqeCache(reference.ring)) {
            return Set.of(KERNEL_USES_STALE_CQE_CACHE);
        }
        return Set.of();
    }

    @Override
    public void close() {
        onRunThread(() -> {
            end();
            return null;
        });
        runThread.shutdown();
        otherThread.shutdown();
        reference.memory.close();
        subject.memory.close();
        Posix.close(pipeRead);
        Posix.close(pipeWrite);
    }

    /** One side's backend, its user memory and argument memory, and its current ring. */
    static final class SideState {
        final String name;
        final UserMemory memory;
        final IoUringKernel kernel;
        final MemorySegment params;
        final MemorySegment resizeParams;
        final MemorySegment files;
        final MemorySegment rsrcRegister;
        final MemorySegment update;
        final MemorySegment iovecs;
        final MemorySegment buffers;
        final MemorySegment probe;
        Ring ring;
        /** The kernel's SQ head as far as the application can tell (see {@link #noteSubmitHead}). */
        int submitHead;
        SqRingView sq;
        CqRingView cq;
        int sqMask;
        int sqEntries;
        int cqMask;
        int cqEntries;
        int cqeBytes;
        int ringFlags;
        int result;

        SideState(Backend backend) {
            this.name = backend.name();
            this.memory = new UserMemory();
            this.kernel = backend.open(memory);
            this.params = memory.allocate(IoUringParams.SIZE_BYTES, 8);
            this.resizeParams = memory.allocate(IoUringParams.SIZE_BYTES, 8);
            this.files = memory.allocate((long) MAX_FILES * Integer.BYTES, 8);
            this.rsrcRegister = memory.allocate(IoUringRsrcRegister.SIZE_BYTES, 8);
            this.update = memory.allocate(IoUringRsrcUpdate.SIZE_BYTES, 8);
            this.iovecs = memory.allocate((long) MAX_BUFFERS * 16, 8);
            this.buffers = memory.allocate((long) MAX_BUFFERS * BUFFER_BYTES, BUFFER_BYTES);
            this.probe = memory.allocate(new Op.Probe(Op.Probe.MAX_OPS).argBytes(), 8);
        }

        int setup(Op.Setup op) {
            closeRing();
            params.fill((byte) 0);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, op.flags());
            params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, op.cqEntries());
            SetupResult r = kernel.setup(op.entries(), params);
            if (r instanceof SetupResult.Created(Ring created)) {
                ring = created;
                refresh();
                return 0;
            }
            return r.result();
        }

        void refresh() {
            RingParams p = ring.params();
            sq = ring.sq();
            cq = ring.cq();
            sqEntries = p.sqEntries();
            sqMask = sqEntries - 1;
            cqEntries = p.cqEntries();
            cqMask = cqEntries - 1;
            cqeBytes = p.cqeSizeBytes();
            ringFlags = p.flags();
        }

        void closeRing() {
            if (ring != null) {
                kernel.close(ring);
                ring = null;
                sq = null;
                cq = null;
            }
        }

        int registerFiles(Op.RegisterFiles r, int pipeRead, int pipeWrite) {
            if (r.sparse()) {
                rsrcRegister.fill((byte) 0);
                rsrcRegister.set(JAVA_INT, IoUringRsrcRegister.NR_OFFSET, r.count());
                rsrcRegister.set(JAVA_INT, IoUringRsrcRegister.FLAGS_OFFSET, IORING_RSRC_REGISTER_SPARSE);
                return kernel.register(ring, IORING_REGISTER_FILES2, rsrcRegister, (int) rsrcRegister.byteSize());
            }
            fillFiles(r.count(), r.pattern(), pipeRead, pipeWrite);
            return kernel.register(ring, IORING_REGISTER_FILES, files.asSlice(0,
                    (long) Math.min(r.count(), MAX_FILES) * Integer.BYTES), r.count());
        }

        int updateFiles(Op.UpdateFiles u, int pipeRead, int pipeWrite) {
            fillFiles(u.count(), u.pattern(), pipeRead, pipeWrite);
            update.fill((byte) 0);
            update.set(JAVA_INT, IoUringRsrcUpdate.OFFSET_OFFSET, u.offset());
            update.set(JAVA_LONG, IoUringRsrcUpdate.DATA_OFFSET, files.address());
            return kernel.register(ring, IORING_REGISTER_FILES_UPDATE, update, u.count());
        }

        private void fillFiles(int count, int pattern, int pipeRead, int pipeWrite) {
            files.fill((byte) 0);
            for (int i = 0; i < Math.min(count, MAX_FILES); i++) {
                files.setAtIndex(JAVA_INT, i, Op.FileTable.fd(pattern, i, pipeRead, pipeWrite));
            }
        }

        int registerBuffers(Op.RegisterBuffers b) {
            int count = Math.min(b.count(), MAX_BUFFERS);
            for (int i = 0; i < count; i++) {
                iovecs.set(JAVA_LONG, i * 16L, buffers.address() + (long) i * BUFFER_BYTES);
                iovecs.set(JAVA_LONG, i * 16L + 8, Math.min(b.lengthBytes(), BUFFER_BYTES));
            }
            return kernel.register(ring, IORING_REGISTER_BUFFERS, iovecs.asSlice(0, Math.max(count, 1) * 16L),
                    b.count());
        }

        int resize(Op.Resize r) {
            resizeParams.fill((byte) 0);
            resizeParams.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, r.sqEntries());
            resizeParams.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, r.cqEntries());
            resizeParams.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, r.flags());
            int result = kernel.register(ring, IORING_REGISTER_RESIZE_RINGS, resizeParams, 1);
            if (result >= 0) {
                refresh();
            }
            return result;
        }

        /** The PROBE argument of {@code p}: the whole of it, header and op slots. */
        MemorySegment probeArg(Op.Probe p) {
            return probe.asSlice(0, p.argBytes());
        }

        int probe(Op.Probe p) {
            probe.fill((byte) 0);
            return kernel.register(ring, IORING_REGISTER_PROBE, probeArg(p), p.nrArgs());
        }

        int droppedNow() {
            return ring == null ? 0 : sq.readOnceDropped();
        }

        /**
         * Keeps {@link #submitHead}, the kernel's own SQ head ({@code cached_sq_head}), which the ring's sq.head shows
         * only until a {@link Op.MoveSqHead} step moves it: 0 on a new ring; after an enter that consumed entries
         * (it submitted some, or dropped some) the head it committed; unchanged by everything else, a resize
         * included (the kernel keeps its cached head and gives the new ring the old ring's sq.head).
         */
        void noteSubmitHead(Op stepped, int droppedBefore) {
            if (ring == null) {
                return;
            }
            if (stepped instanceof Op.Setup
                    || (stepped instanceof Op.Enter && (result > 0 || sq.readOnceDropped() != droppedBefore))) {
                submitHead = sq.loadAcquireHead();
            }
        }

        void readWords(int[] w) {
            if (ring == null) {
                Arrays.fill(w, 0);
                return;
            }
            w[SQ_HEAD] = sq.loadAcquireHead();
            w[SQ_TAIL] = sq.readOnceTail();
            w[SQ_DROPPED] = sq.readOnceDropped();
            w[SQ_FLAGS] = sq.readOnceFlags();
            w[CQ_HEAD] = cq.readOnceHead();
            w[CQ_TAIL] = cq.loadAcquireTail();
            w[CQ_OVERFLOW] = cq.readOnceOverflow();
            w[CQ_FLAGS] = cq.readOnceFlags();
        }

        RingState state() {
            if (ring == null) {
                return RingState.none(result);
            }
            int[] w = new int[8];
            readWords(w);
            List<Cqe> cqes = new ArrayList<>();
            int visible = (int) Math.min(U32.distance(w[CQ_TAIL], w[CQ_HEAD]), cqEntries);
            boolean mixed = (ringFlags & IORING_SETUP_CQE_MIXED) != 0;
            boolean big32 = (ringFlags & IORING_SETUP_CQE32) != 0;
            for (int i = 0; i < visible; i++) {
                int index = (w[CQ_HEAD] + i) & cqMask;
                int flags = cq.flags(index);
                boolean big = big32 || (mixed && (flags & IORING_CQE_F_32) != 0 && index < cqMask);
                cqes.add(new Cqe(cq.userData(index), cq.res(index), flags, big ? cq.bigCqe(index, 0) : 0,
                        big ? cq.bigCqe(index, 1) : 0));
                if (mixed && big) {
                    i++;
                }
            }
            return new RingState(true, result, w[SQ_HEAD], w[SQ_TAIL], w[SQ_DROPPED], w[SQ_FLAGS], w[CQ_HEAD],
                    w[CQ_TAIL], w[CQ_OVERFLOW], w[CQ_FLAGS], cqes);
        }
    }
}

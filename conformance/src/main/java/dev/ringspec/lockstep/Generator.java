package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_BUFFER;
import static dev.ringspec.uapi.IoUring.IORING_NOP_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SUBMIT_ALL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;

import dev.ringspec.seam.SqeFields;
import dev.ringspec.seam.U32;
import java.util.ArrayDeque;
import java.util.SplittableRandom;

/**
 * Picks the next step from a seed and from what the reference ring shows now (tail-head distances, the overflow
 * flag, the wrap position), with weights that steer runs into the corners: full CQs and overflow, 32-byte CQEs at
 * the wrap of CQE_MIXED rings, invalid SQ array entries, chains failing at each position, drain after skip,
 * second-thread calls, resizes. Steps come in small batches (write SQEs, publish, enter), each step on its own.
 */
final class Generator {
    /** The ring variants of the brief, ORed one or two at a time. */
    private static final int[] VARIANTS = {0, IORING_SETUP_SQE128, IORING_SETUP_CQE32, IORING_SETUP_NO_SQARRAY,
        IORING_SETUP_CQE_MIXED, IORING_SETUP_SUBMIT_ALL, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
        IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_R_DISABLED,
        IORING_SETUP_R_DISABLED | IORING_SETUP_SINGLE_ISSUER,
        // CQE_MIXED again, alone and with deferred task work: its wrap (skip filler, 32-byte CQE) is the rarest corner.
        IORING_SETUP_CQE_MIXED, IORING_SETUP_CQE_MIXED | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
    private static final int[] INJECTED = {0, 1, 1234, -5, -22, Integer.MIN_VALUE, Integer.MAX_VALUE};
    private static final int[] FILE_FDS = {-1, 0, 1, 2, 99_999};
    /** PROBE op counts: none, one, around IORING_OP_LAST, the runner's cap and one past the kernel's limit. */
    private static final int[] PROBE_NR_ARGS = {0, 1, 8, 62, 63, 64, 65, 256, 257};

    private final long seed;
    private SplittableRandom random;
    private final ArrayDeque<Step> queue = new ArrayDeque<>();
    private long nextUserData;
    private boolean enabled;
    /** Whether the ring's own restrictions were drawn already (they are allowed once, before it is enabled). */
    private boolean ringRestricted;
    /** The steps of SQE_MIXED and SQ_REWIND rings, where the backends have them. */
    private final NewerLayoutSteps newer = new NewerLayoutSteps(this);
    /** BPF filters and the requests of the opcodes they see. */
    private final FilterSteps filters = new FilterSteps(this);
    /** The outside world and real-I/O requests, in runs with real I/O. */
    private final WorldSteps world = new WorldSteps(this);

    Generator(long seed) {
        this.seed = seed;
    }

    void reset() {
        random = new SplittableRandom(seed);
        queue.clear();
        nextUserData = 1;
        enabled = false;
        ringRestricted = false;
    }

    Step next(LockstepRunner r) {
        newer.features(r.newerLayouts());
        if (queue.isEmpty()) {
            plan(r);
        }
        Step step = queue.poll();
        if (r.world() && WorldSteps.racesAShortTimeout(r, step, queue.peek())) {
            queue.addFirst(WorldSteps.advanceClock());
        }
        if (r.world() && r.eventfdSignalDeferred() && !WorldSteps.advancesTheClock(step)) {
            // a deferred eventfd signal lands on both sides before anything else happens
            queue.addFirst(step);
            return WorldSteps.advanceClock();
        }
        return step;
    }

    /** Queues {@code step} after the ones planned. */
    void add(Step step) {
        queue.add(step);
    }

    int pick(int bound) {
        return random.nextInt(bound);
    }

    boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    private void plan(LockstepRunner r) {
        if (!r.hasRing()) {
            queue.add(setup());
            return;
        }
        int flags = r.ringFlags();
        int sqEntries = r.sqEntries();
        int cqEntries = r.cqEntries();
        int visible = (int) Math.min(U32.distance(r.observation().cqTail(), r.observation().cqHead()), cqEntries);
        boolean overflow = (r.observation().sqFlags() & IORING_SQ_CQ_OVERFLOW) != 0;
        boolean mixed = (flags & IORING_SETUP_CQE_MIXED) != 0;
        if (!r.opcodes().isEmpty() && chance(12)) {
            otherOpcodes(r); // only a run told of other opcodes draws here: the others' seeds keep their steps
            return;
        }
        if (r.splitRestrictions() && (flags & IORING_SETUP_R_DISABLED) != 0 && !enabled && !ringRestricted
                && chance(50)) {
            ringRestricted = true;
            queue.add(ringRestrictions());
            return;
        }
        if ((flags & IORING_SETUP_R_DISABLED) != 0 && !enabled && chance(60)) {
            enabled = true;
            queue.add(chance(25) ? new Step.OnOtherThread(new Step.EnableRings()) : new Step.EnableRings());
            return;
        }
        if ((flags & IORING_SETUP_SQ_REWIND) != 0) {
            newer.rewound(r);
            return;
        }
        int[] weights = {
            30, // 0 submit a batch of NOPs
            10, // 1 a link chain, failing at some position or not
            visible < cqEntries || !overflow ? 10 : 2, // 2 fill the CQ to force the wrap and overflow
            visible > 0 ? 15 : 1, // 3 consume CQEs
            overflow ? 10 : 3, // 4 GETEVENTS: flush the overflow, run deferred task work
            mixed ? 12 : 0, // 5 a 32-byte CQE at the wrap of a CQE_MIXED ring
            (flags & IORING_SETUP_NO_SQARRAY) == 0 ? 5 : 0, // 6 an invalid SQ array entry
            2, // 7 a tail far ahead
            2, // 8 move the CQ head anywhere
            4, // 9 skip, then drain
            6, // 10 files and buffers
            4, // 11 the other thread
            (flags & IORING_SETUP_DEFER_TASKRUN) != 0 ? 4 : 0, // 12 resize
            3, // 13 an SQE with arbitrary fields
            1, // 14 a new ring
            1, // 15 PROBE
            (flags & IORING_SETUP_DEFER_TASKRUN) != 0 ? 2 : 0, // 16 more task work than one local run takes
            r.taskRestrictions() ? 3 : 0, // 17 the run's task: fork, no_new_privs, per-task restrictions
            newer.mixedWeight(flags), // 18 64- and 128-byte SQEs side by side
            filters.ringFilterWeight(r), // 19 a BPF filter on the ring
            4, // 20 SOCKET, OPENAT, OPENAT2 and CONNECT requests
            r.splitRestrictions() ? 1 : 0, // 21 the ring's own restrictions again, or on an enabled ring
            WorldSteps.weight(r), // 22 the outside world and real-I/O requests
        };
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int x = pick(total);
        int choice = 0;
        while (x >= weights[choice]) {
            x -= weights[choice++];
        }
        switch (choice) {
            case 0 -> batch(r, 1 + pick(Math.min(sqEntries, 8)), false);
            case 1 -> chain(r);
            case 2 -> fill(r, cqEntries - visible + 1 + pick(3));
            case 3 -> queue.add(new Step.ConsumeCqes(chance(50) ? visible : 1 + pick(Math.max(visible, 1)),
                    mixed && chance(10)));
            case 4 -> queue.add(new Step.Enter(0, chance(50) ? 0 : pick(visible + 1), IORING_ENTER_GETEVENTS));
            case 5 -> mixedWrap(r);
            case 6 -> invalidArray(r);
            case 7 -> {
                queue.add(new Step.PublishTail(sqEntries + 1 + pick(2 * sqEntries)));
                queue.add(new Step.Enter(1 + pick(2 * sqEntries), 0, 0));
            }
            case 8 -> queue.add(chance(25) ? new Step.MoveSqHead(pick(7) - 4)
                    : new Step.MoveCqHead(chance(50) ? pick(7) - 3 : cqEntries + pick(cqEntries + 1)));
            case 9 -> skipThenDrain(r);
            case 10 -> resources(r);
            case 11 -> otherThread(r);
            case 12 -> {
                if (chance(20)) {
                    // A pending range across 2^32, as after 2^32 submissions or completions: a head moved to
                    // just below zero.
                    queue.add(chance(50) ? new Step.MoveSqHead(-r.observation().sqHead() - 1 - pick(2))
                            : new Step.MoveCqHead(-r.observation().cqHead() - 1 - pick(2)));
                }
                queue.add(resize());
            }
            case 13 -> fuzz(r);
            case 15 -> queue.add(r.probes() ? new Step.Probe(PROBE_NR_ARGS[pick(PROBE_NR_ARGS.length)]) : setup());
            case 16 -> taskWorkFlood(r);
            case 17 -> task(r);
            case 18 -> newer.mixedSqes(r);
            case 19 -> filters.ringFilter(r);
            case 20 -> filters.requests(r);
            case 21 -> queue.add(ringRestrictions());
            case 22 -> world.plan(r);
            default -> queue.add(setup());
        }
    }

    Step.Setup setup() {
        int flags = VARIANTS[pick(VARIANTS.length)];
        if (chance(25)) {
            flags |= VARIANTS[pick(VARIANTS.length)];
        }
        flags = newer.layout(flags);
        int entries = chance(80) ? 1 << pick(4) : pick(20);
        int cq = 0;
        if (chance(50)) {
            flags |= IORING_SETUP_CQSIZE;
            cq = chance(85) ? Math.max(entries, 1) << pick(3) : pick(40);
        }
        enabled = false;
        ringRestricted = false;
        return new Step.Setup(entries, flags, cq);
    }

    Step.Resize resize() {
        int flags = IORING_SETUP_CQSIZE | (chance(10) ? IORING_SETUP_CLAMP : 0);
        if (chance(10)) {
            flags = chance(50) ? 0 : IORING_SETUP_NO_SQARRAY;
        }
        int sq = 1 << pick(5);
        return new Step.Resize(sq, sq << pick(3), flags);
    }

    long userData() {
        return nextUserData++;
    }

    /** The user_data the next SQE will carry. */
    long peekUserData() {
        return nextUserData;
    }

    /** A NOP of a random flavour: injected results, files, buffers, task work, 32-byte CQEs, skip, bad bits. */
    Step.WriteSqe nop(LockstepRunner r, int slot, int extraFlags) {
        int nopFlags = 0;
        int len = 0;
        int fd = 0;
        int bufIndex = 0;
        int ioprio = 0;
        int flags = extraFlags;
        long off = 0;
        long addr = 0;
        int opcode = 0;
        int kind = pick(20);
        switch (kind) {
            case 0, 1, 2 -> {
                nopFlags = IORING_NOP_INJECT_RESULT;
                len = INJECTED[pick(INJECTED.length)];
            }
            case 3 -> {
                nopFlags = IORING_NOP_FILE;
                fd = FILE_FDS[pick(FILE_FDS.length)];
            }
            case 4 -> {
                nopFlags = IORING_NOP_FILE | IORING_NOP_FIXED_FILE;
                fd = pick(4);
            }
            case 5 -> {
                nopFlags = IORING_NOP_FIXED_BUFFER;
                bufIndex = pick(4);
            }
            case 6 -> nopFlags = IORING_NOP_TW | (chance(50) ? IORING_NOP_INJECT_RESULT : 0);
            case 7, 8 -> {
                nopFlags = IORING_NOP_CQE32;
                off = 0xc0ffee00L + slot;
                addr = 0xf00d0000L + slot;
            }
            case 9 -> flags |= IOSQE_CQE_SKIP_SUCCESS;
            case 10 -> nopFlags = 1 << 6;
            case 11 -> ioprio = 1;
            case 12 -> flags |= IOSQE_BUFFER_SELECT | (chance(50) ? IOSQE_ASYNC : 0);
            case 13 -> flags |= 0x80 | (chance(50) ? IOSQE_ASYNC : 0);
            case 14 -> opcode = chance(50) ? 200 : 255;
            case 15 -> {
                flags |= IOSQE_CQE_SKIP_SUCCESS;
                nopFlags = IORING_NOP_INJECT_RESULT;
                len = -11;
            }
            default -> {
            }
        }
        if (mixedOrBig(r) && chance(20)) {
            nopFlags |= IORING_NOP_CQE32;
            off = 0x1111;
            addr = 0x2222;
        }
        if (nopFlags == IORING_NOP_INJECT_RESULT && len == 0 && chance(30)) {
            len = 7;
        }
        return new Step.WriteSqe(slot, opcode, flags, ioprio, fd, off, addr, len, nopFlags, userData(), bufIndex, 0);
    }

    private static boolean mixedOrBig(LockstepRunner r) {
        return (r.ringFlags() & (IORING_SETUP_CQE_MIXED | IORING_SETUP_CQE32)) != 0;
    }

    /** Writes NOPs at the next {@code count} tail positions (identity SQ array), publishes and enters. */
    void batch(LockstepRunner r, int count, boolean plain) {
        int tail = r.observation().sqTail();
        for (int i = 0; i < count; i++) {
            int position = tail + i;
            queue.add(plain ? Step.WriteSqe.nop(position, 0, 0, 0, userData()) : nop(r, position, 0));
            queue.add(new Step.WriteArray(position, position & (r.sqEntries() - 1)));
        }
        publishAndEnter(r, count);
    }

    /**
     * The SQ entries the application believes are pending: tail - head from the ring, bounded, because the head the
     * ring shows may have been moved by a {@link Step.MoveSqHead} step (the kernel submits from its own copy).
     */
    private static int pendingSq(LockstepRunner r) {
        return (int) Math.min(U32.distance(r.observation().sqTail(), r.observation().sqHead()), 4L * r.sqEntries() + 8);
    }

    void publishAndEnter(LockstepRunner r, int count) {
        publishAndEnter(r, count, 0);
    }

    /**
     * {@link #publishAndEnter(LockstepRunner, int)} after steps already queued may consume {@code gone} of the CQ
     * slots the ring shows now: a wait's min_complete is drawn from the slots left, which the ring holds when it
     * enters (drawn from the slots shown before, a wait could count on CQEs the queued steps took: seed 377).
     */
    private void publishAndEnter(LockstepRunner r, int count, int gone) {
        queue.add(new Step.PublishTail(count));
        int pending = pendingSq(r) + count;
        int visible = (int) Math.min(U32.distance(r.observation().cqTail(), r.observation().cqHead()), r.cqEntries())
                - gone;
        int toSubmit = chance(85) ? pending : pick(pending + 3);
        int enterFlags = chance(30) ? IORING_ENTER_GETEVENTS : 0;
        if (chance(2)) {
            enterFlags |= 1 << 20;
        }
        if (chance(5)) {
            // SQ_WAKEUP, SQ_WAIT, EXT_ARG (no argument), ABS_TIMER or NO_IOWAIT
            enterFlags |= Referee.HARMLESS_ENTER_FLAGS & (1 << (1 + pick(7)));
        }
        int min = (enterFlags & IORING_ENTER_GETEVENTS) != 0 && chance(50) ? pick(visible + 1) : 0;
        queue.add(chance(5) ? new Step.OnOtherThread(new Step.Enter(toSubmit, min, enterFlags))
                : new Step.Enter(toSubmit, min, enterFlags));
    }

    /** 2 to 4 linked SQEs (sometimes hard links), one of them failing at init or at run time, or none. */
    private void chain(LockstepRunner r) {
        int length = 2 + pick(Math.max(1, Math.min(r.sqEntries(), 4) - 1));
        if (length > r.sqEntries()) {
            batch(r, r.sqEntries(), false);
            return;
        }
        int failAt = chance(70) ? pick(length) : -1;
        int link = chance(25) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
        int tail = r.observation().sqTail();
        for (int i = 0; i < length; i++) {
            int position = tail + i;
            int flags = (i < length - 1 ? link : 0) | (chance(15) ? IOSQE_CQE_SKIP_SUCCESS : 0);
            Step.WriteSqe sqe;
            if (i == failAt) {
                sqe = switch (pick(4)) {
                    case 0 -> new Step.WriteSqe(position, 200, flags, 0, 0, 0, 0, 0, 0, userData(), 0, 0);
                    case 1 -> new Step.WriteSqe(position, 0, flags, 1, 0, 0, 0, 0, 0, userData(), 0, 0);
                    case 2 -> Step.WriteSqe.nop(position, flags, IORING_NOP_INJECT_RESULT, -5, userData());
                    default -> Step.WriteSqe.nop(position, flags | 0x80, 0, 0, userData());
                };
            } else {
                sqe = Step.WriteSqe.nop(position, flags, chance(30) ? IORING_NOP_TW : 0, 0, userData());
            }
            queue.add(sqe);
            queue.add(new Step.WriteArray(position, position & (r.sqEntries() - 1)));
        }
        publishAndEnter(r, length);
    }

    private void fill(LockstepRunner r, int count) {
        int left = count;
        boolean first = true;
        while (left > 0) {
            int n = Math.min(left, r.sqEntries());
            if (first) {
                batch(r, n, true);
                first = false;
            } else {
                // The earlier batches' tails are not visible yet: write at relative positions after them.
                int tail = r.observation().sqTail() + (count - left);
                for (int i = 0; i < n; i++) {
                    queue.add(Step.WriteSqe.nop(tail + i, 0, 0, 0, userData()));
                    queue.add(new Step.WriteArray(tail + i, (tail + i) & (r.sqEntries() - 1)));
                }
                queue.add(new Step.PublishTail(n));
                queue.add(new Step.Enter(n, 0, 0));
            }
            left -= n;
        }
    }

    /**
     * Batches of NOP_TW SQEs entered without GETEVENTS, up to four ring-fulls (on rings of 8 entries or more, more
     * than the IO_LOCAL_TW_DEFAULT_MAX of 20 items one local task work run takes), then one GETEVENTS enter.
     */
    private void taskWorkFlood(LockstepRunner r) {
        int n = r.sqEntries();
        int batches = Math.min(4, (21 + n - 1) / n);
        int tail = r.observation().sqTail();
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < n; i++) {
                int position = tail + b * n + i;
                queue.add(Step.WriteSqe.nop(position, 0, IORING_NOP_TW, 0, userData()));
                queue.add(new Step.WriteArray(position, position & (n - 1)));
            }
            queue.add(new Step.PublishTail(n));
            queue.add(new Step.Enter(n, 0, 0));
        }
        queue.add(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS));
    }

    /** Brings the CQ tail to the last slot with plain NOPs, then posts a NOP_CQE32 there. */
    private void mixedWrap(LockstepRunner r) {
        int cqMask = r.cqEntries() - 1;
        int tail = r.observation().cqTail();
        int visible = (int) Math.min(U32.distance(tail, r.observation().cqHead()), r.cqEntries());
        int toLast = (cqMask - (tail & cqMask)) & cqMask;
        if (toLast > 0 && visible + toLast <= r.cqEntries() && toLast <= r.sqEntries()) {
            batch(r, toLast, true);
            return;
        }
        int gone = 0;
        if (visible > 0 && chance(50)) {
            // all the CQEs, or all but one, which may be the second half of a 32-byte CQE: none may be left
            queue.add(new Step.ConsumeCqes(visible - (chance(50) ? 0 : 1)));
            gone = visible;
        }
        int position = r.observation().sqTail();
        queue.add(new Step.WriteSqe(position, 0, 0, 0, 0, 0xc0ffeeL, 0xf00dL, 0, IORING_NOP_CQE32, userData(), 0,
                0));
        queue.add(new Step.WriteArray(position, position & (r.sqEntries() - 1)));
        publishAndEnter(r, 1, gone);
    }

    private void invalidArray(LockstepRunner r) {
        int count = 1 + pick(Math.min(r.sqEntries(), 4));
        int bad = pick(count);
        int tail = r.observation().sqTail();
        for (int i = 0; i < count; i++) {
            int position = tail + i;
            queue.add(Step.WriteSqe.nop(position, 0, 0, 0, userData()));
            int value = i == bad ? (chance(50) ? r.sqEntries() + pick(100) : -1 - pick(3))
                    : position & (r.sqEntries() - 1);
            queue.add(new Step.WriteArray(position, value));
        }
        publishAndEnter(r, count);
    }

    private void skipThenDrain(LockstepRunner r) {
        if (r.sqEntries() < 2) {
            batch(r, 1, false);
            return;
        }
        int tail = r.observation().sqTail();
        queue.add(Step.WriteSqe.nop(tail, IOSQE_CQE_SKIP_SUCCESS, 0, 0, userData()));
        queue.add(new Step.WriteArray(tail, tail & (r.sqEntries() - 1)));
        queue.add(Step.WriteSqe.nop(tail + 1, IOSQE_IO_DRAIN | (chance(30) ? IOSQE_CQE_SKIP_SUCCESS : 0), 0, 0,
                userData()));
        queue.add(new Step.WriteArray(tail + 1, (tail + 1) & (r.sqEntries() - 1)));
        publishAndEnter(r, 2);
    }

    void resources(LockstepRunner r) {
        int count = 1 + pick(4);
        int pattern = random.nextInt();
        queue.add(switch (pick(6)) {
            case 0 -> new Step.RegisterFiles(count, true, 0);
            case 1 -> new Step.RegisterFiles(count, false, pattern);
            case 2 -> new Step.UpdateFiles(pick(5), 1 + pick(3), pattern);
            case 3 -> new Step.UnregisterFiles();
            case 4 -> new Step.RegisterBuffers(count, chance(90) ? 1 + pick(Side.BUFFER_BYTES) : 0);
            default -> new Step.UnregisterBuffers();
        });
    }

    private void otherThread(LockstepRunner r) {
        switch (pick(3)) {
            case 0 -> {
                int tail = r.observation().sqTail();
                queue.add(Step.WriteSqe.nop(tail, 0, chance(30) ? IORING_NOP_TW : 0, 0, userData()));
                queue.add(new Step.WriteArray(tail, tail & (r.sqEntries() - 1)));
                queue.add(new Step.PublishTail(1));
                int pending = pendingSq(r) + 1;
                queue.add(new Step.OnOtherThread(new Step.Enter(pending, 0, 0)));
            }
            case 1 -> queue.add(new Step.OnOtherThread(new Step.Enter(0, 0, IORING_ENTER_GETEVENTS)));
            default -> queue.add(new Step.OnOtherThread(new Step.RegisterFiles(1 + pick(3), true, 0)));
        }
    }

    /**
     * 1 to 4 SQEs, each of one of the run's {@link GeneratedOpcode}s or a NOP, some linked to the next or with
     * CQE_SKIP_SUCCESS (the last never linked: a dangling link would go to io-wq).
     */
    private void otherOpcodes(LockstepRunner r) {
        int count = 1 + pick(Math.min(r.sqEntries(), 4));
        int tail = r.observation().sqTail();
        for (int i = 0; i < count; i++) {
            int position = tail + i;
            int flags = (i < count - 1 && chance(20) ? IOSQE_IO_LINK : 0) | (chance(10) ? IOSQE_CQE_SKIP_SUCCESS : 0);
            if (chance(25)) {
                queue.add(nop(r, position, flags));
            } else {
                SqeFields s = r.opcodes().get(pick(r.opcodes().size())).sqe(random);
                queue.add(new Step.WriteSqe(position, s.opcode(), s.flags() | flags, s.ioprio(), s.fd(), s.off(),
                        s.addr(), s.len(), s.opFlags(), userData(), s.bufIndex(), s.personality()));
            }
            queue.add(new Step.WriteArray(position, position & (r.sqEntries() - 1)));
        }
        publishAndEnter(r, count);
    }

    /** One SQE with arbitrary fields at the tail (never linked: a dangling link would go to io-wq). */
    private void fuzz(LockstepRunner r) {
        int tail = r.observation().sqTail();
        int flags = random.nextInt(0x100) & ~(IOSQE_IO_LINK | IOSQE_IO_HARDLINK);
        if ((flags & (IOSQE_ASYNC | IOSQE_IO_DRAIN)) != 0 && chance(50)) {
            flags |= 0x80;
        }
        if ((flags & IOSQE_FIXED_FILE) != 0) {
            flags &= ~IOSQE_FIXED_FILE;
        }
        int opcode = chance(70) ? 0 : 100 + pick(156);
        queue.add(new Step.WriteSqe(tail, opcode, flags, chance(10) ? pick(8) : 0, FILE_FDS[pick(FILE_FDS.length)],
                random.nextLong(), random.nextLong(), random.nextInt(), random.nextInt(0x80), userData(), pick(8),
                chance(10) ? 1 + pick(3) : 0));
        queue.add(new Step.WriteArray(tail, tail & (r.sqEntries() - 1)));
        publishAndEnter(r, 1);
    }

    // ---- the run's task (7.0+): a fork, no_new_privs, per-task restrictions, then a ring set up under them ----

    /** Register opcodes worth allowing: BUFFERS, FILES, PROBE, RESTRICTIONS, ENABLE_RINGS, RESIZE, and the edge. */
    private static final int[] TASK_REGISTER_OPS = {0, 2, 8, 11, 12, 33, 37, 38, 39, 200};
    /** SQE opcodes: NOP most, READV, the last ones and past the end (IORING_OP_LAST is 65 on 7.2). */
    private static final int[] TASK_SQE_OPS = {0, 0, 0, 1, 63, 64, 65, 66, 255};
    /** nr_res beyond a few entries: around IORING_MAX_RESTRICTIONS (4 + 38 + 65 = 107 on 7.2) and far past it. */
    private static final int[] TASK_NR_RES = {3, 50, 106, 107, 108, 256, 0xffff};

    private void task(LockstepRunner r) {
        if (chance(30)) {
            queue.add(new Step.ForkTask(chance(30)));
        }
        if (chance(20)) {
            queue.add(new Step.SetNoNewPrivs());
        }
        queue.add(r.bpfFilters() && chance(45) ? filters.taskFilter() : taskRestrictions());
        if (chance(20)) {
            queue.add(new Step.ForkTask(chance(50)));
        }
        if (chance(80)) {
            queue.add(setup());
        }
    }

    /** Real arguments mostly (one to three valid entries), and now and then each way the kernel refuses them. */
    private Step.RegisterTaskRestrictions taskRestrictions() {
        int nrArgs = chance(92) ? 1 : (chance(50) ? 0 : 2 + pick(3));
        int flags = chance(95) ? 0 : 1 << pick(16);
        int resv = chance(95) ? 0 : 1 + pick(100);
        int nrRes = chance(88) ? pick(4) : TASK_NR_RES[pick(TASK_NR_RES.length)];
        return new Step.RegisterTaskRestrictions(nrArgs, flags, resv, nrRes, taskEntry() | taskEntry() << 16);
    }

    /**
     * The ring's own restrictions (7.0+: the SQE half and the register half each apply on its own): one to three
     * entries mostly (a third is REGISTER_OP 0), none (both halves, denying everything), or too many.
     */
    private Step.RegisterRestrictions ringRestrictions() {
        int nrArgs = chance(90) ? pick(4) : TASK_NR_RES[pick(TASK_NR_RES.length)];
        return new Step.RegisterRestrictions(nrArgs, taskEntry() | taskEntry() << 16);
    }

    /** One entry: the restriction type in the high byte, its value in the low byte. */
    private int taskEntry() {
        int type = chance(95) ? pick(4) : 4 + pick(252);
        int value = switch (type) {
            case 0 -> TASK_REGISTER_OPS[pick(TASK_REGISTER_OPS.length)];
            case 1 -> TASK_SQE_OPS[pick(TASK_SQE_OPS.length)];
            default -> chance(50) ? 0 : pick(0x100);
        };
        return type << 8 | value;
    }
}

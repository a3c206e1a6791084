package dev.ringspec.invariants;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_NOP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;
import static dev.ringspec.uapi.IoUring.IORING_NOP_TW;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;

import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Short runs on one ring that walk through the behaviours the invariants speak about (overflow, the CQE_MIXED
 * wrap, 32-byte CQEs, links and CQE_SKIP_SUCCESS, dropped SQ entries, task work, resize), written once against
 * the seam so any backend can be run under the {@link InvariantChecker}. Expected outcomes are not here: an
 * exercise only drives; the invariants judge.
 */
public final class RingExercises {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

    /** One exercise: its name, the ring it sets up, and the steps it takes on it. */
    public record Exercise(String name, int entries, int flags, int cqEntries, Consumer<CheckedRing> steps) {

        /** Runs the exercise on a fresh ring of {@code kernel}; the ring is closed afterwards. */
        public Result run(IoUringKernel kernel, UserMemory memory) {
            try (CheckedRing r = CheckedRing.setup(kernel, memory, entries, flags, cqEntries)) {
                if (!r.exists()) {
                    return new Result(name, false, r.violations(), r.checker().counts());
                }
                steps.accept(r);
                return new Result(name, true, r.violations(), r.checker().counts());
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** What the invariants said about one exercise (and whether its ring could be set up at all). */
    public record Result(String name, boolean ran, List<Violation> violations,
            Map<RingInvariant, InvariantChecker.Count> counts) {
    }

    private RingExercises() {
    }

    /** Every exercise. */
    public static List<Exercise> all() {
        return List.of(
                new Exercise("nops then consume", 4, 0, 0, r -> {
                    for (int i = 1; i <= 3; i++) {
                        r.nop(i, 0, 0);
                    }
                    r.submit(0);
                    r.consume(3);
                }),
                new Exercise("overflow and flush in order", 4, 0, 4, r -> {
                    for (int round = 0; round < 2; round++) {
                        for (int i = 0; i < 4; i++) {
                            r.nop(100 + round * 10 + i, 0, 0);
                        }
                        r.publish();
                        r.enter(4, 0, 0);
                    }
                    r.consume(4);
                    r.nop(200, 0, 0);
                    r.publish();
                    r.enter(1, 0, 0);
                    r.enter(0, 0, IORING_ENTER_GETEVENTS);
                    r.consume(4);
                    r.enter(0, 0, IORING_ENTER_GETEVENTS);
                    r.consume(4);
                }),
                new Exercise("dropped SQ array entry", 8, 0, 0, r -> {
                    for (int i = 0; i < 5; i++) {
                        r.nop(200 + i, 0, 0);
                    }
                    r.array(2, 99);
                    r.publish();
                    r.enter(5, 0, 0);
                    r.enter(5, 0, 0);
                    r.consume(8);
                }),
                new Exercise("CQE_MIXED wrap with a skip CQE", 4, IORING_SETUP_CQE_MIXED, 4, r -> {
                    for (int i = 0; i < 3; i++) {
                        r.nop(10 + i, 0, 0);
                    }
                    r.submit(0);
                    r.consume(3);
                    r.sqe(IORING_OP_NOP, 34, 0, IORING_NOP_CQE32, 0xc0ffee, 0xf00d, 0);
                    r.submit(0);
                    r.consume(2);
                    r.nop(35, 0, 0);
                    r.sqe(IORING_OP_NOP, 36, 0, IORING_NOP_CQE32, 0x36, 0x37, 0);
                    r.submit(0);
                    r.consume(4);
                }),
                new Exercise("CQE_MIXED big CQE overflows behind a skip CQE", 4, IORING_SETUP_CQE_MIXED, 4, r -> {
                    r.nop(1, 0, 0);
                    r.submit(0);
                    r.consume(1);
                    for (int i = 0; i < 2; i++) {
                        r.nop(2 + i, 0, 0);
                    }
                    r.sqe(IORING_OP_NOP, 4, 0, IORING_NOP_CQE32, 0x44, 0x45, 0);
                    r.submit(0);
                    r.consume(3);
                    r.enter(0, 0, IORING_ENTER_GETEVENTS);
                    r.consume(2);
                }),
                new Exercise("CQE32 payloads, skipped and plain", 4, IORING_SETUP_CQE32, 0, r -> {
                    r.sqe(IORING_OP_NOP, 1, 0, IORING_NOP_CQE32, 0x1111, 0x2222, 0);
                    r.nop(2, 0, 0);
                    r.submit(0);
                    r.consume(2);
                    r.sqe(IORING_OP_NOP, 3, IOSQE_CQE_SKIP_SUCCESS, IORING_NOP_CQE32, 0x3333, 0x4444, 0);
                    r.submit(0);
                    r.nop(4, 0, 0);
                    r.submit(0);
                    r.consume(2);
                }),
                new Exercise("link chains: success, failure, hardlink, skip", 8, 0, 0, r -> {
                    r.nop(1, IOSQE_IO_LINK, 0);
                    r.nop(2, IOSQE_IO_LINK, 0);
                    r.nop(3, 0, 0);
                    r.submit(0);
                    r.consume(8);
                    r.nop(4, IOSQE_IO_LINK, 0);
                    r.sqe(IORING_OP_NOP, 5, IOSQE_IO_LINK, IORING_NOP_INJECT_RESULT, 0, 0, -5);
                    r.nop(6, 0, 0);
                    r.submit(0);
                    r.consume(8);
                    r.sqe(IORING_OP_NOP, 7, IOSQE_IO_HARDLINK, IORING_NOP_INJECT_RESULT, 0, 0, -7);
                    r.nop(8, 0, 0);
                    r.submit(0);
                    r.consume(8);
                    r.sqe(IORING_OP_NOP, 9, IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS, IORING_NOP_INJECT_RESULT, 0, 0,
                            -9);
                    r.nop(10, IOSQE_CQE_SKIP_SUCCESS, 0);
                    r.nop(11, 0, 0);
                    r.submit(0);
                    r.consume(8);
                    r.sqe(200, 12, IOSQE_IO_LINK, 0, 0, 0, 0);
                    r.nop(13, 0, 0);
                    r.submit(0);
                    r.consume(8);
                }),
                new Exercise("DEFER_TASKRUN task work", 4, DEFER | IORING_SETUP_TASKRUN_FLAG, 0, r -> {
                    r.nop(1, 0, 0);
                    r.nop(2, 0, IORING_NOP_TW);
                    r.nop(3, IOSQE_IO_LINK, 0);
                    r.nop(4, 0, 0);
                    r.publish();
                    r.enter(4, 0, 0);
                    r.enter(0, 0, IORING_ENTER_GETEVENTS);
                    r.consume(8);
                }),
                new Exercise("resize keeps pending SQEs and CQEs", 4, DEFER | IORING_SETUP_TASKRUN_FLAG, 0, r -> {
                    for (int i = 0; i < 3; i++) {
                        r.nop(1 + i, 0, 0);
                    }
                    r.submit(0);
                    r.consume(1);
                    r.nop(10, 0, 0);
                    r.nop(11, 0, 0);
                    r.publish();
                    r.resize(1, 1, 0);
                    r.resize(16, 0, 0);
                    r.resize(2, 4, 0);
                    r.resize(2, 2, 0);
                    r.enter(2, 0, IORING_ENTER_GETEVENTS);
                    r.consume(8);
                }),
                new Exercise("resize with the CQ head moved back across 2^32", 1, DEFER, 0, r -> {
                    r.nop(1, 0, 0);
                    r.submit(0);
                    r.moveCqHead(-1);
                    r.resize(1, 0, 0);
                }),
                new Exercise("resize with a 32-byte CQE at the new ring's last slot", 1,
                        DEFER | IORING_SETUP_CQE_MIXED, 4, r -> {
                            r.nop(1, 0, 0);
                            r.submit(0);
                            r.consume(1);
                            r.sqe(IORING_OP_NOP, 2, 0, IORING_NOP_CQE32, 0x1111, 0x2222, 0);
                            r.submit(0);
                            r.resize(1, 2, 0);
                            r.consume(2);
                        }),
                new Exercise("resize with the SQ head moved back across 2^32", 1, DEFER, 0, r -> {
                    r.nop(1, 0, 0);
                    r.publish();
                    r.moveSqHead(-1);
                    r.resize(2, 0, 0);
                    r.moveSqHead(1);
                    r.enter(1, 0, IORING_ENTER_GETEVENTS);
                    r.consume(2);
                }));
    }
}

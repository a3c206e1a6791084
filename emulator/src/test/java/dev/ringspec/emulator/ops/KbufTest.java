package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_OP_PROVIDE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_OP_REMOVE_BUFFERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PBUF_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PBUF_STATUS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_PBUF_RING;
import static dev.ringspec.uapi.IoUring.IOU_PBUF_RING_INC;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringBufReg;
import dev.ringspec.uapi.IoUringBufStatus;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Provided buffers (io_uring/kbuf.c) on the emulator against this machine's kernel: results and errnos. */
@Tag("kernel")
class KbufTest {
    /** {@code TASK_SIZE_MAX} on x86_64 with 4-level paging: where access_ok stops on this machine. */
    private static final long USER_END = 0x7ffffffff000L;

    private static List<Cqe> checked(List<Cqe> cqes) {
        assertThat(cqes).as("no wait timed out").noneMatch(c -> c.userData() == -1);
        return cqes;
    }

    @Test
    void provideAndRemoveCountBuffersOldestFirst() throws Exception {
        List<Cqe> cqes = BothSides.sameOnBoth(KbufTest::provideAndRemoveCountBuffersOldestFirst);
        assertThat(cqes).hasSize(6);
    }

    static List<Cqe> provideAndRemoveCountBuffersOldestFirst(IoUringKernel k, UserMemory m)
            throws Exception {
        try (RingScenario s = new RingScenario(k, m, 16)) {
            MemorySegment bufs = m.allocate(4096);
            s.provide(1, bufs.address(), 64, 8, 7, 0);
            s.provide(2, bufs.address() + 512, 64, 4, 7, 100);
            s.remove(3, 5, 7);
            s.remove(4, 100, 7);
            s.remove(5, 1, 7);
            s.remove(6, 1, 8);
            return checked(s.submitAndAwait(6));
        }
    }

    @Test
    void provideBuffersPrepChecksEachFieldInTheKernelsOrder() throws Exception {
        BothSides.sameOnBoth(KbufTest::provideBuffersPrepChecksEachFieldInTheKernelsOrder);
    }

    static List<Cqe> provideBuffersPrepChecksEachFieldInTheKernelsOrder(IoUringKernel k, UserMemory m)
            throws Exception {
        try (RingScenario s = new RingScenario(k, m, 8)) {
            long a = m.allocate(4096).address();
            // a failed prep stops the submission: one SQE per submit
            List<Cqe> out = new ArrayList<>();
            long[][] cases = {
                {a, 16, 0, 1, 0}, {a, 16, -1, 1, 0}, {a, 16, 65537, 1, 0}, {a, 16, 65536, 2, 0},
                {a, 16, 65536, 1, 1}, {a, 0, 1, 1, 0}, {-16, 64, 1, 1, 0}, {a, 16, 1, 1, 65536}, {a, 16, 2, 1, 65535}, {a, 16, 1, 1, 65535},
                {0, -1, 2, 4, 0}, {-1L << 32, -1, 65536, 1, 0},
            };
            for (long[] c : cases) {
                s.provide(out.size(), c[0], (int) c[1], (int) c[2], (int) c[3], c[4]);
                out.addAll(s.submitAndAwait(1));
            }
            MemorySegment q = s.d.sqes();
            LongConsumer buffer = at -> {
                Sqe.addr(q, at, a);
                Sqe.len(q, at, 16);
            };
            out.addAll(s.alone(IORING_OP_PROVIDE_BUFFERS, 1, 20, buffer.andThen(at -> Sqe.opFlags(q, at, 1))));
            out.addAll(s.alone(IORING_OP_PROVIDE_BUFFERS, 1, 21, buffer.andThen(at -> Sqe.fileIndex(q, at, 1))));
            out.addAll(s.alone(IORING_OP_PROVIDE_BUFFERS, 1, 22, buffer.andThen(at -> Sqe.ioprio(q, at, 1))));
            s.remove(out.size(), 5, 4);
            out.addAll(s.submitAndAwait(1));
            return checked(out);
        }
    }

    /**
     * access_ok: buffers must end in user space, this machine's (so not among the scenarios run on guests, whose
     * virtual CPU may have 5-level paging).
     */
    @Test
    void providedBuffersMustEndInUserSpace() throws Exception {
        BothSides.sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                List<Cqe> out = new ArrayList<>();
                for (long end : new long[] {USER_END, USER_END + 1, USER_END + 4096, 1L << 56, (1L << 56) + 1}) {
                    s.provide(out.size(), end - 64, 64, 1, 3, 0);
                    out.addAll(s.submitAndAwait(1));
                }
                return checked(out);
            }
        });
    }

    @Test
    void removeBuffersPrepRefusesFieldsItDoesNotTake() throws Exception {
        BothSides.sameOnBoth(KbufTest::removeBuffersPrepRefusesFieldsItDoesNotTake);
    }

    static List<Cqe> removeBuffersPrepRefusesFieldsItDoesNotTake(IoUringKernel k, UserMemory m)
            throws Exception {
        try (RingScenario s = new RingScenario(k, m, 8)) {
            List<Cqe> out = new ArrayList<>();
            s.provide(1, m.allocate(64).address(), 8, 8, 1, 0);
            out.addAll(s.submitAndAwait(1));
            for (int nbufs : new int[] {0, 65537, -1}) {
                s.remove(out.size(), nbufs, 1);
                out.addAll(s.submitAndAwait(1));
            }
            MemorySegment q = s.d.sqes();
            out.addAll(s.alone(IORING_OP_REMOVE_BUFFERS, 1, 10, at -> Sqe.addr(q, at, 8)));
            out.addAll(s.alone(IORING_OP_REMOVE_BUFFERS, 1, 11, at -> Sqe.len(q, at, 1)));
            out.addAll(s.alone(IORING_OP_REMOVE_BUFFERS, 1, 12, at -> Sqe.off(q, at, 1)));
            out.addAll(s.alone(IORING_OP_REMOVE_BUFFERS, 1, 13, at -> Sqe.opFlags(q, at, 1)));
            out.addAll(s.alone(IORING_OP_REMOVE_BUFFERS, 1, 14, at -> Sqe.fileIndex(q, at, 1)));
            s.remove(out.size(), 65536, 1);
            out.addAll(s.submitAndAwait(1));
            return checked(out);
        }
    }

    @Test
    void aLegacyListHoldsAtMostUshrtMaxBuffers() throws Exception {
        BothSides.sameOnBoth(KbufTest::aLegacyListHoldsAtMostUshrtMaxBuffers);
    }

    static List<Cqe> aLegacyListHoldsAtMostUshrtMaxBuffers(IoUringKernel k, UserMemory m)
            throws Exception {
        try (RingScenario s = new RingScenario(k, m, 8)) {
            long a = m.allocate(4096).address();
            s.provide(1, a, 1, 65535, 9, 0);
            s.provide(2, a, 1, 1, 9, 0);
            s.provide(3, a, 1, 1, 9, 0);
            s.provide(4, a, 1, 2, 10, 0);
            s.remove(5, 65536, 9);
            s.remove(6, 65536, 9);
            s.remove(7, 65536, 10);
            return checked(s.submitAndAwait(7));
        }
    }

    @Test
    void bufferRingRegistrationChecksItsArgument() throws Exception {
        BothSides.sameOnBoth(KbufTest::bufferRingRegistrationChecksItsArgument);
    }

    static List<Cqe> bufferRingRegistrationChecksItsArgument(IoUringKernel k, UserMemory m)
            throws Exception {
        try (RingScenario s = new RingScenario(k, m, 8)) {
            MemorySegment ring = s.ringMemory(8);
            long r = ring.address();
            List<Cqe> out = new ArrayList<>();
            List<MemorySegment> args = List.of(
                    s.bufReg(r, 8, 1, 0x4, 0),
                    s.bufReg(r, 3, 1, 0, 0),
                    s.bufReg(r, 0, 1, 0, 0),
                    s.bufReg(r, 65536, 1, 0, 0),
                    s.bufReg(r, 8, 1, 0, 16),
                    s.bufReg(0, 8, 1, 0, 0),
                    s.bufReg(r + 8, 8, 1, 0, 0),
                    s.bufReg(0x1000, 8, 1, 0, 0),
                    s.bufReg(0, 3, 1, 0, 0));
            for (MemorySegment arg : args) {
                out.add(result(out.size(), s.register(IORING_REGISTER_PBUF_RING, arg, 1)));
            }
            MemorySegment resv = s.bufReg(r, 8, 1, 0, 0);
            resv.set(JAVA_INT, IoUringBufReg.RESV_OFFSET + 8, 1);
            out.add(result(out.size(), s.register(IORING_REGISTER_PBUF_RING, resv, 1)));
            out.add(result(out.size(), s.register(IORING_REGISTER_PBUF_RING, s.bufReg(r, 8, 1, 0, 0), 0)));
            out.add(result(out.size(), s.register(IORING_REGISTER_PBUF_RING, MemorySegment.NULL, 1)));
            out.add(result(out.size(), s.register(IORING_REGISTER_PBUF_RING,
                    MemorySegment.ofAddress(0x10), 1)));
            return checked(out);
        }
    }

    @Test
    void aGroupIsEitherARingOrAList() throws Exception {
        BothSides.sameOnBoth(KbufTest::aGroupIsEitherARingOrAList);
    }

    static List<Cqe> aGroupIsEitherARingOrAList(IoUringKernel k, UserMemory m)
            throws Exception {
        try (RingScenario s = new RingScenario(k, m, 8)) {
            long r = s.ringMemory(8).address();
            List<Cqe> out = new ArrayList<>();
            out.add(result(0, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(r, 8, 5, 0, 0), 1)));
            out.add(result(1, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(r, 8, 5, 0, 0), 1)));
            s.provide(10, m.allocate(64).address(), 8, 2, 6, 0);
            s.provide(11, m.allocate(64).address(), 8, 2, 5, 0);
            s.remove(12, 1, 5);
            out.addAll(s.submitAndAwait(3));
            long r2 = s.ringMemory(8).address();
            out.add(result(2, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(r2, 8, 6, 0, 0), 1)));
            s.remove(13, 2, 6);
            out.addAll(s.submitAndAwait(1));
            out.add(result(3, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(r2, 8, 6, 0, 0), 1)));
            out.add(result(4, s.register(IORING_UNREGISTER_PBUF_RING, s.bufReg(0, 0, 5, 1, 0), 1)));
            out.add(result(5, s.register(IORING_UNREGISTER_PBUF_RING, s.bufReg(0, 0, 9, 0, 0), 1)));
            s.provide(14, m.allocate(64).address(), 8, 2, 7, 0);
            out.addAll(s.submitAndAwait(1));
            out.add(result(6, s.register(IORING_UNREGISTER_PBUF_RING, s.bufReg(0, 0, 7, 0, 0), 1)));
            out.add(result(7, s.register(IORING_UNREGISTER_PBUF_RING, s.bufReg(0, 0, 5, 0, 0), 1)));
            out.add(result(8, s.register(IORING_UNREGISTER_PBUF_RING, s.bufReg(0, 0, 5, 0, 0), 1)));
            out.add(result(9, s.register(IORING_UNREGISTER_PBUF_RING, s.bufReg(0, 0, 5, 0, 0), 2)));
            out.add(result(10, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(r, 8, 5, IOU_PBUF_RING_INC,
                    64), 1)));
            return checked(out);
        }
    }

    @Test
    void statusReportsTheKernelsHeadOfARing() throws Exception {
        BothSides.sameOnBoth(KbufTest::statusReportsTheKernelsHeadOfARing);
    }

    static List<Cqe> statusReportsTheKernelsHeadOfARing(IoUringKernel k, UserMemory m)
            throws Exception {
        try (RingScenario s = new RingScenario(k, m, 8)) {
            long r = s.ringMemory(8).address();
            List<Cqe> out = new ArrayList<>();
            out.add(result(0, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(r, 8, 3, 0, 0), 1)));
            s.provide(10, m.allocate(64).address(), 8, 2, 4, 0);
            out.addAll(s.submitAndAwait(1));
            for (int group : new int[] {3, 4, 5, 0x10003}) {
                MemorySegment st = status(s, group);
                out.add(result(group, s.register(IORING_REGISTER_PBUF_STATUS, st, 1)));
                out.add(result(group, st.get(JAVA_INT, IoUringBufStatus.HEAD_OFFSET)));
            }
            MemorySegment resv = status(s, 3);
            resv.set(JAVA_INT, IoUringBufStatus.RESV_OFFSET + 28, 1);
            out.add(result(6, s.register(IORING_REGISTER_PBUF_STATUS, resv, 1)));
            out.add(result(7, s.register(IORING_REGISTER_PBUF_STATUS, status(s, 3), 0)));
            return checked(out);
        }
    }

    static MemorySegment status(RingScenario s, int group) {
        MemorySegment st = s.memory.allocate(IoUringBufStatus.SIZE_BYTES);
        st.set(JAVA_INT, IoUringBufStatus.BUF_GROUP_OFFSET, group);
        st.set(JAVA_INT, IoUringBufStatus.HEAD_OFFSET, 0x5555);
        return st;
    }

    /** A register call's answer as a pseudo CQE, so that BothSides compares it. */
    static Cqe result(long step, int res) {
        return new Cqe(step, res, 0, 0, 0);
    }
}

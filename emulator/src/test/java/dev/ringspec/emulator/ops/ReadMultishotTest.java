package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_MORE;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ_MULTISHOT;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PBUF_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PBUF_STATUS;
import static dev.ringspec.uapi.IoUring.IOSQE_BUFFER_SELECT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOU_PBUF_RING_INC;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringBuf;
import dev.ringspec.uapi.IoUringBufRing;
import dev.ringspec.uapi.IoUringBufStatus;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** READ_MULTISHOT (io_uring/rw.c) on the emulator against this machine's kernel, on real pipes. */
@Tag("kernel")
class ReadMultishotTest {

    static long readMultishot(RingScenario s, int fd, int bgid, long userData) {
        long at = s.sqe(IORING_OP_READ_MULTISHOT, fd, userData);
        Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT);
        Sqe.bufIndex(s.d.sqes(), at, bgid);
        return at;
    }

    static List<Cqe> checked(List<Cqe> cqes) {
        assertThat(cqes).as("no wait timed out").noneMatch(c -> c.userData() == -1);
        return cqes;
    }

    private static List<Cqe> sameOnBoth(BothSides.Scenario scenario) throws Exception {
        return BothSides.sameOnBoth(KernelProfile.LINUX_6_18, TestOps.BOTH, scenario);
    }

    @Test
    void aPipeIsReadAcrossWakeupsIntoARingRefilledOnTheWayUntilItRunsDry() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] p = s.pipe();
                MemorySegment ring = s.ringMemory(4);
                MemorySegment bufs = m.allocate(4 * 16);
                for (int i = 0; i < 4; i++) {
                    RingScenario.addBuf(ring, 3, i, bufs.address() + 16L * i, 16, i);
                }
                RingScenario.storeReleaseTail(ring, 4);
                List<Cqe> out = new ArrayList<>();
                out.add(KbufTest.result(0, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(ring.address(), 4, 2, 0,
                        0), 1)));
                readMultishot(s, p[0], 2, 77);
                s.submit();
                s.write(p[1], "hello");
                out.addAll(s.await(1));
                s.write(p[1], "0123456789abcdefWXYZ");
                out.addAll(s.await(2));
                // refill bids 0 and 1 (their data was read), then more data than the buffers hold
                RingScenario.addBuf(ring, 3, 4, bufs.address(), 16, 0);
                RingScenario.addBuf(ring, 3, 5, bufs.address() + 16, 16, 1);
                RingScenario.storeReleaseTail(ring, 6);
                s.write(p[1], "xyz");
                out.addAll(s.await(1));
                s.write(p[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd");
                out.addAll(s.await(3));
                MemorySegment st = KbufTest.status(s, 2);
                out.add(KbufTest.result(1, s.register(IORING_REGISTER_PBUF_STATUS, st, 1)));
                out.add(KbufTest.result(2, st.get(JAVA_INT, IoUringBufStatus.HEAD_OFFSET)));
                out.addAll(RingScenario.data(bufs));
                return checked(out);
            }
        });
        List<Cqe> read = cqes.stream().filter(c -> c.userData() == 77).toList();
        assertThat(read.getLast().flags() & IORING_CQE_F_MORE).as("the last CQE ends the request").isZero();
        assertThat(read.subList(0, read.size() - 1)).allMatch(c -> (c.flags() & IORING_CQE_F_MORE) != 0);
    }

    /** __io_prep_rw's checks come before the file is looked up: an unknown attr_type_mask, a bad ioprio. */
    @Test
    void theReadsPrepChecksComeBeforeTheFile() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                // one at a time: a request that fails at prep ends the submission (no SUBMIT_ALL)
                long at = readMultishot(s, 5, 11, 1);
                Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT | IOSQE_FIXED_FILE);
                s.d.sqes().set(JAVA_LONG, at + 56, 0x2c50_5ba6_0000_0000L);
                List<Cqe> c = new ArrayList<>(s.submitAndAwait(1));
                at = readMultishot(s, 5, 11, 2);
                Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT | IOSQE_FIXED_FILE);
                Sqe.ioprio(s.d.sqes(), at, 0x7fff);
                c.addAll(s.submitAndAwait(1));
                at = readMultishot(s, 5, 11, 3);
                Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT | IOSQE_FIXED_FILE);
                c.addAll(s.submitAndAwait(1));
                return checked(c);
            }
        });
        assertThat(cqes).extracting(Cqe::res).startsWith(-22);
    }

    @Test
    void legacyBuffersRunDryWithENOBUFS() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] p = s.pipe();
                MemorySegment bufs = m.allocate(16);
                s.provide(1, bufs.address(), 8, 2, 4, 10);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                readMultishot(s, p[0], 4, 2);
                s.submit();
                s.write(p[1], "hello");
                out.addAll(s.await(1));
                s.write(p[1], "twenty bytes of data");
                out.addAll(s.await(2));
                out.addAll(RingScenario.data(bufs));
                return checked(out);
            }
        });
    }

    @Test
    void endOfFileEndsTheRequestWithZero() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] p = s.pipe();
                MemorySegment bufs = m.allocate(32);
                s.provide(1, bufs.address(), 8, 4, 4, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                readMultishot(s, p[0], 4, 2);
                s.submit();
                s.write(p[1], "abc");
                out.addAll(s.await(1));
                s.closeFd(p[1]);
                out.addAll(s.await(1));
                s.remove(3, 8, 4);
                out.addAll(s.submitAndAwait(1));
                return checked(out);
            }
        });
    }

    @Test
    void aFullCqEndsTheRequestWithAnOverflowedFinalCqe() throws Exception {
        List<Cqe> cqes = sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 2)) {
                int[] p = s.pipe();
                MemorySegment bufs = m.allocate(64);
                s.provide(1, bufs.address(), 8, 8, 4, 0);
                s.submit();
                List<Cqe> out = new ArrayList<>(s.await(1));
                s.write(p[1], "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+-");
                readMultishot(s, p[0], 4, 2);
                s.submit();
                out.addAll(s.await(5));
                s.remove(3, 8, 4);
                out.addAll(s.submitAndAwait(1));
                out.addAll(RingScenario.data(bufs));
                return checked(out);
            }
        });
        assertThat(cqes.stream().filter(c -> c.userData() == 2).toList()).hasSize(5);
    }

    @Test
    void cancellationEndsAnArmedReadWithECANCELED() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] p = s.pipe();
                s.provide(1, m.allocate(32).address(), 8, 4, 4, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                readMultishot(s, p[0], 4, 2);
                s.submit();
                s.write(p[1], "abc");
                out.addAll(s.await(1));
                long at = s.sqe(IORING_OP_ASYNC_CANCEL, -1, 3);
                Sqe.addr(s.d.sqes(), at, 2);
                out.addAll(s.submitAndAwait(2));
                at = s.sqe(IORING_OP_ASYNC_CANCEL, -1, 4);
                Sqe.addr(s.d.sqes(), at, 2);
                out.addAll(s.submitAndAwait(1));
                return checked(out);
            }
        });
    }

    @Test
    void prepAndIssueRefuseWhatTheKernelRefuses() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] p = s.pipe();
                s.provide(1, m.allocate(32).address(), 8, 4, 4, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                MemorySegment q = s.d.sqes();
                LongConsumer read = at -> {
                    Sqe.flags(q, at, IOSQE_BUFFER_SELECT);
                    Sqe.bufIndex(q, at, 4);
                };
                out.addAll(s.alone(IORING_OP_READ_MULTISHOT, p[0], 10, at -> Sqe.bufIndex(q, at, 4)));
                out.addAll(s.alone(IORING_OP_READ_MULTISHOT, p[0], 11, read.andThen(at -> Sqe.addr(q, at, 8))));
                out.addAll(s.alone(IORING_OP_READ_MULTISHOT, p[0], 12, read.andThen(at -> Sqe.len(q, at, 8))));
                out.addAll(s.alone(IORING_OP_READ_MULTISHOT, p[0], 13, read.andThen(at -> Sqe.ioprio(q, at, 1))));
                // a file that cannot be polled (a memfd), a group that does not exist, a closed descriptor
                MemorySegment name = m.allocate(8);
                int memfd = (int) Linux.call(Linux.SYS_MEMFD_CREATE, name.address(), 1);
                readMultishot(s, memfd, 4, 20);
                out.addAll(s.submitAndAwait(1));
                Linux.close(memfd);
                readMultishot(s, p[0], 9, 21);
                out.addAll(s.submitAndAwait(1));
                readMultishot(s, 999, 4, 22);
                out.addAll(s.submitAndAwait(1));
                return checked(out);
            }
        });
    }

    @Test
    void anIncrementalRingIsConsumedByWhatEachReadTook() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] p = s.pipe();
                MemorySegment ring = s.ringMemory(1);
                MemorySegment buf = m.allocate(32);
                RingScenario.addBuf(ring, 0, 0, buf.address(), 32, 5);
                RingScenario.storeReleaseTail(ring, 1);
                List<Cqe> out = new ArrayList<>();
                out.add(KbufTest.result(0, s.register(IORING_REGISTER_PBUF_RING, s.bufReg(ring.address(), 1, 6,
                        IOU_PBUF_RING_INC, 0), 1)));
                readMultishot(s, p[0], 6, 2);
                s.submit();
                for (String w : new String[] {"0123456789", "abcdefghij", "ABCDEFGHIJKLMNOPQRST"}) {
                    s.write(p[1], w);
                    out.addAll(s.await(1));
                    long e = IoUringBufRing.BUFS_OFFSET;
                    out.add(KbufTest.result(10, (int) (ring.get(JAVA_LONG, e + IoUringBuf.ADDR_OFFSET)
                            - buf.address())));
                    out.add(KbufTest.result(11, ring.get(JAVA_INT, e + IoUringBuf.LEN_OFFSET)));
                }
                out.addAll(s.await(1));
                out.addAll(RingScenario.data(buf));
                return checked(out);
            }
        });
    }

    @Test
    void onIoWqAMultishotReadOnlyArmsItsPoll() throws Exception {
        sameOnBoth((k, m) -> {
            try (RingScenario s = new RingScenario(k, m, 8)) {
                int[] p = s.pipe();
                int[] full = s.pipe();
                MemorySegment name = m.allocate(8);
                int memfd = (int) Linux.call(Linux.SYS_MEMFD_CREATE, name.address(), 1);
                s.provide(1, m.allocate(64).address(), 8, 8, 4, 0);
                List<Cqe> out = new ArrayList<>(s.submitAndAwait(1));
                long at = readMultishot(s, p[0], 4, 2);
                Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT | dev.ringspec.uapi.IoUring.IOSQE_ASYNC);
                s.submit();
                s.write(p[1], "abc");
                out.addAll(s.await(1));
                s.write(full[1], "ready");
                at = readMultishot(s, full[0], 4, 3);
                Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT | dev.ringspec.uapi.IoUring.IOSQE_ASYNC);
                out.addAll(s.submitAndAwait(1));
                at = readMultishot(s, memfd, 4, 4);
                Sqe.flags(s.d.sqes(), at, IOSQE_BUFFER_SELECT | dev.ringspec.uapi.IoUring.IOSQE_ASYNC);
                out.addAll(s.submitAndAwait(1));
                Linux.close(memfd);
                return checked(out);
            }
        });
    }
}

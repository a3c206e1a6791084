package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_EXT_ARG;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.RingGeometry;
import dev.ringspec.uapi.IoCqringOffsets;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringGeteventsArg;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Addresses inside arguments resolve through UserMemory or fail with -EFAULT, never a JVM crash: NO_MMAP rings in
 * the application's memory (kernel: io_create_region), EXT_ARG pointers (io_get_ext_arg), heap arguments.
 */
class ArgumentMemoryTest {

    @Test
    void noMmapPlacesTheRingsInTheApplicationsMemory() {
        try (ModelFixture f = ModelFixture.of()) {
            MemorySegment rings = f.memory.allocate(RingGeometry.ringsSizeBytes(IORING_SETUP_NO_MMAP, 4, 8), 4096);
            MemorySegment sqes = f.memory.allocate(4 * 64, 4096);
            f.params = f.memory.allocate(IoUringParams.SIZE_BYTES);
            f.params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_NO_MMAP);
            f.params.set(JAVA_LONG, IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET, rings.address());
            f.params.set(JAVA_LONG, IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.USER_ADDR_OFFSET, sqes.address());
            f.ring = f.model.setup(4, f.params).ringOrNull();
            assertThat(f.ring).isNotNull();
            assertThat(f.ring.cqRing().address()).isEqualTo(rings.address());
            assertThat(f.ring.sqes().address()).isEqualTo(sqes.address());
            assertThat(f.params.get(JAVA_LONG, IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET))
                    .isEqualTo(rings.address());
            f.driver = new dev.ringspec.seam.RingDriver(f.model, f.ring);
            f.nop(5);
            f.submit();
            assertThat(f.userDatas(f.reapAll())).containsExactly(5L);
        }
    }

    @Test
    void noMmapWithUnknownOrMisalignedAddressesFails() {
        try (ModelFixture f = ModelFixture.of()) {
            MemorySegment p = f.memory.allocate(IoUringParams.SIZE_BYTES);
            p.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_NO_MMAP);
            p.set(JAVA_LONG, IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET, 0x7000_0000_0000L);
            p.set(JAVA_LONG, IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.USER_ADDR_OFFSET, 0x7000_0001_0000L);
            assertThat(f.model.setup(4, p).result()).isEqualTo(-14);
            p.set(JAVA_LONG, IoUringParams.CQ_OFF_OFFSET + IoCqringOffsets.USER_ADDR_OFFSET, 0x7000_0000_0010L);
            assertThat(f.model.setup(4, p).result()).isEqualTo(-22);
        }
    }

    @Test
    void extArgPointersThatResolveToNothingFault() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            int flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
            assertThat(f.model.enter(f.ring, 0, 0, flags, MemorySegment.NULL, IoUringGeteventsArg.SIZE_BYTES))
                    .isEqualTo(-14);
            MemorySegment arg = f.memory.allocate(IoUringGeteventsArg.SIZE_BYTES);
            arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, 0x10);
            assertThat(f.model.enter(f.ring, 0, 0, flags, arg, IoUringGeteventsArg.SIZE_BYTES)).isEqualTo(-14);
            arg.set(JAVA_LONG, IoUringGeteventsArg.TS_OFFSET, 0);
            assertThat(f.model.enter(f.ring, 0, 0, flags, arg, IoUringGeteventsArg.SIZE_BYTES)).isZero();
        }
    }

    @Test
    void heapArgumentsWorkLikeNativeOnes() {
        try (ModelFixture f = ModelFixture.of().setup(4, 0)) {
            MemorySegment probe = MemorySegment.ofArray(new byte[(int) IoUringProbe.SIZE_BYTES + 3]).asSlice(3);
            assertThat(f.model.register(f.ring, IORING_REGISTER_PROBE, probe, 0)).isZero();
            assertThat(probe.get(java.lang.foreign.ValueLayout.JAVA_BYTE, IoUringProbe.LAST_OP_OFFSET))
                    .isEqualTo((byte) 62);
        }
    }
}

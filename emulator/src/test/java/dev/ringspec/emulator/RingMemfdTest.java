package dev.ringspec.emulator;

import static dev.ringspec.emulator.sys.Linux.SYS_FCNTL;
import static dev.ringspec.emulator.sys.Linux.SYS_FSTAT;
import static dev.ringspec.emulator.sys.Linux.SYS_FTRUNCATE;
import static dev.ringspec.emulator.sys.Linux.SYS_MMAP;
import static dev.ringspec.emulator.sys.Linux.SYS_MUNMAP;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoCqringOffsets;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A ring's regions live in its memfd at the kernel's mmap offsets: another mapping of the descriptor (as a hosted
 * program makes, by {@code mmap(fd, IORING_OFF_SQ_RING)} and {@code IORING_OFF_SQES}) drives the ring.
 */
class RingMemfdTest {
    private static final long OFF_SQES = 0x10000000L;
    private static final long PAGE = 4096;

    @Test
    void aSecondMappingOfTheDescriptorDrivesTheRing() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring io = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory)) {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            Ring ring = io.setup(8, params).ringOrNull();
            assertThat(ring).isNotNull();
            long sq = IoUringParams.SQ_OFF_OFFSET;
            long cq = IoUringParams.CQ_OFF_OFFSET;
            int sqTail = params.get(JAVA_INT, sq + IoSqringOffsets.TAIL_OFFSET);
            int sqArray = params.get(JAVA_INT, sq + IoSqringOffsets.ARRAY_OFFSET);
            int cqTail = params.get(JAVA_INT, cq + IoCqringOffsets.TAIL_OFFSET);
            int cqes = params.get(JAVA_INT, cq + IoCqringOffsets.CQES_OFFSET);
            long ringBytes = sqArray + 8L * 4;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment rings = map(arena, ring.fd(), 0, ringBytes);
                MemorySegment sqes = map(arena, ring.fd(), OFF_SQES, 8 * 64);
                // the ring header the emulator wrote is in the second mapping
                assertThat(rings.get(JAVA_INT, params.get(JAVA_INT, sq + IoSqringOffsets.RING_ENTRIES_OFFSET)))
                        .isEqualTo(8);
                assertThat(rings.get(JAVA_INT, params.get(JAVA_INT, cq + IoCqringOffsets.RING_ENTRIES_OFFSET)))
                        .isEqualTo(16);
                for (int i = 0; i < 3; i++) {
                    MemorySegment sqe = sqes.asSlice(64L * i, 64).fill((byte) 0);
                    sqe.set(JAVA_BYTE, IoUringSqe.OPCODE_OFFSET, (byte) IORING_OP_NOP);
                    sqe.set(JAVA_LONG, IoUringSqe.USER_DATA_OFFSET, 0x5150L + i);
                    rings.set(JAVA_INT, sqArray + 4L * i, i);
                }
                rings.set(JAVA_INT, sqTail, 3);
                assertThat(io.enter(ring, 3, 3, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isEqualTo(3);
                assertThat(rings.get(JAVA_INT, cqTail)).isEqualTo(3);
                for (int i = 0; i < 3; i++) {
                    assertThat(rings.get(JAVA_LONG, cqes + 16L * i)).isEqualTo(0x5150L + i);
                    assertThat(rings.get(JAVA_INT, cqes + 16L * i + 8)).isZero();
                }
            }
            assertThat(io.close(ring)).isZero();
        }
    }

    @Test
    void theMemfdIsSparseSealedAndSizedToTheSqes() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring io = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
                Arena arena = Arena.ofConfined()) {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            Ring ring = io.setup(8, params).ringOrNull();
            MemorySegment st = arena.allocate(256, 8);
            assertThat(Linux.call(SYS_FSTAT, ring.fd(), st.address())).isZero();
            // st_size at 48, st_blocks (512-byte units) at 64 on x86_64 and arm64
            assertThat(st.get(JAVA_LONG, 48)).isEqualTo(OFF_SQES + PAGE);
            assertThat(st.get(JAVA_LONG, 64) * 512).isLessThanOrEqualTo(4 * PAGE);
            // F_GET_SEALS: seal, shrink and grow
            assertThat(Linux.call(SYS_FCNTL, ring.fd(), 1034, 0)).isEqualTo(1 | 2 | 4);
            assertThat(Linux.call(SYS_FTRUNCATE, ring.fd(), 0)).isEqualTo(-Errno.EPERM);
            io.close(ring);
        }
    }

    @Test
    void aCqe32RingDoublesTheWholeRingsRegion() {
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring io = EmulatedIoUring.open(KernelProfile.LINUX_6_18, memory);
                Arena arena = Arena.ofConfined()) {
            MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
            params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, IORING_SETUP_CQE32);
            Ring ring = io.setup(8, params).ringOrNull();
            // measured on 6.18.44 (hosting.md): the SQ array of an 8/16 CQE32 ring is at 640, header doubled too
            int sqArray = params.get(JAVA_INT, IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.ARRAY_OFFSET);
            assertThat(sqArray).isEqualTo(640);
            MemorySegment rings = map(arena, ring.fd(), 0, sqArray + 32);
            ring.sqRing().set(JAVA_INT, sqArray + 4, 0x77);
            assertThat(rings.get(JAVA_INT, sqArray + 4)).isEqualTo(0x77);
            io.close(ring);
        }
    }

    @SuppressWarnings("restricted") // a second mapping of the ring's memfd, unmapped when the test's arena closes
    private static MemorySegment map(Arena arena, int fd, long offset, long bytes) {
        long size = (bytes + PAGE - 1) & -PAGE;
        long address = Linux.call(SYS_MMAP, 0, size, 3, 1, fd, offset);
        assertThat(address).as("mmap of the ring's descriptor at %#x", offset).isPositive();
        return MemorySegment.ofAddress(address).reinterpret(size, arena, s -> Linux.call(SYS_MUNMAP, address, size));
    }
}

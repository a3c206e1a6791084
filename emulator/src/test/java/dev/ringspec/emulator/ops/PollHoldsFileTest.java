package dev.ringspec.emulator.ops;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.Cqe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A request waiting for its file to be ready holds the file, as the kernel's request holds {@code req->file}: the
 * application closing its descriptor meanwhile does not close the file. A READ of an empty pipe waits; the
 * application closes the read end; a write into the pipe still finds a reader (8 bytes written, not -EPIPE). On this
 * kernel and on the emulator.
 */
@Tag("kernel")
@Timeout(60)
class PollHoldsFileTest {

    @Test
    void aPipesReadEndClosedByTheApplicationStaysOpenWhileAReadWaitsOnIt() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] pipe = w.pipe();
            MemorySegment buffer = r.memory.allocate(8);
            r.read8(pipe[0], buffer, 3);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.d.ready()).as("the read waits").isZero();
            w.close(pipe[0]);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment bytes = arena.allocate(8);
                assertThat(Linux.call(Linux.SYS_WRITE, pipe[1], bytes.address(), 8))
                        .as("a write into the pipe whose read end the application closed").isEqualTo(8);
            }
            return List.of();
        }));
    }

    @Test
    void aReadWhoseDescriptorTheApplicationClosedWhileItWaitedReadsThroughTheFileItHolds() throws Exception {
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] pipe = w.pipe();
            MemorySegment buffer = r.memory.allocate(8);
            r.read8(pipe[0], buffer, 4);
            assertThat(r.submit()).isEqualTo(1);
            assertThat(r.d.ready()).as("the read waits").isZero();
            w.close(pipe[0]);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment bytes = arena.allocate(8);
                bytes.set(JAVA_LONG, 0, 0x0123456789abcdefL);
                assertThat(Linux.call(Linux.SYS_WRITE, pipe[1], bytes.address(), 8)).isEqualTo(8);
            }
            // the request reads through its own reference: 8 bytes, not -EBADF for the closed number
            List<Cqe> cqes = r.settle(1);
            assertThat(buffer.get(JAVA_LONG, 0)).as("the bytes the read placed").isEqualTo(0x0123456789abcdefL);
            return cqes;
        }));
    }

    @Test
    void theReferencesWaitingRequestsHoldAreGivenBackWithTheRequests() throws Exception {
        Set<String> before = Linux.openDescriptors();
        // a READ that completes, one that is cancelled, and one left waiting when its ring closes
        aReadWhoseDescriptorTheApplicationClosedWhileItWaitedReadsThroughTheFileItHolds();
        BothSides.sameOnBoth(TestRing.on((w, r) -> {
            int[] pipe = w.pipe();
            MemorySegment buffer = r.memory.allocate(16);
            r.read8(pipe[0], buffer, 5);
            r.read8(pipe[0], buffer.asSlice(8), 6);
            assertThat(r.submit()).isEqualTo(2);
            assertThat(r.d.ready()).as("both reads wait").isZero();
            return r.cancelAndSettle(5, 9, 2);
        }));
        Set<String> left = Linux.openDescriptors();
        left.removeAll(before);
        assertThat(left).as("descriptors left open").isEmpty();
    }
}

package dev.ringspec.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Register opcodes hosted, natively and hosted the same with nothing reported as not hosted:
 * registered ring descriptors (src/test/c/registered-ring.c: IORING_REGISTER_RING_FDS at an offset and at any,
 * io_uring_enter and io_uring_register through a slot, each refusal in the kernel's order, unknown enter flags before
 * the slot and a thread without an io_uring_task -EINVAL, a ring used through its slot after the program closed its
 * descriptor, unregistering, the slots of a thread that exits emptied, so the ring they held ends), and
 * IORING_REGISTER_FILE_ALLOC_RANGE (src/test/c/file-alloc-range.c).
 */
@Tag("kernel")
class HostedRegisterOpsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void canHost() {
        HostSupport.assumeHostable();
    }

    @Test
    void ringsRegisteredByEachThreadAreUsedByIndex() throws Exception {
        HostSupport.Both run = HostSupport.sameBothWays(dir, "registered-ring");
        assertThat(run.natively()).contains("register at any offset: 1, offset 0", "after the descriptor's close: 1",
                "another thread's enter at the same index: -22", "a thread registers a ring and exits: 1",
                "the write end closed with the ring: yes");
    }

    @Test
    void directDescriptorsAreAllocatedInTheRangeSet() throws Exception {
        HostSupport.Both run = HostSupport.sameBothWays(dir, "file-alloc-range");
        assertThat(run.natively()).contains("socket 1: 5", "socket 2: -23", "overflowing: -75");
    }
}

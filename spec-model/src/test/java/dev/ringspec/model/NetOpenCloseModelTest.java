package dev.ringspec.model;

import static dev.ringspec.model.BpfFilterFixture.path;
import static dev.ringspec.model.BpfFilterFixture.socket;
import static dev.ringspec.model.BpfFilterFixture.sqe;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ringspec.seam.Sqe;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * SOCKET, CONNECT, OPENAT and OPENAT2 outside the model's world (WORLD.md): forms whose answer the arguments alone
 * do not fix fail loudly, naming the form, instead of guessing. What the world holds is the scenario
 * {@code WorldOpcodesTest}, run on the model and on the 7.2 and 7.3 guests.
 */
class NetOpenCloseModelTest {
    private static final int AF_UNIX = 1;

    private static ModelFixture ring() {
        return ModelFixture.of(KernelProfile.LINUX_7_2).setup(8, 0);
    }

    // io_socket: a plain SOCKET that succeeds installs a descriptor in the process's table, which the model lacks
    @Test
    void aPlainSocketThatWouldSucceedThrows() {
        try (ModelFixture f = ring()) {
            socket(f, 1, AF_UNIX, 1, 0, 0);
            assertThatThrownBy(f::submit).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("direct descriptor");
        }
    }

    // __sock_create: a family below NPROTO depends on what the kernel was built with
    @Test
    void aFamilyTheBuildDecidesThrows() {
        try (ModelFixture f = ring()) {
            socket(f, 1, 17, 3, 0, 1);
            assertThatThrownBy(f::submit).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("family 17");
        }
    }

    // io_connect: a CONNECT that finds its file would connect a real socket
    @Test
    void aConnectWithAFileThrows() {
        try (ModelFixture f = ring()) {
            long at = sqe(f, IORING_OP_CONNECT, 1);
            Sqe.fd(f.driver.sqes(), at, 0);
            assertThatThrownBy(f::submit).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("CONNECT on a file");
        }
    }

    // delayed_getname may accept an empty path at prep or refuse it: the model does not guess which
    @Test
    void anEmptyPathThrows() {
        try (ModelFixture f = ring()) {
            Sqe.addr(f.driver.sqes(), sqe(f, IORING_OP_OPENAT, 1), path(f, ""));
            assertThatThrownBy(f::submit).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("empty path");
        }
    }

    // an existing path, and RESOLVE_CACHED (a cached lookup may answer -EAGAIN), are outside the world
    @Test
    void existingPathsAndCachedLookupsThrow() {
        try (ModelFixture f = ring()) {
            Sqe.addr(f.driver.sqes(), sqe(f, IORING_OP_OPENAT, 1), path(f, "/etc/passwd"));
            assertThatThrownBy(f::submit).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("/etc/passwd");
        }
        try (ModelFixture f = ring()) {
            MemorySegment how = f.memory.allocate(24, 8);
            how.set(JAVA_LONG, 16, 0x20);
            long at = sqe(f, IORING_OP_OPENAT2, 1);
            Sqe.addr(f.driver.sqes(), at, path(f, "/ringspec-absent/x"));
            Sqe.off(f.driver.sqes(), at, how.address());
            Sqe.len(f.driver.sqes(), at, 24);
            assertThatThrownBy(f::submit).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("resolve 20");
        }
    }

    // IoIssueDefs: CONNECT is modelled from 6.12 (6.1.192 copies the address in io_connect_prep_async)
    @Test
    void connectIsNotModelledOn61() {
        assertThat(new IoIssueDefs(KernelProfile.LINUX_6_1, java.util.Set.of()).def(IORING_OP_CONNECT).modelled())
                .isFalse();
        assertThat(new IoIssueDefs(KernelProfile.LINUX_6_12, java.util.Set.of()).def(IORING_OP_CONNECT).modelled())
                .isTrue();
    }
}

package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a sender and a receiver see of a socket filter's verdict on this kernel: sk_filter_trim_cap tosses on 0 and
 * trims to a smaller result, unix_dgram_sendmsg tells the sender nothing, the attach answers the checker's errno.
 */
@Tag("kernel")
class SocketFilterKernelTest {
    private static final byte[] TEN = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};

    private SocketFilterKernel kernel;

    @BeforeEach
    void open() {
        SocketFilterKernel.Availability availability = SocketFilterKernel.probe();
        assumeTrue(availability.available(), availability.reason());
        kernel = SocketFilterKernel.open();
    }

    @AfterEach
    void close() {
        if (kernel != null) {
            kernel.close();
        }
    }

    private static SockFilter retK(int k) {
        return SockFilter.stmt(BPF_RET | BPF_K, k);
    }

    @Test
    void resultZeroTossesTheDatagramWithoutTellingTheSender() {
        assertThat(kernel.attach(List.of(retK(0)))).isZero();
        SocketFilterKernel.Delivery d = kernel.deliver(TEN);
        assertThat(d.sent()).isEqualTo(10);
        assertThat(d.received()).isEqualTo(-Errno.EAGAIN);
        assertThat(d.dropped()).isTrue();
    }

    @Test
    void aSmallerResultTrimsTheDatagramToItsFirstBytes() {
        assertThat(kernel.attach(List.of(retK(3)))).isZero();
        SocketFilterKernel.Delivery d = kernel.deliver(TEN);
        assertThat(d.sent()).isEqualTo(10);
        assertThat(d.bytes()).containsExactly(10, 11, 12);
    }

    @Test
    void aResultAtOrAboveTheLengthKeepsTheDatagramWhole() {
        for (int k : new int[] {10, 11, -1}) {
            assertThat(kernel.attach(List.of(retK(k)))).isZero();
            assertThat(kernel.deliver(TEN).bytes()).as("ret #%d", k).isEqualTo(TEN);
        }
    }

    @Test
    void anEmptyDatagramKeptArrivesEmptyAndDroppedDoesNotArrive() {
        assertThat(kernel.attach(List.of(retK(1)))).isZero();
        assertThat(kernel.deliver(new byte[0]).received()).isZero();
        assertThat(kernel.attach(List.of(retK(0)))).isZero();
        assertThat(kernel.deliver(new byte[0]).dropped()).isTrue();
    }

    @Test
    void theAccumulatorReturnedIsTheLength() {
        // ld len; ret a: the whole datagram, whatever its length
        assertThat(kernel.attach(List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_LEN, 0),
                SockFilter.stmt(BPF_RET | BPF_A, 0)))).isZero();
        assertThat(kernel.deliver(TEN).received()).isEqualTo(10);
        // ldb [0]; ret a: the first byte's value (10) as the length
        assertThat(kernel.attach(List.of(SockFilter.stmt(BPF_LD | BPF_B | BPF_ABS, 0),
                SockFilter.stmt(BPF_RET | BPF_A, 0)))).isZero();
        assertThat(kernel.deliver(new byte[] {2, 9, 9, 9}).bytes()).containsExactly(2, 9);
    }

    @Test
    void aLoadPastTheEndEndsTheProgramWithZero() {
        // ld [7] (four bytes from 7 of a ten-byte datagram reaches 11); ret #-1
        assertThat(kernel.attach(List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_ABS, 7), retK(-1)))).isZero();
        assertThat(kernel.deliver(TEN).dropped()).isTrue();
        // ld [6] ends at 10: in range
        assertThat(kernel.attach(List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_ABS, 6), retK(-1)))).isZero();
        assertThat(kernel.deliver(TEN).received()).isEqualTo(10);
    }

    @Test
    void aDivisionByAnXOfZeroEndsTheProgramWithZero() {
        // ldx #0; ld #5; div x; ret #-1
        assertThat(kernel.attach(List.of(SockFilter.stmt(BPF_LDX | BPF_IMM, 0), SockFilter.stmt(BPF_LD | BPF_IMM, 5),
                SockFilter.stmt(BPF_ALU | BPF_DIV | BPF_X, 0), retK(-1)))).isZero();
        assertThat(kernel.deliver(TEN).dropped()).isTrue();
    }

    @Test
    void theCheckerRefusesWithEinvalAndTheOldFilterStays() {
        assertThat(kernel.attach(List.of(retK(2)))).isZero();
        // div #0
        assertThat(kernel.attach(List.of(SockFilter.stmt(BPF_ALU | BPF_DIV | BPF_K, 0), retK(1))))
                .isEqualTo(-Errno.EINVAL);
        // no return at the end
        assertThat(kernel.attach(List.of(SockFilter.stmt(BPF_LD | BPF_IMM, 1)))).isEqualTo(-Errno.EINVAL);
        // no instructions, and one too many
        assertThat(kernel.attach(List.of())).isEqualTo(-Errno.EINVAL);
        List<SockFilter> tooLong = new ArrayList<>(Arrays.asList(new SockFilter[Filter.BPF_MAXINSNS + 1]));
        tooLong.replaceAll(x -> retK(1));
        assertThat(kernel.attach(tooLong)).isEqualTo(-Errno.EINVAL);
        assertThat(kernel.deliver(TEN).bytes()).containsExactly(10, 11);
    }

    @Test
    void theLongestProgramIsTakenAndDetachRemovesIt() {
        List<SockFilter> longest = new ArrayList<>(Arrays.asList(new SockFilter[Filter.BPF_MAXINSNS]));
        longest.replaceAll(x -> retK(4));
        assertThat(kernel.attach(longest)).isZero();
        assertThat(kernel.deliver(TEN).received()).isEqualTo(4);
        assertThat(kernel.detach()).isZero();
        assertThat(kernel.deliver(TEN).received()).isEqualTo(10);
        assertThat(kernel.detach()).isEqualTo(-Errno.ENOENT);
    }
}

package dev.ringspec.nativerunner;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * This kernel's classic-BPF checker and interpreter, reached through a socket filter: a connected pair of
 * {@code AF_UNIX} datagram sockets, a program attached to the receiving end with {@code SO_ATTACH_FILTER}, one
 * datagram sent from the other end and received with {@code MSG_DONTWAIT}.
 *
 * <p>What each side sees (net/unix/af_unix.c {@code unix_dgram_sendmsg}, net/core/filter.c
 * {@code sk_filter_trim_cap}): the sender runs the receiver's filter over the datagram, whose bytes are the packet
 * ({@code skb->data}, {@code skb->len}, linear below {@code SKB_MAX_ALLOC}). A result of 0 tosses the datagram but
 * {@code send} still returns its length ("do not return any error to the sender"); the receiver then finds nothing
 * ({@code -EAGAIN}). A result {@code r} smaller than the length trims the datagram to {@code max(1, r)} = {@code r}
 * bytes ({@code sk_filter} passes cap 1); a result at or above the length keeps it whole. A program that ends by a
 * failed load, or by a division or modulo by an X of zero, returns 0 (bpf_convert_filter emits the exit), so it
 * drops. The attach itself answers {@code -EINVAL} for any program {@code bpf_check_classic} refuses (and for a
 * length of 0 or above {@link Filter#BPF_MAXINSNS}), and {@code -ENOMEM} when the converted program does not fit
 * {@code net.core.optmem_max} beside the filter it replaces ({@code __sk_filter_charge}); a refused attach leaves
 * the previous filter in place.
 *
 * <p>One instance owns its sockets and its native buffers and is used from one thread.
 */
public final class SocketFilterKernel implements AutoCloseable {
    public static final int AF_UNIX = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_ATTACH_FILTER = 26;
    public static final int SO_DETACH_FILTER = 27;
    public static final int MSG_DONTWAIT = 0x40;
    /** The longest datagram {@link #deliver} sends: linear in the kernel (below {@code SKB_MAX_ALLOC}). */
    public static final int MAX_DATAGRAM_BYTES = 8192;

    /**
     * {@code struct sock_fprog} of {@code linux/filter.h} on a 64-bit machine:
     *
     * <pre>{@code
     * struct sock_fprog {
     *     unsigned short       len;     // number of filter blocks
     *     struct sock_filter  *filter;
     * };
     * }</pre>
     */
    public static final StructLayout SOCK_FPROG = structLayout(
            JAVA_SHORT.withName("len"), paddingLayout(6), ADDRESS.withName("filter")).withName("sock_fprog");
    private static final long FPROG_LEN_OFFSET = 0;
    private static final long FPROG_FILTER_OFFSET = 8;

    private final Arena arena = Arena.ofConfined();
    private final int sender;
    private final int receiver;
    private final MemorySegment fprog;
    private final MemorySegment instructions;
    private final MemorySegment sendBuffer;
    private final MemorySegment receiveBuffer;

    private SocketFilterKernel(int sender, int receiver) {
        this.sender = sender;
        this.receiver = receiver;
        this.fprog = arena.allocate(SOCK_FPROG);
        this.instructions = arena.allocate(SockFilter.SIZE_BYTES * (Filter.BPF_MAXINSNS + 1), 8);
        this.sendBuffer = arena.allocate(MAX_DATAGRAM_BYTES);
        this.receiveBuffer = arena.allocate(MAX_DATAGRAM_BYTES + 1);
    }

    /** What one datagram went through: the sender's result, and the receiver's result and bytes. */
    public record Delivery(long sent, long received, byte[] bytes) {
        /** The filter tossed the datagram: the sender was told it went, the receiver has nothing. */
        public boolean dropped() {
            return received == -Errno.EAGAIN;
        }

        @Override
        public String toString() {
            return "send " + Errno.describe(sent) + ", recv " + (dropped() ? "nothing (EAGAIN)"
                    : Errno.describe(received));
        }
    }

    /** Whether socket filters can be used here, and why not. */
    public record Availability(boolean available, String reason) {
    }

    /**
     * Opens a pair and attaches a one-instruction program that keeps everything, to tell whether socket filters work
     * here; the reason in one sentence where they do not (socketpair or setsockopt refused, as a seccomp policy
     * may).
     */
    public static Availability probe() {
        try (SocketFilterKernel kernel = open()) {
            int r = kernel.attach(List.of(SockFilter.stmt(Filter.BPF_RET | Filter.BPF_K, -1)));
            if (r < 0) {
                return new Availability(false, "SO_ATTACH_FILTER of a program that keeps everything failed with "
                        + Errno.describe(r));
            }
            Delivery d = kernel.deliver(new byte[] {1, 2, 3});
            if (d.received() != 3) {
                return new Availability(false, "a datagram through a keep-all socket filter came back as " + d);
            }
            return new Availability(true, "socket filters work");
        } catch (IllegalStateException e) {
            return new Availability(false, e.getMessage());
        }
    }

    /** A connected pair of AF_UNIX datagram sockets without a filter; throws with the errno if none can be made. */
    public static SocketFilterKernel open() {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment fds = scratch.allocate(ValueLayout.JAVA_INT, 2);
            int r = Native.Socketpair.call(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds);
            if (r < 0) {
                throw new IllegalStateException("socketpair(AF_UNIX, SOCK_DGRAM) failed with " + Errno.describe(r));
            }
            return new SocketFilterKernel(fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1));
        }
    }

    /**
     * {@code setsockopt(receiver, SOL_SOCKET, SO_ATTACH_FILTER, {len, program})}: 0, or the kernel's {@code -errno}.
     * Up to {@link Filter#BPF_MAXINSNS} + 1 instructions are passed as given, so an over-long program reaches the
     * kernel's own length check.
     */
    public int attach(List<SockFilter> program) {
        if (program.size() > Filter.BPF_MAXINSNS + 1) {
            throw new IllegalArgumentException("at most " + (Filter.BPF_MAXINSNS + 1) + " instructions are passed; "
                    + "got " + program.size());
        }
        SockFilter.writeAll(program, instructions, 0);
        fprog.set(JAVA_SHORT, FPROG_LEN_OFFSET, (short) program.size());
        fprog.set(ADDRESS, FPROG_FILTER_OFFSET, instructions);
        return Native.Setsockopt.call(receiver, SOL_SOCKET, SO_ATTACH_FILTER, fprog, (int) SOCK_FPROG.byteSize());
    }

    /** {@code SO_DETACH_FILTER}: 0, or {@code -ENOENT} when no filter is attached. */
    public int detach() {
        return Native.Setsockopt.call(receiver, SOL_SOCKET, SO_DETACH_FILTER, fprog, Integer.BYTES);
    }

    /**
     * Sends {@code datagram} to the filtered end and receives once without waiting: what the sender was told, and
     * what arrived ({@code -EAGAIN} when the filter tossed it). The receive queue is empty again afterwards.
     */
    public Delivery deliver(byte[] datagram) {
        if (datagram.length > MAX_DATAGRAM_BYTES) {
            throw new IllegalArgumentException("datagrams of at most " + MAX_DATAGRAM_BYTES + " bytes; got "
                    + datagram.length);
        }
        MemorySegment.copy(datagram, 0, sendBuffer, ValueLayout.JAVA_BYTE, 0, datagram.length);
        long sent = Native.SendRecv.send(sender, sendBuffer, datagram.length, 0);
        long received = Native.SendRecv.recv(receiver, receiveBuffer, receiveBuffer.byteSize(), MSG_DONTWAIT);
        byte[] bytes = received > 0 ? receiveBuffer.asSlice(0, received).toArray(ValueLayout.JAVA_BYTE) : new byte[0];
        return new Delivery(sent, received, bytes);
    }

    @Override
    public void close() {
        Native.Close.call(sender);
        Native.Close.call(receiver);
        arena.close();
    }
}

package dev.ringspec.bpf;

import dev.ringspec.uapi.SockFilter;

import java.util.List;
import java.util.Set;

/**
 * The entry points of the classic-BPF model: check a program as the kernel's classic checker, as a socket filter
 * or as an io_uring filter; run it on a datagram or on an io_uring context. Every method has a form without
 * mutants (the kernel) and one with a set of {@link BpfMutant}s.
 */
public final class ClassicBpf {
    private ClassicBpf() {
    }

    /** {@code bpf_check_basics_ok} and {@code bpf_check_classic} (net/core/filter.c), shared by every user. */
    public static CheckResult check(List<SockFilter> program) {
        return check(program, Set.of());
    }

    public static CheckResult check(List<SockFilter> program, Set<BpfMutant> mutants) {
        return ClassicChecker.check(program, mutants);
    }

    /** {@code setsockopt(SO_ATTACH_FILTER)} on a fresh socket of this machine ({@code sk_attach_filter}). */
    public static CheckResult checkSocketFilter(List<SockFilter> program) {
        return checkSocketFilter(program, Set.of());
    }

    public static CheckResult checkSocketFilter(List<SockFilter> program, Set<BpfMutant> mutants) {
        return SocketFilterChecker.skAttachFilter(program, SocketFilterChecker.DEFAULT_OPTMEM_MAX, mutants);
    }

    /** The program of {@code IORING_REGISTER_BPF_FILTER} ({@code bpf_prog_create_from_user} with io_uring's check). */
    public static CheckResult checkIoUringFilter(List<SockFilter> program) {
        return checkIoUringFilter(program, Set.of());
    }

    public static CheckResult checkIoUringFilter(List<SockFilter> program, Set<BpfMutant> mutants) {
        return IoUringCbpfChecker.check(program, mutants);
    }

    /** Runs a socket filter on an {@code AF_UNIX} datagram carrying {@code payload}. */
    public static RunResult runOnDatagram(ClassicProgram program, byte[] payload) {
        return runOnDatagram(program, payload, Set.of());
    }

    public static RunResult runOnDatagram(ClassicProgram program, byte[] payload, Set<BpfMutant> mutants) {
        return new ClassicInterpreter().run(program, UnixDatagram.wrap(payload), mutants);
    }

    /** Runs an io_uring filter on a 40-byte {@code struct io_uring_bpf_ctx}. */
    public static RunResult runOnIoUringContext(ClassicProgram program, byte[] ctx) {
        return runOnIoUringContext(program, ctx, Set.of());
    }

    public static RunResult runOnIoUringContext(ClassicProgram program, byte[] ctx, Set<BpfMutant> mutants) {
        return new ClassicInterpreter().run(program, IoUringContext.of(ctx), mutants);
    }

    /**
     * What a receiver of an {@code AF_UNIX} datagram gets when its socket filter returns {@code value}
     * ({@code sk_filter_trim_cap} with cap 1): -1 when 0 drops it (the sender's {@code send} still returns the full
     * length), else the datagram trimmed to {@code min(length, max(1, value))} bytes.
     */
    public static long deliveredLength(int payloadLength, int value) {
        if (value == 0) {
            return -1;
        }
        return Math.min(payloadLength, Math.max(1L, Integer.toUnsignedLong(value)));
    }
}

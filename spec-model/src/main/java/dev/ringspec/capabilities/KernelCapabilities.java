package dev.ringspec.capabilities;

import java.util.List;
import java.util.Set;

/**
 * What an io_uring backend supports, found by asking it (PROBE, QUERY, the features word) and by trial setups and
 * registrations, never by comparing version numbers.
 *
 * @param backend who answered, for example {@code "Linux 6.18.44 (FFM)"}
 * @param release the kernel release (uname) or the profile's version
 * @param features {@code io_uring_params.features} from a plain setup
 * @param setupFlags the {@code IORING_SETUP_*} bits a setup accepts, each tried with its prerequisites
 * @param lastOp {@code io_uring_probe.last_op}: {@code IORING_OP_LAST - 1}
 * @param opcodes the request opcodes PROBE marks {@code IO_URING_OP_SUPPORTED}
 * @param registerOpcodes the register opcodes below QUERY's {@code nr_register_opcodes}; empty without QUERY
 * @param nopFlags the {@code IORING_NOP_*} bits a NOP accepts
 * @param query the {@code IO_URING_QUERY_OPCODES} answer, or {@code null} without QUERY
 * @param named the named features present
 * @param resizeNeedsDeferTaskrun whether RESIZE_RINGS refuses a ring without DEFER_TASKRUN (-EINVAL) while it
 *     accepts one with it
 * @param notModelled features a Java backend answered "not modelled" for (never any on the kernel); they are
 *     not in {@code named}, and no conclusion about the kernel version they belong to may be drawn from them
 * @param blockedCalls the io_uring system calls refused with EPERM on every trial ({@code "io_uring_register"}):
 *     blocked for this process (a seccomp filter, as container runtimes install), not absent from the kernel; what
 *     only they could show is unknown, not missing
 */
public record KernelCapabilities(
        String backend,
        String release,
        int features,
        int setupFlags,
        int lastOp,
        List<Integer> opcodes,
        List<Integer> registerOpcodes,
        int nopFlags,
        QueryOpcodes query,
        Set<Feature> named,
        boolean resizeNeedsDeferTaskrun,
        Set<Feature> notModelled,
        Set<String> blockedCalls) {

    public KernelCapabilities {
        opcodes = List.copyOf(opcodes);
        registerOpcodes = List.copyOf(registerOpcodes);
        named = Set.copyOf(named);
        notModelled = Set.copyOf(notModelled);
        blockedCalls = Set.copyOf(blockedCalls);
    }

    /** Capabilities of a backend none of whose calls is blocked. */
    public KernelCapabilities(String backend, String release, int features, int setupFlags, int lastOp,
            List<Integer> opcodes, List<Integer> registerOpcodes, int nopFlags, QueryOpcodes query, Set<Feature> named,
            boolean resizeNeedsDeferTaskrun, Set<Feature> notModelled) {
        this(backend, release, features, setupFlags, lastOp, opcodes, registerOpcodes, nopFlags, query, named,
                resizeNeedsDeferTaskrun, notModelled, Set.of());
    }

    /** Whether some io_uring call is blocked here, so some capabilities are unknown rather than absent. */
    public boolean partlyBlocked() {
        return !blockedCalls.isEmpty();
    }

    /** The answer to {@code IO_URING_QUERY_OPCODES} ({@code struct io_uring_query_opcode}). */
    public record QueryOpcodes(int nrRequestOpcodes, int nrRegisterOpcodes, long featureFlags,
            long ringSetupFlags, long enterFlags, long sqeFlags, int nrQueryOpcodes) {
    }

    public boolean has(Feature feature) {
        return named.contains(feature);
    }
}

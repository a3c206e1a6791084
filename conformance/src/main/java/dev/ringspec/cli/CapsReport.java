package dev.ringspec.cli;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import dev.ringspec.nativerunner.IoUringAvailability;
import dev.ringspec.uapi.UapiNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.IntPredicate;

/**
 * The capability report: what this kernel supports beside what the latest uapi (Linux 7.1) defines. Rendered as a
 * table for people and serialised as JSON for CI.
 *
 * @param uapi the uapi the comparison is made against
 * @param available whether io_uring can be used at all
 * @param reason one sentence when it cannot
 * @param backend who answered
 * @param release the kernel release
 * @param features each named feature: present or not, and since when
 * @param setupFlags setup flags supported and missing
 * @param requestOpcodes request opcodes supported and missing
 * @param registerOpcodes register opcodes supported and missing (known only with QUERY)
 * @param nopFlags NOP flags supported and missing
 * @param featureBits the {@code IORING_FEAT_*} word and its bits
 * @param resizeNeedsDeferTaskrun whether resizing needs a DEFER_TASKRUN ring
 * @param query the QUERY answer, or null
 * @param blockedCalls io_uring calls refused with EPERM on every trial (a seccomp filter): what only they could
 *     show is unknown, reported as blocked, never as missing
 */
record CapsReport(String uapi, boolean available, String reason, String backend, String release,
        List<FeatureRow> features, Family setupFlags, Family requestOpcodes, Family registerOpcodes,
        Family nopFlags, Family featureBits, Boolean resizeNeedsDeferTaskrun, KernelCapabilities.QueryOpcodes query,
        List<String> blockedCalls) {

    static final String UAPI = "Linux 7.1";

    /** The named features only io_uring_register can show (the others are setup flags). */
    private static final java.util.Set<Feature> SHOWN_BY_REGISTER = java.util.EnumSet.of(Feature.QUERY,
            Feature.RESIZE_RINGS, Feature.BPF_FILTER, Feature.TASK_RESTRICTIONS);

    /** One named feature; {@code blocked} when the call that would show it is blocked here (then not present). */
    record FeatureRow(String name, boolean present, boolean blocked, String since, String description) {
    }

    /** A family of uapi values: which this kernel has and which it lacks. */
    record Family(String value, int supportedCount, int uapiCount, List<String> supported, List<String> missing) {
    }

    static CapsReport unavailable(IoUringAvailability availability) {
        return new CapsReport(UAPI, false, availability.reason(), null, null, List.of(), null, null, null, null,
                null, null, null, List.of());
    }

    static CapsReport of(KernelCapabilities caps) {
        List<FeatureRow> features = new ArrayList<>();
        for (Feature f : Feature.values()) {
            boolean blocked = caps.blockedCalls().contains("io_uring_register") && SHOWN_BY_REGISTER.contains(f);
            features.add(new FeatureRow(f.name(), caps.has(f), blocked, f.since(), f.description()));
        }
        Family registers = caps.query() == null
                ? new Family(null, -1, UapiNames.REGISTER_OPCODES.size(), List.of(), List.of())
                : values(UapiNames.REGISTER_OPCODES, caps.registerOpcodes()::contains, null);
        return new CapsReport(UAPI, true, null, caps.backend(), caps.release(), features,
                bits(UapiNames.SETUP_FLAGS, caps.setupFlags()),
                values(UapiNames.OPCODES, caps.opcodes()::contains, "last_op " + caps.lastOp()),
                registers,
                bits(UapiNames.NOP_FLAGS, caps.nopFlags()),
                bits(UapiNames.FEATURES, caps.features()),
                caps.partlyBlocked() ? null : caps.resizeNeedsDeferTaskrun(), caps.query(),
                caps.blockedCalls().stream().sorted().toList());
    }

    /** The sentence that says which io_uring calls are blocked here, or null when none is. */
    String blockedSentence() {
        if (blockedCalls == null || blockedCalls.isEmpty()) {
            return null;
        }
        return String.join(" and ", blockedCalls) + " answers EPERM to every call here: blocked for this process (a "
                + "seccomp filter, as container runtimes install), not absent from the kernel; what only it can show "
                + "is unknown";
    }

    private static Family bits(SortedMap<Integer, String> names, int word) {
        return family(names, v -> (word & v) == v, "0x" + Integer.toHexString(word));
    }

    private static Family values(SortedMap<Integer, String> names, IntPredicate has, String value) {
        return family(names, has, value);
    }

    private static Family family(SortedMap<Integer, String> names, IntPredicate has, String value) {
        List<String> supported = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<Integer, String> e : names.entrySet()) {
            (has.test(e.getKey()) ? supported : missing).add(UapiNames.shortName(e.getValue()));
        }
        return new Family(value, supported.size(), names.size(), supported, missing);
    }

    /** The report as a table for a terminal. */
    String table() {
        StringBuilder b = new StringBuilder();
        b.append("io_uring on ").append(backend).append(", compared with the uapi of ").append(uapi).append("\n\n");
        String blocked = blockedSentence();
        if (blocked != null) {
            b.append("BLOCKED: ").append(blocked).append("\n\n");
        }
        b.append(String.format("%-18s %-12s %-6s %s%n", "feature", "this kernel", "since", "what it is"));
        for (FeatureRow f : features) {
            b.append(String.format("%-18s %-12s %-6s %s%n", f.name(), f.blocked() ? "blocked" : f.present() ? "yes"
                    : "no", f.since(), f.description()));
        }
        b.append('\n');
        line(b, "setup flags", setupFlags);
        if (blocked != null) {
            b.append(String.format("%-18s unknown: io_uring_register (PROBE) is blocked here%n", "request opcodes"));
            b.append(String.format("%-18s unknown: io_uring_register (QUERY) is blocked here%n", "register opcodes"));
        } else {
            line(b, "request opcodes", requestOpcodes);
            if (registerOpcodes.supportedCount() < 0) {
                b.append(String.format("%-18s unknown: this kernel has no IORING_REGISTER_QUERY%n",
                        "register opcodes"));
            } else {
                line(b, "register opcodes", registerOpcodes);
            }
        }
        line(b, "NOP flags", nopFlags);
        line(b, "feature bits", featureBits);
        b.append(String.format("%-18s %s%n", "resize needs", resizeNeedsDeferTaskrun == null
                ? "unknown: io_uring_register is blocked here" : resizeNeedsDeferTaskrun
                ? "a DEFER_TASKRUN ring (others get -EINVAL)" : "no DEFER_TASKRUN ring"));
        return b.toString();
    }

    private static void line(StringBuilder b, String label, Family f) {
        b.append(String.format("%-18s %d of %d%s", label, f.supportedCount(), f.uapiCount(),
                f.value() == null ? "" : " (" + f.value() + ")"));
        b.append(f.missing().isEmpty() ? "; nothing missing" : "; missing " + join(f.missing()));
        b.append('\n');
    }

    private static String join(Collection<String> names) {
        return String.join(", ", names);
    }
}

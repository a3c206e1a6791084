package dev.ringspec.model;

import static dev.ringspec.model.KernelProfile.LINUX_6_1;
import static dev.ringspec.model.KernelProfile.LINUX_6_12;
import static dev.ringspec.model.KernelProfile.LINUX_6_18;
import static dev.ringspec.model.KernelProfile.LINUX_6_19;
import static dev.ringspec.model.KernelProfile.LINUX_7_0;
import static dev.ringspec.model.KernelProfile.LINUX_7_1;
import static dev.ringspec.model.KernelProfile.LINUX_7_2;
import static dev.ringspec.model.KernelProfile.LINUX_7_3;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link KernelProfile#forCapabilities}: which profile's rules match what a backend showed. */
final class ProfileChoice {
    private ProfileChoice() {
    }

    /** A kernel release's major and minor number, as uname prints it ({@code "7.3-cloud-amd64"}). */
    private static final Pattern RELEASE = Pattern.compile("^(\\d+)\\.(\\d+)");

    /** Whether a release such as {@code "7.3-cloud-amd64"} or {@code "7.2.13+deb14"} is at least major.minor. */
    static boolean releaseAtLeast(String release, int major, int minor) {
        Matcher m = RELEASE.matcher(release);
        if (!m.find()) {
            return false;
        }
        int ma = Integer.parseInt(m.group(1));
        return ma > major || (ma == major && Integer.parseInt(m.group(2)) >= minor);
    }

    /**
     * The profile whose rules match what a backend showed: by the features it has (SQ_REWIND, BPF filters,
     * SQE_MIXED, QUERY and its answer, NO_SQARRAY), PROBE's {@code last_op} and the features word, never by its
     * release string, with one exception. 7.0 and 7.1 hold the same rules; a QUERY answer with more register opcodes
     * than 7.0 has picks 7.1, one with a fourth query opcode 7.2. 7.3 shows what 7.2 shows and differs in one
     * behaviour no harmless probe can see: {@code io_bpf_filter_clone} also marks the task's own filter table
     * copy-on-write, so a task's later filter no longer reaches the rings and children it made before (seeing that
     * takes a task filter, which binds the probing task for good). Between those two alone the release decides:
     * 7.3 or later picks 7.3.
     *
     * @throws IllegalArgumentException for a backend no profile describes (between 6.1 and 6.12, or between 6.12
     *     and 6.18)
     */
    static KernelProfile forCapabilities(KernelCapabilities caps) {
        KernelCapabilities.QueryOpcodes q = caps.query();
        if (!caps.has(Feature.QUERY)) {
            // before 6.18: no QUERY, so last_op, the features word and NO_SQARRAY decide (a blind register's
            // answer does not: 6.12 refuses fd -1 with -EBADF, which a probe for per-task restrictions can misread)
            for (KernelProfile old : List.of(LINUX_6_12, LINUX_6_1)) {
                if (caps.lastOp() == old.opLast() - 1 && caps.features() == old.features()
                        && caps.has(Feature.NO_SQARRAY) == ((old.setupFlags() & IORING_SETUP_NO_SQARRAY) != 0)) {
                    return old;
                }
            }
        } else if (caps.has(Feature.SQ_REWIND) || caps.has(Feature.BPF_FILTER)
                || caps.has(Feature.TASK_RESTRICTIONS)) {
            if (q != null && q.nrQueryOpcodes() >= LINUX_7_2.nrQueryOpcodes()) {
                return releaseAtLeast(caps.release(), 7, 3) ? LINUX_7_3 : LINUX_7_2;
            }
            return q != null && q.nrRegisterOpcodes() > LINUX_7_0.registerLast() ? LINUX_7_1 : LINUX_7_0;
        } else if (caps.has(Feature.SQE_MIXED)) {
            return LINUX_6_19;
        } else if (caps.has(Feature.CQE_MIXED)) {
            return LINUX_6_18;
        }
        throw new IllegalArgumentException("no profile for this backend (last_op " + caps.lastOp() + ", features 0x"
                + Integer.toHexString(caps.features()) + (caps.has(Feature.QUERY) ? "" : ", no QUERY")
                + "): profiles describe 6.1, 6.12 and 6.18 to 7.3: " + caps.backend());
    }
}

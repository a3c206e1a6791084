package dev.ringspec.model;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;

/**
 * Every behaviour of io_uring the model reproduces that differs between the kernels it targets (ring-semantics.md
 * section 1 and the "6.19+"/"7.0+" notes of Part A). Rules read the component they need where the rule lives;
 * nowhere else in the model is a version compared.
 *
 * @param version the release this profile stands for, for example {@code "6.18"}
 * @param opLast {@code IORING_OP_LAST}: opcodes at or above it fail {@code io_init_req} with -EINVAL
 * @param registerLast {@code IORING_REGISTER_LAST}
 * @param setupFlags {@code IORING_SETUP_FLAGS}: the setup bits {@code io_uring_sanitise_params} accepts
 * @param features {@code IORING_FEAT_FLAGS}, written to {@code params.features} by setup
 * @param enterFlags {@code IORING_ENTER_FLAGS}
 * @param sqeFlags {@code SQE_VALID_FLAGS}
 * @param nrQueryOpcodes {@code __IO_URING_QUERY_MAX}: 1 (OPCODES) on 6.18, 3 (also ZCRX, SCQ) from 6.19
 * @param sqeMixed {@code IORING_SETUP_SQE_MIXED} and the 128-byte opcodes NOP128/URING_CMD128 (6.19+)
 * @param sqRewind {@code IORING_SETUP_SQ_REWIND} (7.0+)
 * @param resizeWritesSqArray a resize writes {@code sq_off.array} back (6.19+, {@code io_prepare_config})
 * @param resizeSanitises a resize runs {@code io_uring_sanitise_params} on the merged flags (6.19+)
 * @param splitRestrictions op and register restrictions are registered and enforced separately (7.0+)
 * @param blindRestrictionsAndFilters {@code io_uring_register(-1, ...)} knows RESTRICTIONS and BPF_FILTER (7.0+)
 */
public record KernelProfile(
        String version,
        int opLast,
        int registerLast,
        int setupFlags,
        int features,
        int enterFlags,
        int sqeFlags,
        int nrQueryOpcodes,
        boolean sqeMixed,
        boolean sqRewind,
        boolean resizeWritesSqArray,
        boolean resizeSanitises,
        boolean splitRestrictions,
        boolean blindRestrictionsAndFilters) {

    /** Linux 6.18 (measured on 6.18.44: ring-semantics.md section 1 and Part B). */
    public static final KernelProfile LINUX_6_18 = new KernelProfile("6.18", 63, 36, 0x7ffff, 0x3ffff, 0xff, 0x7f,
            1, false, false, false, false, false, false);
    /** Linux 6.19: SQE_MIXED, NOP128/URING_CMD128, ZCRX_CTRL, query ZCRX and SCQ, resize via io_prepare_config. */
    public static final KernelProfile LINUX_6_19 = new KernelProfile("6.19", 65, 37, 0xfffff, 0x3ffff, 0xff, 0x7f,
            3, true, false, true, true, false, false);
    /** Linux 7.0: SQ_REWIND, BPF_FILTER, per-task restrictions and the split of op and register restrictions. */
    public static final KernelProfile LINUX_7_0 = new KernelProfile("7.0", 65, 38, 0x1fffff, 0x3ffff, 0xff, 0x7f,
            3, true, true, true, true, true, true);
    /** Linux 7.1: no difference from 7.0 in any rule the model holds (ring-semantics.md read 7.1.3 beside 7.0). */
    public static final KernelProfile LINUX_7_1 = new KernelProfile("7.1", 65, 38, 0x1fffff, 0x3ffff, 0xff, 0x7f,
            3, true, true, true, true, true, true);

    public KernelProfile {
        if (opLast <= 0 || registerLast <= 0) {
            throw new IllegalArgumentException("OP_LAST and REGISTER_LAST are positive");
        }
    }

    /**
     * {@code IORING_MAX_RESTRICTIONS}: {@code IORING_RESTRICTION_LAST + IORING_REGISTER_LAST + IORING_OP_LAST}
     * (103 on 6.18).
     */
    public int maxRestrictions() {
        return 4 + registerLast + opLast;
    }

    /**
     * The profile whose rules match what a backend showed: by the features it has (SQ_REWIND, BPF filters,
     * SQE_MIXED, QUERY), never by its release string. 7.0 and 7.1 hold the same rules; a QUERY answer with more
     * register opcodes than 7.0 has picks 7.1.
     *
     * @throws IllegalArgumentException for a backend older than 6.18 (no QUERY), which no profile describes
     */
    public static KernelProfile forCapabilities(KernelCapabilities caps) {
        if (caps.has(Feature.SQ_REWIND) || caps.has(Feature.BPF_FILTER) || caps.has(Feature.TASK_RESTRICTIONS)) {
            KernelCapabilities.QueryOpcodes q = caps.query();
            return q != null && q.nrRegisterOpcodes() > LINUX_7_0.registerLast ? LINUX_7_1 : LINUX_7_0;
        }
        if (caps.has(Feature.SQE_MIXED)) {
            return LINUX_6_19;
        }
        if (caps.has(Feature.QUERY) && caps.has(Feature.CQE_MIXED)) {
            return LINUX_6_18;
        }
        throw new IllegalArgumentException("no profile for a backend without QUERY and CQE_MIXED (older than 6.18): "
                + caps.backend());
    }
}

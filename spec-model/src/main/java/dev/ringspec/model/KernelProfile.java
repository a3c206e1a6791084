package dev.ringspec.model;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.capabilities.KernelCapabilities;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Every behaviour of io_uring the model reproduces that differs between the kernels it targets (ring-semantics.md
 * section 1 and the "6.19+"/"7.0+" notes of Part A), and the opcodes a model of that kernel executes beyond NOP.
 * Rules read the component they need where the rule lives; nowhere else in the model is a version compared.
 *
 * <p>Profiles are built by name, never by position: a new kernel starts from the one before and says what changed,
 * <pre>{@code
 * LINUX_7_2 = LINUX_7_1.toBuilder().version("7.2").opLast(66).build();
 * }</pre>
 * and a module with opcodes of its own adds them to a profile with {@link Builder#opcode}.
 */
public final class KernelProfile {

    /** Linux 6.18 (measured on 6.18.44: ring-semantics.md section 1 and Part B). */
    public static final KernelProfile LINUX_6_18 = builder("6.18")
            .opLast(63)
            .registerLast(36)
            .setupFlags(0x7ffff)
            .features(0x3ffff)
            .enterFlags(0xff)
            .sqeFlags(0x7f)
            .nrQueryOpcodes(1)
            .build();
    /** Linux 6.19: SQE_MIXED, NOP128/URING_CMD128, ZCRX_CTRL, query ZCRX and SCQ, resize via io_prepare_config. */
    public static final KernelProfile LINUX_6_19 = LINUX_6_18.toBuilder().version("6.19")
            .opLast(65)
            .registerLast(37)
            .setupFlags(0xfffff)
            .nrQueryOpcodes(3)
            .sqeMixed(true)
            .resizeWritesSqArray(true)
            .resizeSanitises(true)
            .build();
    /** Linux 7.0: SQ_REWIND, BPF_FILTER, per-task restrictions and the split of op and register restrictions. */
    public static final KernelProfile LINUX_7_0 = LINUX_6_19.toBuilder().version("7.0")
            .registerLast(38)
            .setupFlags(0x1fffff)
            .sqRewind(true)
            .splitRestrictions(true)
            .blindRestrictionsAndFilters(true)
            .build();
    /** Linux 7.1: no difference from 7.0 in any rule the model holds (ring-semantics.md read 7.1.3 beside 7.0). */
    public static final KernelProfile LINUX_7_1 = LINUX_7_0.toBuilder().version("7.1").build();

    private final String version;
    private final int opLast;
    private final int registerLast;
    private final int setupFlags;
    private final int features;
    private final int enterFlags;
    private final int sqeFlags;
    private final int nrQueryOpcodes;
    private final boolean sqeMixed;
    private final boolean sqRewind;
    private final boolean resizeWritesSqArray;
    private final boolean resizeSanitises;
    private final boolean splitRestrictions;
    private final boolean blindRestrictionsAndFilters;
    private final List<OpDef> opcodes;

    private KernelProfile(Builder b) {
        if (b.opLast <= 0 || b.registerLast <= 0) {
            throw new IllegalArgumentException("OP_LAST and REGISTER_LAST are positive");
        }
        this.version = Objects.requireNonNull(b.version);
        this.opLast = b.opLast;
        this.registerLast = b.registerLast;
        this.setupFlags = b.setupFlags;
        this.features = b.features;
        this.enterFlags = b.enterFlags;
        this.sqeFlags = b.sqeFlags;
        this.nrQueryOpcodes = b.nrQueryOpcodes;
        this.sqeMixed = b.sqeMixed;
        this.sqRewind = b.sqRewind;
        this.resizeWritesSqArray = b.resizeWritesSqArray;
        this.resizeSanitises = b.resizeSanitises;
        this.splitRestrictions = b.splitRestrictions;
        this.blindRestrictionsAndFilters = b.blindRestrictionsAndFilters;
        this.opcodes = List.copyOf(b.opcodes);
        for (OpDef def : opcodes) {
            if (def.opcode() >= opLast) {
                throw new IllegalArgumentException("opcode " + def.name() + " (" + def.opcode()
                        + ") is at or above IORING_OP_LAST (" + opLast + ") of profile " + version);
            }
        }
    }

    /** A profile from nothing; every number must be set. */
    public static Builder builder(String version) {
        return new Builder().version(version);
    }

    /** A builder holding this profile's values, to say what another kernel changes. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.version = version;
        b.opLast = opLast;
        b.registerLast = registerLast;
        b.setupFlags = setupFlags;
        b.features = features;
        b.enterFlags = enterFlags;
        b.sqeFlags = sqeFlags;
        b.nrQueryOpcodes = nrQueryOpcodes;
        b.sqeMixed = sqeMixed;
        b.sqRewind = sqRewind;
        b.resizeWritesSqArray = resizeWritesSqArray;
        b.resizeSanitises = resizeSanitises;
        b.splitRestrictions = splitRestrictions;
        b.blindRestrictionsAndFilters = blindRestrictionsAndFilters;
        b.opcodes.addAll(opcodes);
        return b;
    }

    /** The release this profile stands for, for example {@code "6.18"}. */
    public String version() {
        return version;
    }

    /** {@code IORING_OP_LAST}: opcodes at or above it fail {@code io_init_req} with -EINVAL. */
    public int opLast() {
        return opLast;
    }

    /** {@code IORING_REGISTER_LAST}. */
    public int registerLast() {
        return registerLast;
    }

    /** {@code IORING_SETUP_FLAGS}: the setup bits {@code io_uring_sanitise_params} accepts. */
    public int setupFlags() {
        return setupFlags;
    }

    /** {@code IORING_FEAT_FLAGS}, written to {@code params.features} by setup. */
    public int features() {
        return features;
    }

    /** {@code IORING_ENTER_FLAGS}. */
    public int enterFlags() {
        return enterFlags;
    }

    /** {@code SQE_VALID_FLAGS}. */
    public int sqeFlags() {
        return sqeFlags;
    }

    /** {@code __IO_URING_QUERY_MAX}: 1 (OPCODES) on 6.18, 3 (also ZCRX, SCQ) from 6.19. */
    public int nrQueryOpcodes() {
        return nrQueryOpcodes;
    }

    /** {@code IORING_SETUP_SQE_MIXED} and the 128-byte opcodes NOP128/URING_CMD128 (6.19+). */
    public boolean sqeMixed() {
        return sqeMixed;
    }

    /** {@code IORING_SETUP_SQ_REWIND} (7.0+). */
    public boolean sqRewind() {
        return sqRewind;
    }

    /** A resize writes {@code sq_off.array} back (6.19+, {@code io_prepare_config}). */
    public boolean resizeWritesSqArray() {
        return resizeWritesSqArray;
    }

    /** A resize runs {@code io_uring_sanitise_params} on the merged flags (6.19+). */
    public boolean resizeSanitises() {
        return resizeSanitises;
    }

    /** Op and register restrictions are registered and enforced separately (7.0+). */
    public boolean splitRestrictions() {
        return splitRestrictions;
    }

    /** {@code io_uring_register(-1, ...)} knows RESTRICTIONS and BPF_FILTER (7.0+). */
    public boolean blindRestrictionsAndFilters() {
        return blindRestrictionsAndFilters;
    }

    /** Opcode table entries beyond the model's own (NOP, NOP128), each replacing the entry of its opcode. */
    public List<OpDef> opcodes() {
        return opcodes;
    }

    /**
     * {@code IORING_MAX_RESTRICTIONS}: {@code IORING_RESTRICTION_LAST + IORING_REGISTER_LAST + IORING_OP_LAST}
     * (103 on 6.18).
     */
    public int maxRestrictions() {
        return 4 + registerLast + opLast;
    }

    @Override
    public String toString() {
        return "KernelProfile " + version + (opcodes.isEmpty() ? "" : " with " + opcodes.size() + " opcodes");
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

    /** Builds a {@link KernelProfile} by named fields. */
    public static final class Builder {
        private String version;
        private int opLast;
        private int registerLast;
        private int setupFlags;
        private int features;
        private int enterFlags;
        private int sqeFlags;
        private int nrQueryOpcodes;
        private boolean sqeMixed;
        private boolean sqRewind;
        private boolean resizeWritesSqArray;
        private boolean resizeSanitises;
        private boolean splitRestrictions;
        private boolean blindRestrictionsAndFilters;
        private final List<OpDef> opcodes = new ArrayList<>();

        private Builder() {
        }

        public Builder version(String value) {
            this.version = value;
            return this;
        }

        public Builder opLast(int value) {
            this.opLast = value;
            return this;
        }

        public Builder registerLast(int value) {
            this.registerLast = value;
            return this;
        }

        public Builder setupFlags(int value) {
            this.setupFlags = value;
            return this;
        }

        public Builder features(int value) {
            this.features = value;
            return this;
        }

        public Builder enterFlags(int value) {
            this.enterFlags = value;
            return this;
        }

        public Builder sqeFlags(int value) {
            this.sqeFlags = value;
            return this;
        }

        public Builder nrQueryOpcodes(int value) {
            this.nrQueryOpcodes = value;
            return this;
        }

        public Builder sqeMixed(boolean value) {
            this.sqeMixed = value;
            return this;
        }

        public Builder sqRewind(boolean value) {
            this.sqRewind = value;
            return this;
        }

        public Builder resizeWritesSqArray(boolean value) {
            this.resizeWritesSqArray = value;
            return this;
        }

        public Builder resizeSanitises(boolean value) {
            this.resizeSanitises = value;
            return this;
        }

        public Builder splitRestrictions(boolean value) {
            this.splitRestrictions = value;
            return this;
        }

        public Builder blindRestrictionsAndFilters(boolean value) {
            this.blindRestrictionsAndFilters = value;
            return this;
        }

        /**
         * An opcode table entry this profile's model executes, replacing the entry of its opcode (the model's own
         * NOP included): how another module adds an opcode without editing the model.
         */
        public Builder opcode(OpDef def) {
            opcodes.removeIf(d -> d.opcode() == def.opcode());
            opcodes.add(Objects.requireNonNull(def));
            return this;
        }

        public KernelProfile build() {
            return new KernelProfile(this);
        }
    }
}

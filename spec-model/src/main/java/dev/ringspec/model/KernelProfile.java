package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_NOP_INJECT_RESULT;

import dev.ringspec.capabilities.KernelCapabilities;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    /**
     * Linux 7.2 (read in 7.2.13, measured on 7.2.13 in QEMU): query op 3 ({@code IO_URING_QUERY_ZCRX_EVENT}) and
     * -E2BIG for a header over a page (io_uring/query.c, {@code io_handle_query_entry}); local task work popped
     * live from a FIFO with an exact cap (the mpscq of io_uring/tw.c, {@code __io_run_local_work_loop}); a resize
     * copies pending SQEs through the SQ array (register.c, {@code io_register_resize_rings}: the model
     * does so for every profile, by intent; earlier kernels are catalogue entry resize-drops-sq-array-mapping);
     * registered buffers up to 1 TiB, larger ones -EINVAL (rsrc.c, {@code io_validate_user_buf_range}); a CQ head
     * moved past the kernel's tail counts as an empty CQ ({@code io_cqring_queued}, io_uring.c; also in 7.1.8's
     * source, found by lockstep on 7.2.13: seed 3); register restrictions a ring inherits from its task bind it
     * while it is still R_DISABLED (register.c, {@code __io_uring_register}: IO_RING_F_RESTRICT_INHERITED, absent
     * from 7.1.8 and 7.2.8).
     */
    public static final KernelProfile LINUX_7_2 = LINUX_7_1.toBuilder().version("7.2")
            .nrQueryOpcodes(4)
            .localWork(LocalWork.LIVE_FIFO)
            .querySizeLimit(true)
            .bufferMaxBytes(1L << 40)
            .bufferTooBigErrno(EINVAL)
            .cqQueuedSigned(true)
            .inheritedRestrictionsBindDisabledRing(true)
            .connectFilterPayload(true)
            .build();
    /**
     * Linux 7.3 (read in 7.3-rc7): the uapi, nop.c, register.c, tw.c and wait.c are those of 7.2.13; its one
     * change to CQE refill touches only 32-byte aux CQEs on CQE32 rings, which no modelled opcode posts. Its
     * capabilities equal 7.2's, so {@link #forCapabilities} answers {@link #LINUX_7_2} for it.
     */
    public static final KernelProfile LINUX_7_3 = LINUX_7_2.toBuilder().version("7.3")
            .bpfCloneMarksSourceCow(true)
            .build();
    /**
     * Linux 6.12 (read in 6.12.107 and 6.12.117): no QUERY, RESIZE_RINGS, CQE_MIXED or HYBRID_IOPOLL; NOP knows
     * only INJECT_RESULT (nop.c, {@code io_nop_prep}); local task work has no cap and no retry list (the cap came
     * with upstream f46b9cdb "io_uring: limit local tw done", 6.13); fd -1 has no register opcodes (register.c,
     * {@code io_uring_register_get_file}); drain by sequence: a drained request waits until the CQ's cached tail
     * reaches the count of SQEs before it ({@code req_need_defer}: {@code seq + cq_extra != cached_cq_tail}),
     * where the kernels from 6.18 on wait for every earlier request to be freed (read in 6.12.117 and 6.1.192
     * io_uring.c, {@code io_drain_req}, {@code io_queue_deferred}).
     */
    public static final KernelProfile LINUX_6_12 = builder("6.12")
            .opLast(58)
            .registerLast(31)
            .setupFlags(0x1ffff)
            .features(0xffff)
            .enterFlags(0x3f)
            .sqeFlags(0x7f)
            .nrQueryOpcodes(0)
            .nopFlags(IORING_NOP_INJECT_RESULT)
            .localWork(LocalWork.UNCAPPED)
            .blindRegister(false)
            .drainBySequence(true)
            .multishotCqeCommitsAtOnce(true)
            .build();
    /**
     * Linux 6.1 (read in 6.1.187 and 6.1.192): the 6.12 differences, and NOP's prep refuses any non-zero
     * {@code rw_flags} word (nop.c, {@code io_nop_prep}); task work runs newest first and local work runs until
     * the list stays empty (io_uring.c, {@code handle_tw_list}, {@code __io_run_local_work}); register runs the
     * task's work first and compares the raw opcode with {@code REGISTER_LAST} ({@code io_uring_register});
     * PROBE checks every slot the caller passed ({@code io_probe}); sq.head, sq.tail, cq.head and cq.tail sit on
     * cache lines of their own (include/linux/io_uring_types.h, {@code struct io_uring}); a request failed at init
     * posts its CQE at once ({@code io_queue_sqe_fallback}, {@code io_req_complete_failed}); both found by lockstep;
     * task work issues a request inline even when it is forced async ({@code io_req_task_submit} has no
     * REQ_F_FORCE_ASYNC check before 6.12), so a request the drain releases completes without io-wq.
     */
    public static final KernelProfile LINUX_6_1 = LINUX_6_12.toBuilder().version("6.1")
            .opLast(49)
            .registerLast(26)
            .setupFlags(0x3fff)
            .features(0x1fff)
            .enterFlags(0x1f)
            .nopFlags(0)
            .taskWorkLifo(true)
            .localWork(LocalWork.RUN_TO_EMPTY)
            .registerRunsTaskWork(true)
            .registeredRingBit(false)
            .probeChecksAllSlots(true)
            .ringLayout(RingLayout.CACHELINE_HEADS)
            .failedFallbackPostsAtOnce(true)
            .taskSubmitHonoursForceAsync(false)
            .connectPrepCopiesAddress(false)
            .build();

    /** How {@code __io_run_local_work} takes DEFER_TASKRUN local work and where a run stops. */
    public enum LocalWork {
        /** 6.1: batch after batch until the list stays empty, whatever the wait asked for. */
        RUN_TO_EMPTY,
        /** 6.12: the whole list each pass, another pass while work is left and too few ran; no cap. */
        UNCAPPED,
        /**
         * 6.13 to 7.1: at most {@code max(IO_LOCAL_TW_DEFAULT_MAX, min_events)} a pass, taken from a snapshot of
         * the list, the rest kept on a retry list for the next run.
         */
        SNAPSHOT_CAPPED,
        /** 7.2+: popped from the live FIFO (work queued during the pass included) up to the exact cap. */
        LIVE_FIFO
    }

    /** This profile's values, in a builder of its own that never escapes (its lists are copied below). */
    private final Builder v;
    private final List<OpDef> opcodes;
    private final Map<Integer, RegisterOp> registerOps;

    private KernelProfile(Builder b) {
        if (b.opLast <= 0 || b.registerLast <= 0) {
            throw new IllegalArgumentException("OP_LAST and REGISTER_LAST are positive");
        }
        Objects.requireNonNull(b.version);
        this.v = new Builder(b);
        this.opcodes = List.copyOf(b.opcodes);
        this.registerOps = Map.copyOf(b.registerOps);
        for (OpDef def : opcodes) {
            if (def.opcode() >= v.opLast) {
                throw new IllegalArgumentException("opcode " + def.name() + " (" + def.opcode()
                        + ") is at or above IORING_OP_LAST (" + v.opLast + ") of profile " + v.version);
            }
        }
    }

    /** A profile from nothing; every number must be set. */
    public static Builder builder(String version) {
        return new Builder().version(version);
    }

    /** A builder holding this profile's values, to say what another kernel changes. */
    public Builder toBuilder() {
        return new Builder(v);
    }

    /** The release this profile stands for, for example {@code "6.18"}. */
    public String version() {
        return v.version;
    }

    /** {@code IORING_OP_LAST}: opcodes at or above it fail {@code io_init_req} with -EINVAL. */
    public int opLast() {
        return v.opLast;
    }

    /** {@code IORING_REGISTER_LAST}. */
    public int registerLast() {
        return v.registerLast;
    }

    /** {@code IORING_SETUP_FLAGS}: the setup bits {@code io_uring_sanitise_params} accepts. */
    public int setupFlags() {
        return v.setupFlags;
    }

    /** {@code IORING_FEAT_FLAGS}, written to {@code params.features} by setup. */
    public int features() {
        return v.features;
    }

    /** {@code IORING_ENTER_FLAGS}. */
    public int enterFlags() {
        return v.enterFlags;
    }

    /** {@code SQE_VALID_FLAGS}. */
    public int sqeFlags() {
        return v.sqeFlags;
    }

    /** {@code __IO_URING_QUERY_MAX}: 1 (OPCODES) on 6.18, 3 (also ZCRX, SCQ) from 6.19. */
    public int nrQueryOpcodes() {
        return v.nrQueryOpcodes;
    }

    /** {@code IORING_SETUP_SQE_MIXED} and the 128-byte opcodes NOP128/URING_CMD128 (6.19+). */
    public boolean sqeMixed() {
        return v.sqeMixed;
    }

    /** {@code IORING_SETUP_SQ_REWIND} (7.0+). */
    public boolean sqRewind() {
        return v.sqRewind;
    }

    /** A resize writes {@code sq_off.array} back (6.19+, {@code io_prepare_config}). */
    public boolean resizeWritesSqArray() {
        return v.resizeWritesSqArray;
    }

    /** A resize runs {@code io_uring_sanitise_params} on the merged flags (6.19+). */
    public boolean resizeSanitises() {
        return v.resizeSanitises;
    }

    /** Op and register restrictions are registered and enforced separately (7.0+). */
    public boolean splitRestrictions() {
        return v.splitRestrictions;
    }

    /** {@code io_uring_register(-1, ...)} knows RESTRICTIONS and BPF_FILTER (7.0+). */
    public boolean blindRestrictionsAndFilters() {
        return v.blindRestrictionsAndFilters;
    }

    /**
     * Register restrictions a ring inherited from its task apply while the ring is still R_DISABLED
     * ({@code __io_uring_register}, IO_RING_F_RESTRICT_INHERITED: in 7.2.13 and 7.3-rc7, not in 7.1.8 or 7.2.8;
     * before, a disabled ring is exempt from every register restriction).
     */
    public boolean inheritedRestrictionsBindDisabledRing() {
        return v.inheritedRestrictionsBindDisabledRing;
    }

    /**
     * A ring or task that shares its BPF filters with a ring it creates or a task it forks holds them copy-on-write
     * from then on too ({@code io_bpf_filter_clone} sets {@code src->bpf_filters_cow}: in 7.3-rc7, not in 7.1.8 or
     * 7.2.13). Without it the creator's later filters are added in place, into the set the others still share.
     */
    public boolean bpfCloneMarksSourceCow() {
        return v.bpfCloneMarksSourceCow;
    }

    /** {@code IORING_REGISTER_BPF_FILTER} exists (7.0+): opcodes have filter payloads. */
    public boolean bpfFilters() {
        return v.blindRestrictionsAndFilters;
    }

    /** CONNECT populates a BPF filter context ({@code io_connect_bpf_populate}: 7.2.13, not 7.1.8). */
    public boolean connectFilterPayload() {
        return v.connectFilterPayload;
    }

    /**
     * CONNECT's prep copies the address in ({@code io_connect_prep}: 6.12.117 on; 6.1.192 copies it in
     * {@code io_connect_prep_async} or at issue, which the model does not hold, so CONNECT and FSYNC are modelled
     * from 6.12).
     */
    public boolean connectPrepCopiesAddress() {
        return v.connectPrepCopiesAddress;
    }

    /** The {@code nop_flags} bits {@code io_nop_prep} accepts; others -> -EINVAL (nop.c). */
    public int nopFlags() {
        return v.nopFlags;
    }

    /** Task work runs newest first: 6.1 walks the llist it swapped out without reversing it ({@code handle_tw_list}, {@code __io_run_local_work}). */
    public boolean taskWorkLifo() {
        return v.taskWorkLifo;
    }

    /** How {@code __io_run_local_work} takes and caps DEFER_TASKRUN local work. */
    public LocalWork localWork() {
        return v.localWork;
    }

    /** {@code io_uring_register} runs the task's work before the opcode (6.1, {@code io_run_task_work_ctx}). */
    public boolean registerRunsTaskWork() {
        return v.registerRunsTaskWork;
    }

    /** {@code IORING_REGISTER_USE_REGISTERED_RING} exists and is stripped before the {@code REGISTER_LAST} compare (6.3+); 6.1 compares the raw opcode. */
    public boolean registeredRingBit() {
        return v.registeredRingBit;
    }

    /** {@code io_uring_register(-1, ...)} has opcodes of its own (6.18+, QUERY and SEND_MSG_RING); before, fd -1 is -EBADF. */
    public boolean blindRegister() {
        return v.blindRegister;
    }

    /** PROBE copies in and checks all {@code nr_args} slots before capping at {@code OP_LAST} (6.1). */
    public boolean probeChecksAllSlots() {
        return v.probeChecksAllSlots;
    }

    /** A QUERY header whose {@code size} exceeds a page ends the syscall with -E2BIG (7.2+). */
    public boolean querySizeLimit() {
        return v.querySizeLimit;
    }

    /** The largest registered buffer ({@code io_buffer_validate}): 1 GiB up to 7.1, 1 TiB from 7.2. */
    public long bufferMaxBytes() {
        return v.bufferMaxBytes;
    }

    /** The errno for a buffer over {@link #bufferMaxBytes}: EFAULT up to 7.1, EINVAL from 7.2. */
    public int bufferTooBigErrno() {
        return v.bufferTooBigErrno;
    }

    /** {@code io_cqring_queued} reads {@code cached_cq_tail - cq.head} as signed: a head moved past the kernel's tail is an empty CQ, not a full one (7.1.8, 7.2.13, 7.3-rc7 io_uring.c; 6.18.44 takes the u32 difference). */
    public boolean cqQueuedSigned() {
        return v.cqQueuedSigned;
    }

    /** Where the fields of {@code struct io_rings} are: packed from 6.12 at the latest, heads and tails on cache lines of their own in 6.1. */
    RingLayout ringLayout() {
        return v.ringLayout;
    }

    /** Whether sq.head, sq.tail, cq.head and cq.tail each sit on a cache line of their own (6.1), not packed. */
    public boolean headsOnOwnCacheLines() {
        return v.ringLayout == RingLayout.CACHELINE_HEADS;
    }

    /** A request failed at init posts its CQE at once ({@code io_req_complete_failed}, 6.1), not with the batch. */
    public boolean failedFallbackPostsAtOnce() {
        return v.failedFallbackPostsAtOnce;
    }

    /**
     * A multishot request's CQE is committed as it is filled ({@code io_req_post_cqe} through {@code
     * __io_cq_unlock_post}, 6.12; 6.1's {@code io_post_aux_cqe}), not by the flush that ends its batch (upstream
     * 5e16f1a68d28, 6.15).
     */
    public boolean multishotCqeCommitsAtOnce() {
        return v.multishotCqeCommitsAtOnce;
    }

    /**
     * A drained request waits for the CQEs of every SQE before it ({@code req_need_defer}, 6.1 and 6.12), not for
     * every earlier request to be freed ({@code nr_req_allocated != nr_drained}, 6.18 on).
     */
    public boolean drainBySequence() {
        return v.drainBySequence;
    }

    /** {@code io_req_task_submit} sends a forced-async request to io-wq (6.12 on); 6.1 issues it inline. */
    public boolean taskSubmitHonoursForceAsync() {
        return v.taskSubmitHonoursForceAsync;
    }

    /** Opcode table entries beyond the model's own (NOP, NOP128), each replacing the entry of its opcode. */
    public List<OpDef> opcodes() {
        return opcodes;
    }

    /** The register opcode another module brings for {@code opcode} ({@link Builder#registerOp}), or null. */
    public RegisterOp registerOp(int opcode) {
        return registerOps.get(opcode);
    }

    /**
     * {@code IORING_MAX_RESTRICTIONS}: {@code IORING_RESTRICTION_LAST + IORING_REGISTER_LAST + IORING_OP_LAST}
     * (103 on 6.18).
     */
    public int maxRestrictions() {
        return 4 + v.registerLast + v.opLast;
    }

    @Override
    public String toString() {
        return "KernelProfile " + v.version + (opcodes.isEmpty() ? "" : " with " + opcodes.size() + " opcodes");
    }

    /**
     * The profile whose rules match what a backend showed: by its features, PROBE's {@code last_op}, the features
     * word and QUERY's answer, never by its release string, except between 7.2 and 7.3 ({@link ProfileChoice}).
     *
     * @throws IllegalArgumentException for a backend no profile describes (between 6.1 and 6.12, or between 6.12
     *     and 6.18)
     */
    public static KernelProfile forCapabilities(KernelCapabilities caps) {
        return ProfileChoice.forCapabilities(caps);
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
        private boolean inheritedRestrictionsBindDisabledRing;
        private boolean bpfCloneMarksSourceCow;
        private boolean connectFilterPayload;
        private boolean connectPrepCopiesAddress = true;
        private int nopFlags = Nop.NOP_FLAGS_6_18;
        private boolean taskWorkLifo = false;
        private LocalWork localWork = LocalWork.SNAPSHOT_CAPPED;
        private boolean registerRunsTaskWork = false;
        private boolean registeredRingBit = true;
        private boolean blindRegister = true;
        private boolean probeChecksAllSlots = false;
        private boolean querySizeLimit = false;
        private long bufferMaxBytes = 1L << 30;
        private int bufferTooBigErrno = EFAULT;
        private boolean cqQueuedSigned;
        private RingLayout ringLayout = RingLayout.PACKED;
        private boolean failedFallbackPostsAtOnce;
        private boolean drainBySequence;
        private boolean multishotCqeCommitsAtOnce;
        private boolean taskSubmitHonoursForceAsync = true;
        private final List<OpDef> opcodes = new ArrayList<>();
        private final Map<Integer, RegisterOp> registerOps = new HashMap<>();

        private Builder() {
        }

        private Builder(Builder o) {
            version = o.version;
            opLast = o.opLast;
            registerLast = o.registerLast;
            setupFlags = o.setupFlags;
            features = o.features;
            enterFlags = o.enterFlags;
            sqeFlags = o.sqeFlags;
            nrQueryOpcodes = o.nrQueryOpcodes;
            sqeMixed = o.sqeMixed;
            sqRewind = o.sqRewind;
            resizeWritesSqArray = o.resizeWritesSqArray;
            resizeSanitises = o.resizeSanitises;
            splitRestrictions = o.splitRestrictions;
            blindRestrictionsAndFilters = o.blindRestrictionsAndFilters;
            inheritedRestrictionsBindDisabledRing = o.inheritedRestrictionsBindDisabledRing;
            bpfCloneMarksSourceCow = o.bpfCloneMarksSourceCow;
            connectFilterPayload = o.connectFilterPayload;
            connectPrepCopiesAddress = o.connectPrepCopiesAddress;
            nopFlags = o.nopFlags;
            taskWorkLifo = o.taskWorkLifo;
            localWork = o.localWork;
            registerRunsTaskWork = o.registerRunsTaskWork;
            registeredRingBit = o.registeredRingBit;
            blindRegister = o.blindRegister;
            probeChecksAllSlots = o.probeChecksAllSlots;
            querySizeLimit = o.querySizeLimit;
            bufferMaxBytes = o.bufferMaxBytes;
            bufferTooBigErrno = o.bufferTooBigErrno;
            cqQueuedSigned = o.cqQueuedSigned;
            ringLayout = o.ringLayout;
            failedFallbackPostsAtOnce = o.failedFallbackPostsAtOnce;
            drainBySequence = o.drainBySequence;
            multishotCqeCommitsAtOnce = o.multishotCqeCommitsAtOnce;
            taskSubmitHonoursForceAsync = o.taskSubmitHonoursForceAsync;
            opcodes.addAll(o.opcodes);
            registerOps.putAll(o.registerOps);
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

        public Builder inheritedRestrictionsBindDisabledRing(boolean value) {
            this.inheritedRestrictionsBindDisabledRing = value;
            return this;
        }

        public Builder connectFilterPayload(boolean value) {
            this.connectFilterPayload = value;
            return this;
        }

        public Builder connectPrepCopiesAddress(boolean value) {
            this.connectPrepCopiesAddress = value;
            return this;
        }

        public Builder bpfCloneMarksSourceCow(boolean value) {
            this.bpfCloneMarksSourceCow = value;
            return this;
        }

        public Builder nopFlags(int value) {
            this.nopFlags = value;
            return this;
        }

        public Builder taskWorkLifo(boolean value) {
            this.taskWorkLifo = value;
            return this;
        }

        public Builder localWork(LocalWork value) {
            this.localWork = value;
            return this;
        }

        public Builder registerRunsTaskWork(boolean value) {
            this.registerRunsTaskWork = value;
            return this;
        }

        public Builder registeredRingBit(boolean value) {
            this.registeredRingBit = value;
            return this;
        }

        public Builder blindRegister(boolean value) {
            this.blindRegister = value;
            return this;
        }

        public Builder probeChecksAllSlots(boolean value) {
            this.probeChecksAllSlots = value;
            return this;
        }

        public Builder querySizeLimit(boolean value) {
            this.querySizeLimit = value;
            return this;
        }

        public Builder bufferMaxBytes(long value) {
            this.bufferMaxBytes = value;
            return this;
        }

        public Builder bufferTooBigErrno(int value) {
            this.bufferTooBigErrno = value;
            return this;
        }

        public Builder cqQueuedSigned(boolean value) {
            this.cqQueuedSigned = value;
            return this;
        }

        Builder ringLayout(RingLayout value) {
            this.ringLayout = value;
            return this;
        }

        public Builder failedFallbackPostsAtOnce(boolean value) {
            this.failedFallbackPostsAtOnce = value;
            return this;
        }

        public Builder drainBySequence(boolean value) {
            this.drainBySequence = value;
            return this;
        }

        public Builder multishotCqeCommitsAtOnce(boolean value) {
            this.multishotCqeCommitsAtOnce = value;
            return this;
        }

        public Builder taskSubmitHonoursForceAsync(boolean value) {
            this.taskSubmitHonoursForceAsync = value;
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

        /**
         * A register opcode this profile's model executes (one the model's {@code Register} does not have): how
         * another module adds one, for example IORING_REGISTER_EVENTFD or IORING_REGISTER_PBUF_RING.
         */
        public Builder registerOp(int opcode, RegisterOp op) {
            registerOps.put(opcode, Objects.requireNonNull(op));
            return this;
        }

        public KernelProfile build() {
            return new KernelProfile(this);
        }
    }
}

package dev.ringspec.bpf;

/**
 * One-line deviations of the classic-BPF model from the kernel, each breaking one kernel function, for checking
 * that the oracles catch them. The checker and the interpreter take a set of these; the empty set is the kernel.
 * Each is revealed by a kernel: a program the kernel rejects and the mutant accepts (or the reverse), or a
 * program whose return value differs.
 */
public enum BpfMutant {
    /** {@code DIV X} with X = 0 continues with A = 0 instead of returning 0. */
    DIV_BY_ZERO_X_CONTINUES("net/core/filter.c bpf_convert_filter: the X == 0 test before DIV/MOD X"),
    /** {@code MOD X} with X = 0 leaves A alone and continues, as an eBPF program would. */
    MOD_BY_ZERO_X_KEEPS_A("net/core/filter.c bpf_convert_filter: the X == 0 test before DIV/MOD X"),
    /** An out-of-range packet load reads 0 and continues instead of returning 0. */
    OUT_OF_RANGE_LOAD_READS_ZERO("net/core/filter.c convert_bpf_ld_abs: JSGE A, 0 else return 0"),
    /** A 16-bit packet load is little-endian. */
    HALFWORD_LITTLE_ENDIAN("net/core/filter.c convert_bpf_ld_abs: BPF_ENDIAN(BPF_FROM_BE, A, 16)"),
    /** A shift by X uses X unmasked (count 32 and more gives 0) instead of X & 31. */
    SHIFT_X_UNMASKED("kernel/bpf/core.c ___bpf_prog_run: ALU_LSH_X / ALU_RSH_X shift by SRC & 31"),
    /** {@code RET A} returns X. */
    RET_A_RETURNS_X("net/core/filter.c bpf_convert_filter: RET A is EXIT with R0 = A"),
    /** {@code JGT} and {@code JGE} compare signed. */
    JUMP_COMPARES_SIGNED("net/core/filter.c bpf_convert_filter: negative K zero-extended into TMP, JMP unsigned"),
    /** A read of scratch memory not written on every path is accepted. */
    UNINITIALISED_SCRATCH_ACCEPTED("net/core/filter.c check_load_and_stores"),
    /** A conditional jump may land one past the last instruction ({@code >} instead of {@code >=}). */
    JUMP_PAST_END_ACCEPTED("net/core/filter.c bpf_check_classic: pc + jt + 1 >= flen"),
    /** {@code LSH K} and {@code RSH K} with K = 32 are accepted. */
    SHIFT_BY_32_ACCEPTED("net/core/filter.c bpf_check_classic: shifts by K >= 32"),
    /** An unknown ancillary K (at or above {@code SKF_AD_OFF}) is accepted. */
    UNKNOWN_ANCILLARY_ACCEPTED("net/core/filter.c bpf_check_classic: bpf_anc_helper"),
    /** io_uring accepts an unaligned context load. */
    IO_URING_UNALIGNED_LOAD_ACCEPTED("io_uring/bpf_filter.c io_uring_check_cbpf_filter: k & 3"),
    /** io_uring accepts {@code MOD}, which its list of allowed instructions leaves out. */
    IO_URING_MOD_ACCEPTED("io_uring/bpf_filter.c io_uring_check_cbpf_filter: the allowed list"),
    /** io_uring's {@code BPF_LEN} loads 0 instead of {@code sizeof(struct io_uring_bpf_ctx)}. */
    IO_URING_LEN_IS_ZERO("io_uring/bpf_filter.c io_uring_check_cbpf_filter: BPF_LEN becomes K = 40");

    /** The kernel file and function this mutant breaks. */
    public final String breaks;

    BpfMutant(String breaks) {
        this.breaks = breaks;
    }
}

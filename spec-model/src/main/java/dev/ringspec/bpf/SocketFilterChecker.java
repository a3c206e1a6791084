package dev.ringspec.bpf;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code SO_ATTACH_FILTER}: {@code sk_attach_filter} → {@code __get_filter} → {@code bpf_prepare_filter}. After
 * {@code bpf_check_basics_ok} and {@code bpf_check_classic} nothing more is checked on the instructions
 * ({@code trans} is NULL, and ancillary loads were already vetted by {@code bpf_anc_helper}); x86-64 has no
 * classic JIT, so {@code bpf_migrate_filter} always converts, and {@code bpf_convert_filter} rejects a jump whose
 * eBPF offset does not fit 16 bits. Last, {@code __sk_filter_charge} refuses a translation whose
 * {@code bpf_prog_size} reaches {@code net.core.optmem_max} with -ENOMEM.
 */
public final class SocketFilterChecker {
    private SocketFilterChecker() {
    }

    /** {@code net.core.optmem_max} of this machine's kernel (6.18: 128 KiB). */
    public static final int DEFAULT_OPTMEM_MAX = 131072;

    /**
     * The least and the most {@code offsetof(struct bpf_prog, insns)} can be on the kernels in question; the model
     * does not know the exact header size, so a translation whose charge falls between is outside the model.
     */
    static final int PROG_HEADER_MIN_BYTES = 32;
    static final int PROG_HEADER_MAX_BYTES = 256;

    /** {@code sk_attach_filter} on a fresh socket with {@code optmemMax} as {@code net.core.optmem_max}. */
    public static CheckResult skAttachFilter(List<SockFilter> program, int optmemMax, Set<BpfMutant> mutants) {
        Objects.requireNonNull(mutants, "mutants");
        if (optmemMax <= 0) {
            throw new IllegalArgumentException("net.core.optmem_max is positive: " + optmemMax);
        }
        // __get_filter: bpf_check_basics_ok -> -EINVAL
        CheckResult basics = ClassicChecker.bpfCheckBasicsOk(program);
        if (!basics.accepted()) {
            return basics;
        }
        // bpf_prepare_filter: bpf_check_classic
        CheckResult classic = ClassicChecker.bpfCheckClassic(program, mutants);
        if (!classic.accepted()) {
            return classic;
        }
        // bpf_migrate_filter: bpf_convert_filter -> -EINVAL
        CheckResult converted = ClassicConverter.bpfConvertFilter(program);
        if (!converted.accepted()) {
            return converted;
        }
        return skFilterCharge(ClassicConverter.convertedLength(program), optmemMax);
    }

    /**
     * {@code __sk_filter_charge}: the filter's {@code bpf_prog_size} (header plus 8 bytes per eBPF instruction)
     * must be below {@code optmem_max} with nothing else charged to a fresh socket.
     */
    static CheckResult skFilterCharge(int ebpfInstructions, int optmemMax) {
        long least = PROG_HEADER_MIN_BYTES + 8L * ebpfInstructions;
        long most = PROG_HEADER_MAX_BYTES + 8L * ebpfInstructions;
        if (most < optmemMax) {
            return CheckResult.ACCEPTED;
        }
        if (least >= optmemMax) {
            return CheckResult.reject(Errno.ENOMEM, -1, "__sk_filter_charge: the translation's "
                    + ebpfInstructions + " eBPF instructions exceed net.core.optmem_max = " + optmemMax);
        }
        return CheckResult.outsideModel("__sk_filter_charge: " + ebpfInstructions
                + " eBPF instructions come within the struct bpf_prog header size of net.core.optmem_max");
    }
}

package dev.ringspec.bpf;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.SockFilter;

import java.util.List;
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
     * {@code offsetof(struct bpf_prog, insns)} on x86-64 with the 32-byte program digest (this machine's 6.18):
     * two u16, four u32 and {@code digest[32]} make 56, then five pointers. Measured on this machine's 6.18.44: a
     * translation of 16371 eBPF instructions attaches and one of 16372 gets -ENOMEM with optmem_max 131072, so the
     * header is 96 to 103 bytes, and a multiple of 8.
     */
    static final int PROG_HEADER_BYTES = 96;

    /** {@code sk_attach_filter} on a fresh socket with {@code optmemMax} as {@code net.core.optmem_max}. */
    public static CheckResult skAttachFilter(List<SockFilter> program, int optmemMax, Set<BpfMutant> mutants) {
        if (optmemMax <= 0) {
            throw new IllegalArgumentException("net.core.optmem_max is positive: " + optmemMax);
        }
        // __get_filter: bpf_check_basics_ok; bpf_prepare_filter: bpf_check_classic
        CheckResult classic = ClassicChecker.check(program, mutants);
        if (!classic.accepted()) {
            return classic;
        }
        // bpf_migrate_filter: bpf_convert_filter -> -EINVAL; then sk_attach_filter: __sk_filter_charge -> -ENOMEM
        return ClassicConverter.bpfConvertFilter(program, length -> skFilterCharge(length, optmemMax));
    }

    /**
     * {@code __sk_filter_charge}: the filter's {@code bpf_prog_size} (header plus 8 bytes per eBPF instruction)
     * must be below {@code optmem_max} with nothing else charged to a fresh socket.
     */
    static CheckResult skFilterCharge(int ebpfInstructions, int optmemMax) {
        long size = PROG_HEADER_BYTES + 8L * ebpfInstructions;
        if (size < optmemMax) {
            return CheckResult.ACCEPTED;
        }
        return CheckResult.reject(Errno.ENOMEM, -1, "__sk_filter_charge: bpf_prog_size of " + ebpfInstructions
                + " eBPF instructions, " + size + " bytes, reaches net.core.optmem_max = " + optmemMax);
    }
}

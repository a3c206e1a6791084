package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;

import dev.ringspec.bpf.BpfMutant;
import dev.ringspec.bpf.CheckResult;
import dev.ringspec.bpf.ClassicBpf;
import dev.ringspec.bpf.ClassicProgram;
import dev.ringspec.bpf.RunResult;
import dev.ringspec.uapi.SockFilter;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;

/**
 * {@code bpf_prog_create_from_user(&prog, &fprog, io_uring_check_cbpf_filter, false)} (net/core/filter.c) for
 * {@code io_register_bpf_filter}: the instructions copied in from the caller, then checked and made runnable by
 * the classic-BPF core ({@code dev.ringspec.bpf}) under io_uring's rules.
 */
final class CbpfPrograms {
    private CbpfPrograms() {
    }

    /** A program, or the errno that refused it ({@code program} null). */
    record Created(int errno, BpfFilterTable.Program program) {
    }

    /** {@code bpf_prog_create_from_user}: {@code len} instructions at {@code ptr}. */
    static Created create(UserArgs args, long ptr, int len, Set<BpfMutant> mutants) {
        // bpf_check_basics_ok: a NULL filter pointer -> -EINVAL (len was checked by io_bpf_filter_import)
        if (ptr == 0) {
            return new Created(-EINVAL, null);
        }
        // bpf_prog_create_from_user: copy_from_user of len struct sock_filter -> -EFAULT
        MemorySegment insns = args.resolve(ptr, (long) len * SockFilter.SIZE_BYTES);
        if (insns == null) {
            return new Created(-EFAULT, null);
        }
        List<SockFilter> program = SockFilter.readAll(insns, 0, len);
        // bpf_prepare_filter: bpf_check_classic, then io_uring_check_cbpf_filter -> -EINVAL
        CheckResult check = ClassicBpf.checkIoUringFilter(program, mutants);
        if (check.rejected()) {
            return new Created(check.result(), null);
        }
        if (!check.accepted()) {
            throw new UnsupportedOperationException("an io_uring filter program the model cannot judge: " + check);
        }
        ClassicProgram checked = ClassicProgram.of(program);
        return new Created(0, bctx -> run(checked, bctx, mutants));
    }

    /** {@code bpf_prog_run_pin_on_cpu} of a checked program on a request's context. */
    private static int run(ClassicProgram program, byte[] bctx, Set<BpfMutant> mutants) {
        RunResult r = ClassicBpf.runOnIoUringContext(program, bctx, mutants);
        if (!r.insideModel()) {
            throw new UnsupportedOperationException("an io_uring filter run the model cannot decide: " + r);
        }
        return r.value();
    }
}

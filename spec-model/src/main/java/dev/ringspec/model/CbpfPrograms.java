package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;

import dev.ringspec.uapi.SockFilter;
import java.lang.foreign.MemorySegment;

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
    static Created create(UserArgs args, long ptr, int len) {
        // bpf_check_basics_ok: a NULL filter pointer -> -EINVAL (len was checked by io_bpf_filter_import)
        if (ptr == 0) {
            return new Created(-EINVAL, null);
        }
        // bpf_prog_create_from_user: copy_from_user of len struct sock_filter -> -EFAULT
        MemorySegment insns = args.resolve(ptr, (long) len * SockFilter.SIZE_BYTES);
        if (insns == null) {
            return new Created(-EFAULT, null);
        }
        throw new UnsupportedOperationException("the classic-BPF core (dev.ringspec.bpf) is not merged yet");
    }
}

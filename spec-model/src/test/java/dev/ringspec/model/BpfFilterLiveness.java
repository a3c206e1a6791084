package dev.ringspec.model;

import static dev.ringspec.model.BpfFilterFixture.ALLOW;
import static dev.ringspec.model.BpfFilterFixture.DENY;
import static dev.ringspec.model.BpfFilterFixture.LOW_USER_DATA;
import static dev.ringspec.model.BpfFilterFixture.bpf;
import static dev.ringspec.model.BpfFilterFixture.pduSize;
import static dev.ringspec.model.BpfFilterFixture.registerRing;
import static dev.ringspec.model.BpfFilterFixture.registerTask;
import static dev.ringspec.model.BpfFilterFixture.socket;
import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_SZ_STRICT;

import dev.ringspec.seam.Sqe;
import dev.ringspec.uapi.IoUringBpfCtx;
import dev.ringspec.uapi.SockFilter;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The BPF filter part of {@link MutantsAreLiveTest}: small runs on the 7.2 profile whose observations each filter
 * mutant changes (registration answers, the written-back pdu_size, CQEs).
 */
final class BpfFilterLiveness {
    private BpfFilterLiveness() {
    }

    static void observe(StringBuilder out, Set<Mutant> mutants) {
        run(out, mutants, f -> {
            // DENY_REST: a SOCKET of an unknown family is -EACCES, not -EAFNOSUPPORT
            out.append(registerRing(f, bpf(f, IORING_OP_NOP, IO_URING_BPF_FILTER_DENY_REST, 0, ALLOW)));
            socket(f, 1, 100, 1, 0, 0);
            f.submit();
        });
        run(out, mutants, f -> {
            MemorySegment smaller = bpf(f, IORING_OP_SOCKET, 0, 8, ALLOW);
            MemorySegment strict = bpf(f, IORING_OP_SOCKET, IO_URING_BPF_FILTER_SZ_STRICT, 8, ALLOW);
            out.append(" smaller ").append(registerRing(f, smaller)).append('/').append(pduSize(smaller));
            out.append(" strict ").append(registerRing(f, strict)).append('/').append(pduSize(strict));
        });
        run(out, mutants, f -> {
            // a NOP with ioprio fails its prep (-EINVAL) before any filter; a deny is -EACCES
            registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, DENY));
            Sqe.ioprio(f.driver.sqes(), f.nop(1), 1);
            f.nop(2);
            f.submit();
        });
        run(out, mutants, f -> {
            registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, LOW_USER_DATA));
            f.nop(1, IOSQE_IO_LINK);
            f.nop(0, IOSQE_IO_LINK);
            f.nop(3);
            f.submit();
        });
        run(out, mutants, f -> {
            // the task's filter reaches the ring it creates next, and the ring of a child it forks
            out.append(" task ").append(registerTask(f, bpf(f, IORING_OP_NOP, 0, 0, DENY)));
            f.setup(4, 0);
            f.nop(1);
            f.submit();
            out.append(" parent ").append(f.reapAll());
            f.model.forkTask(false);
            f.setup(4, 0);
            f.nop(2);
            f.submit();
        });
        run(out, mutants, f -> {
            // SOCKET's context: type at 20 must be SOCK_DGRAM (2) for the filter to allow
            registerRing(f, bpf(f, IORING_OP_SOCKET, 0, 12,
                    BpfFilterFixture.wordEquals((int) IoUringBpfCtx.SOCKET_TYPE_OFFSET, 2)));
            socket(f, 5, 100, 2, 0, 0);
            f.submit();
        });
        observeChecker(out, mutants);
    }

    /** io_uring's own cBPF rules: an unaligned load and MOD are refused, BPF_LEN is 40. */
    static void observeChecker(StringBuilder out, Set<Mutant> mutants) {
        run(out, mutants, f -> {
            out.append(" unaligned ").append(registerRing(f, bpf(f, IORING_OP_NOP, 0, 0,
                    List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_ABS, 1), SockFilter.stmt(BPF_RET | BPF_A, 0)))));
            out.append(" mod ").append(registerRing(f, bpf(f, IORING_OP_NOP, 0, 0,
                    List.of(SockFilter.stmt(BPF_LD | BPF_IMM, 7), SockFilter.stmt(BPF_ALU | BPF_MOD | BPF_K, 3),
                            SockFilter.stmt(BPF_RET | BPF_A, 0)))));
        });
        run(out, mutants, f -> {
            // allows exactly when BPF_LEN is the context's size
            registerRing(f, bpf(f, IORING_OP_NOP, 0, 0, List.of(SockFilter.stmt(BPF_LD | BPF_W | BPF_LEN, 0),
                    SockFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, 40, 0, 1), SockFilter.stmt(BPF_RET | BPF_K, 1),
                    SockFilter.stmt(BPF_RET | BPF_K, 0))));
            f.nop(1);
            f.submit();
        });
    }

    private static void run(StringBuilder out, Set<Mutant> mutants, Consumer<ModelFixture> steps) {
        try (ModelFixture f = new ModelFixture(KernelProfile.LINUX_7_2, mutants)) {
            f.setup(8, 0);
            steps.accept(f);
            if (f.ring != null) {
                out.append(" cqes ").append(f.reapAll());
            }
            out.append(" | ");
        }
    }
}

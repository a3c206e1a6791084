package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST;

import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUring;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The filter part of {@link Coverage}: filters registered on rings and tasks, refused by errno, DENY_REST, denies
 * (alone and inside links), prep errors that came before a filter could run, rings created and tasks forked under
 * task filters, and the requests of each filtered opcode with the context they gave. Read from the steps and their
 * results; a run's filter state (ring, task) is kept from its start ({@link #beginRun}).
 */
final class FilterCoverage {
    static final String RING_FILTERS = "bpf filters registered on rings";
    static final String TASK_FILTERS = "bpf filters registered on tasks";
    static final String DENY_REST = "DENY_REST filters registered";
    static final String DENIES = "requests denied (-EACCES) under filters";
    static final String DENIES_IN_LINKS = "denies inside links";
    static final String PREP_BEFORE_FILTER = "filtered opcodes failing otherwise under filters";
    static final String RINGS_UNDER_TASK_FILTERS = "rings created under task filters";
    static final String FORKS_WITH_FILTERS = "forks with task filters";

    private final Map<String, Long> counts = new LinkedHashMap<>();
    private boolean ringFiltered;
    private boolean taskFiltered;

    FilterCoverage() {
        for (String k : List.of(RING_FILTERS, TASK_FILTERS, DENY_REST, DENIES, DENIES_IN_LINKS, PREP_BEFORE_FILTER,
                RINGS_UNDER_TASK_FILTERS, FORKS_WITH_FILTERS)) {
            counts.put(k, 0L);
        }
    }

    void beginRun() {
        ringFiltered = false;
        taskFiltered = false;
    }

    long count(String label) {
        return counts.getOrDefault(label, 0L);
    }

    Map<String, Long> counts() {
        return counts;
    }

    private void add(String label) {
        counts.merge(label, 1L, Long::sum);
    }

    void addAll(FilterCoverage other) {
        other.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
    }

    /** A step that ran, with its result. */
    void step(Step effective, int result) {
        switch (effective) {
            case Step.Setup s -> {
                ringFiltered = taskFiltered && result == 0;
                if (result == 0 && taskFiltered) {
                    add(RINGS_UNDER_TASK_FILTERS);
                }
            }
            case Step.ForkTask f when result == 0 && taskFiltered -> add(FORKS_WITH_FILTERS);
            case Step.BpfFilterArg f -> {
                boolean task = f instanceof Step.RegisterTaskBpfFilter;
                if (result == 0) {
                    add(task ? TASK_FILTERS : RING_FILTERS);
                    if ((f.flags() & IO_URING_BPF_FILTER_DENY_REST) != 0) {
                        add(DENY_REST);
                    }
                    if (task) {
                        taskFiltered = true;
                    } else {
                        ringFiltered = true;
                    }
                } else {
                    add("bpf filters refused on " + (task ? "tasks " : "rings ") + Errno.describe(result));
                }
            }
            case Step.ArgSqe a -> add(opcodeName(a) + " requests written");
            default -> {
            }
        }
    }

    /** One consumed SQE of an enter and its CQE's res ({@code Integer.MIN_VALUE} if none was posted). */
    void completion(int opcode, int flags, boolean prevLinked, int res) {
        if (!ringFiltered || res == Integer.MIN_VALUE) {
            return;
        }
        if (res == -Errno.EACCES) {
            add(DENIES);
            if (prevLinked || (flags & (IOSQE_IO_LINK | IOSQE_IO_HARDLINK)) != 0) {
                add(DENIES_IN_LINKS);
            }
        } else if (res < 0 && res != -Errno.ECANCELED && isFilteredOpcode(opcode)) {
            add(PREP_BEFORE_FILTER);
        }
        if (isFilteredOpcode(opcode)) {
            add(opcodeName(opcode) + " completions under filters, res " + (res >= 0 ? ">= 0" : Errno.describe(res)));
        }
    }

    static boolean isFilteredOpcode(int opcode) {
        return BpfPrograms.pduSize(opcode) != 0;
    }

    private static String opcodeName(Step.ArgSqe a) {
        return switch (a) {
            case Step.WriteSocket s -> "SOCKET";
            case Step.WriteOpenat o -> "OPENAT";
            case Step.WriteOpenat2 o -> "OPENAT2";
            case Step.WriteConnect c -> "CONNECT";
        };
    }

    private static String opcodeName(int opcode) {
        return switch (opcode) {
            case IoUring.IORING_OP_SOCKET -> "SOCKET";
            case IoUring.IORING_OP_OPENAT -> "OPENAT";
            case IoUring.IORING_OP_OPENAT2 -> "OPENAT2";
            default -> "CONNECT";
        };
    }
}

package dev.ringspec.model;

import java.util.Arrays;

/**
 * One set of io_uring BPF filters ({@code struct io_bpf_filters}, io_uring/bpf_filter.c; ring-semantics.md A7):
 * per opcode a list of filters, newest first. A list only ever grows at its front and its nodes never change, so
 * a copy of the set ({@code io_bpf_filter_cow}) shares every node with the original. {@link #DENY} is the
 * kernel's {@code dummy_filter}: DENY_REST puts it at the head of every opcode that had no filter at that moment,
 * and as it is only ever installed into an empty slot it stays at the tail of that opcode's list for good.
 *
 * <p>The set is mutable and may be shared: a ring or task that holds it copy-on-write
 * ({@link RestrictionFilters}) copies it before it adds a filter, one that does not adds in place, where every
 * other holder sees the new filter too.
 */
final class BpfFilterTable {
    /** A checked classic-BPF program on the context of one request (io_uring's cBPF rules hold for it). */
    @FunctionalInterface
    interface Program {
        /** The filter's verdict on the 40-byte {@code struct io_uring_bpf_ctx}: 0 denies, anything else allows. */
        int run(byte[] bctx);
    }

    /** {@code struct io_bpf_filter}: a program and the filter registered before it. */
    record Filter(Program program, Filter next) {
    }

    /** {@code dummy_filter}: denies without running anything. */
    static final Filter DENY = new Filter(null, null);

    private final Filter[] heads;
    private boolean shared;

    private BpfFilterTable(Filter[] heads) {
        this.heads = heads;
    }

    /** {@code io_new_bpf_filters}: no filter for any of {@code opLast} opcodes. */
    static BpfFilterTable empty(int opLast) {
        return new BpfFilterTable(new Filter[opLast]);
    }

    /** {@code io_bpf_filter_cow}: a new set whose lists are those of this one (the nodes are shared). */
    BpfFilterTable cow() {
        return new BpfFilterTable(Arrays.copyOf(heads, heads.length));
    }

    /** The newest filter of {@code opcode}, {@link #DENY}, or null without any. */
    Filter head(int opcode) {
        return heads[opcode];
    }

    /** Whether a ring or task has been given this set ({@code io_bpf_filter_clone}): written in place, it leaks. */
    boolean shared() {
        return shared;
    }

    void share() {
        shared = true;
    }

    /** How many opcodes this set has a slot for ({@code IORING_OP_LAST}). */
    int opLast() {
        return heads.length;
    }

    /**
     * {@code io_register_bpf_filter}, the insertion: {@code program} goes in front of {@code opcode}'s list; with
     * {@code denyRest}, every other opcode without a filter gets {@link #DENY}. Returns how many opcodes that filled.
     */
    int insert(int opcode, Program program, boolean denyRest) {
        heads[opcode] = new Filter(program, heads[opcode]);
        int filled = 0;
        if (denyRest) {
            for (int op = 0; op < heads.length; op++) {
                if (op != opcode && heads[op] == null) {
                    heads[op] = DENY;
                    filled++;
                }
            }
        }
        return filled;
    }

    /** How many filters {@code opcode}'s list holds, {@link #DENY} counted as one. */
    int depth(int opcode) {
        int n = 0;
        for (Filter f = heads[opcode]; f != null; f = f.next()) {
            n++;
            if (f == DENY) {
                break;
            }
        }
        return n;
    }
}

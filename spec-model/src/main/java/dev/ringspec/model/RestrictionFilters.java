package dev.ringspec.model;

/**
 * The filter half of a {@code struct io_restriction} (io_uring/bpf_filter.c; ring-semantics.md A7): the set of BPF
 * filters a ring or task holds ({@code bpf_filters}) and whether it holds it copy-on-write
 * ({@code bpf_filters_cow}). A ring created by a task and a task forked from one share the creator's set
 * ({@code io_bpf_filter_clone}) and copy it before their first filter of their own.
 *
 * <p>Linux 7.0 to 7.2 mark only the receiver copy-on-write, so the creator keeps adding filters in place, into the
 * set its rings and children still share; 7.3 marks both sides ({@link KernelProfile#bpfCloneMarksSourceCow}).
 */
final class RestrictionFilters {
    private BpfFilterTable table;
    private boolean cow;

    /** An {@code io_restriction} without filters. */
    RestrictionFilters() {
    }

    /** {@code bpf_filters}: null until a filter is registered or inherited. */
    BpfFilterTable table() {
        return table;
    }

    /** {@code bpf_filters_cow}. */
    boolean cow() {
        return cow;
    }

    /**
     * {@code io_bpf_filter_clone(dst = this, src)}: this holder shares {@code src}'s set, copy-on-write; with
     * {@code markSourceCow} (7.3) so does {@code src}.
     */
    void cloneFrom(RestrictionFilters src, boolean markSourceCow) {
        if (src == null || src.table == null) {
            return;
        }
        table = src.table;
        table.share();
        cow = true;
        if (markSourceCow) {
            src.cow = true;
        }
    }

    /**
     * {@code io_register_bpf_filter}, the choice of set: a new one without any, a copy when held copy-on-write,
     * else the held one, written in place. The caller installs it with {@link #install} once the filter is made.
     */
    BpfFilterTable writable(int opLast) {
        if (table == null) {
            return BpfFilterTable.empty(opLast);
        }
        return cow ? table.cow() : table;
    }

    /** {@code res->bpf_filters = filters}: a copy made for writing ends the copy-on-write. */
    void install(BpfFilterTable written) {
        if (written != table) {
            cow = false;
        }
        table = written;
    }
}

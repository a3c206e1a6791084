package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The {@code ZCRX_CTRL_FLUSH_RQ} part of a {@link ZcrxCtrl}; reserved space only.
 *
 * <pre>{@code
 * struct zcrx_ctrl_flush_rq {
 *     __u64   __resv[6];
 * };
 * }</pre>
 */
public final class ZcrxCtrlFlushRq {
    private ZcrxCtrlFlushRq() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            sequenceLayout(6, JAVA_LONG).withName("__resv")
    ).withName("zcrx_ctrl_flush_rq");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");
}

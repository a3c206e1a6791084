package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.GroupLayout;

/**
 * The argument of {@code IORING_REGISTER_ZCRX_CTRL}; {@code op} ({@code ZCRX_CTRL_*}) selects the member of
 * the union.
 *
 * <pre>{@code
 * struct zcrx_ctrl {
 *     __u32   zcrx_id;
 *     __u32   op;
 *     __u64   __resv[2];
 *     union {
 *         struct zcrx_ctrl_export     zc_export;
 *         struct zcrx_ctrl_flush_rq   zc_flush;
 *     };
 * };
 * }</pre>
 */
public final class ZcrxCtrl {
    private ZcrxCtrl() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("zcrx_id"),
            JAVA_INT.withName("op"),
            sequenceLayout(2, JAVA_LONG).withName("__resv"),
            unionLayout(
                    ZcrxCtrlExport.LAYOUT.withName("zc_export"),
                    ZcrxCtrlFlushRq.LAYOUT.withName("zc_flush")
            ).withName("anon1")
    ).withName("zcrx_ctrl");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long ZCRX_ID_OFFSET = Layouts.offsetOf(LAYOUT, "zcrx_id");
    public static final long OP_OFFSET = Layouts.offsetOf(LAYOUT, "op");
    public static final long RESV_OFFSET = Layouts.offsetOf(LAYOUT, "__resv");

    public static final long ZC_EXPORT_OFFSET = Layouts.offsetOf(LAYOUT, "zc_export");
    public static final long ZC_FLUSH_OFFSET = Layouts.offsetOf(LAYOUT, "zc_flush");
}

package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.GroupLayout;

/**
 * The {@code ZCRX_CTRL_EXPORT} part of a {@link ZcrxCtrl}.
 *
 * <pre>{@code
 * struct zcrx_ctrl_export {
 *     __u32   zcrx_fd;
 *     __u32   __resv1[11];
 * };
 * }</pre>
 */
public final class ZcrxCtrlExport {
    private ZcrxCtrlExport() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_INT.withName("zcrx_fd"),
            sequenceLayout(11, JAVA_INT).withName("__resv1")
    ).withName("zcrx_ctrl_export");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long ZCRX_FD_OFFSET = Layouts.offsetOf(LAYOUT, "zcrx_fd");
    public static final long RESV1_OFFSET = Layouts.offsetOf(LAYOUT, "__resv1");
}

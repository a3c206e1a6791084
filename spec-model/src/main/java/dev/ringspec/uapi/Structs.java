package dev.ringspec.uapi;

import java.lang.foreign.GroupLayout;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every uapi struct layout of this package, in the order of {@code shared/reference/uapi.md}, found by C name.
 *
 * <p>A class of its own, apart from {@link Layouts}: the struct classes use {@code Layouts} while they are
 * initialized, and this list reads their {@code LAYOUT}s, so keeping the two apart keeps class initialization
 * free of cycles.
 */
public final class Structs {
    private Structs() {
    }

    public static final List<GroupLayout> ALL = List.of(
            IoUringSqe.LAYOUT,
            IoUringAttrPi.LAYOUT,
            IoUringCqe.LAYOUT,
            IoSqringOffsets.LAYOUT,
            IoCqringOffsets.LAYOUT,
            IoUringParams.LAYOUT,
            IoUringFilesUpdate.LAYOUT,
            IoUringRegionDesc.LAYOUT,
            IoUringMemRegionReg.LAYOUT,
            IoUringRsrcRegister.LAYOUT,
            IoUringRsrcUpdate.LAYOUT,
            IoUringRsrcUpdate2.LAYOUT,
            IoUringProbeOp.LAYOUT,
            IoUringProbe.LAYOUT,
            IoUringRestriction.LAYOUT,
            IoUringTaskRestriction.LAYOUT,
            IoUringClockRegister.LAYOUT,
            IoUringCloneBuffers.LAYOUT,
            IoUringBuf.LAYOUT,
            IoUringBufRing.LAYOUT,
            IoUringBufReg.LAYOUT,
            IoUringBufStatus.LAYOUT,
            IoUringNapi.LAYOUT,
            IoUringRegWait.LAYOUT,
            IoUringGeteventsArg.LAYOUT,
            IoUringSyncCancelReg.LAYOUT,
            IoUringFileIndexRange.LAYOUT,
            IoUringRecvmsgOut.LAYOUT,
            IoTimespec.LAYOUT,
            KernelTimespec.LAYOUT,
            IoUringZcrxRqe.LAYOUT,
            IoUringZcrxCqe.LAYOUT,
            IoUringZcrxOffsets.LAYOUT,
            IoUringZcrxAreaReg.LAYOUT,
            IoUringZcrxIfqReg.LAYOUT,
            ZcrxCtrl.LAYOUT,
            ZcrxCtrlExport.LAYOUT,
            ZcrxCtrlFlushRq.LAYOUT,
            IoUringBpfCtx.LAYOUT,
            IoUringBpfFilterStruct.LAYOUT,
            IoUringBpf.LAYOUT,
            IoUringQueryHdr.LAYOUT,
            IoUringQueryOpcode.LAYOUT,
            IoUringQueryZcrx.LAYOUT,
            IoUringQueryScq.LAYOUT);

    private static final Map<String, GroupLayout> BY_NAME = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(layout -> layout.name().orElseThrow(), Function.identity()));

    /**
     * The layout of {@code struct name}, for example {@code byName("io_uring_sqe")}.
     *
     * @throws IllegalArgumentException if this package has no such struct
     */
    public static GroupLayout byName(String name) {
        GroupLayout layout = BY_NAME.get(name);
        if (layout == null) {
            throw new IllegalArgumentException("no uapi struct named '" + name + "'");
        }
        return layout;
    }
}

package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.IoUring.IORING_REGISTER_BPF_FILTER;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_IOWQ_MAX_WORKERS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_MEM_REGION;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_NAPI;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PBUF_STATUS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PROBE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_QUERY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RING_FDS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_NAPI;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_RING_FDS;

import dev.ringspec.uapi.IoUringBpf;
import dev.ringspec.uapi.IoUringBufStatus;
import dev.ringspec.uapi.IoUringMemRegionReg;
import dev.ringspec.uapi.IoUringNapi;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringProbe;
import dev.ringspec.uapi.IoUringProbeOp;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringRsrcUpdate;

/**
 * How many bytes of its argument a register opcode may write back. The kernel writes into user memory wherever
 * the pointer leads; in a JVM that memory may be the heap. A segment smaller than what the kernel could write is
 * answered {@code -EFAULT}, the answer the kernel gives for memory that is not there, and the kernel is not
 * called. Addresses embedded inside an argument (a query chain, a region descriptor) are the caller's to get
 * right, as in C.
 */
public final class RegisterArgBounds {
    /** The probe's op count is capped at {@code IORING_OP_LAST}, itself below 256, after the {@code > 256} check. */
    private static final int PROBE_MAX_OPS = 256;

    private RegisterArgBounds() {
    }

    /** The bytes the kernel may write through {@code arg} for this opcode, or 0 if it writes none. */
    public static long writableBytes(int opcode, int nrArgs) {
        int op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
        long nr = Integer.toUnsignedLong(nrArgs);
        return switch (op) {
            case IORING_REGISTER_PROBE -> nr > PROBE_MAX_OPS ? 0
                    : IoUringProbe.SIZE_BYTES + nr * IoUringProbeOp.SIZE_BYTES;
            case IORING_REGISTER_QUERY -> IoUringQueryHdr.SIZE_BYTES;
            case IORING_REGISTER_RESIZE_RINGS -> IoUringParams.SIZE_BYTES;
            case IORING_REGISTER_RING_FDS, IORING_UNREGISTER_RING_FDS -> nr * IoUringRsrcUpdate.SIZE_BYTES;
            case IORING_REGISTER_NAPI, IORING_UNREGISTER_NAPI -> IoUringNapi.SIZE_BYTES;
            case IORING_REGISTER_IOWQ_MAX_WORKERS -> nr * Integer.BYTES;
            case IORING_REGISTER_MEM_REGION -> IoUringMemRegionReg.SIZE_BYTES;
            case IORING_REGISTER_PBUF_STATUS -> IoUringBufStatus.SIZE_BYTES;
            case IORING_REGISTER_BPF_FILTER -> IoUringBpf.SIZE_BYTES;
            default -> 0;
        };
    }
}

package dev.ringspec.bpf;

import static dev.ringspec.uapi.Filter.BPF_ABS;

import dev.ringspec.uapi.IoUringBpfCtx;

import java.util.Objects;

/**
 * The {@code struct io_uring_bpf_ctx} an io_uring filter runs on ({@code __io_uring_run_bpf_filters}), 40 bytes.
 * {@code io_uring_check_cbpf_filter} turns {@code LD W ABS} into a context load ({@code A = *(u32 *)(ctx + K)},
 * native little-endian) and allows it only for K below 40 and a multiple of 4; {@code BPF_LEN} becomes the
 * constant 40. Every other load is rejected there, so a run that reaches one is outside the model.
 */
public final class IoUringContext implements BpfData {
    /** {@code sizeof(struct io_uring_bpf_ctx)}. */
    public static final int SIZE_BYTES = (int) IoUringBpfCtx.SIZE_BYTES;

    private final byte[] ctx;

    private IoUringContext(byte[] ctx) {
        this.ctx = ctx;
    }

    /** A context holding a copy of {@code ctx}, exactly {@link #SIZE_BYTES} bytes in the kernel's layout. */
    public static IoUringContext of(byte[] ctx) {
        Objects.requireNonNull(ctx, "ctx");
        if (ctx.length != SIZE_BYTES) {
            throw new IllegalArgumentException("struct io_uring_bpf_ctx has " + SIZE_BYTES + " bytes, not "
                    + ctx.length);
        }
        return new IoUringContext(ctx.clone());
    }

    @Override
    public int length() {
        return SIZE_BYTES;
    }

    @Override
    public long load(int mode, int offset, int sizeBytes) {
        if (mode != BPF_ABS || sizeBytes != 4 || offset < 0 || offset >= SIZE_BYTES || (offset & 3) != 0) {
            return OUTSIDE_MODEL;
        }
        return Integer.toUnsignedLong((ctx[offset] & 0xff) | ((ctx[offset + 1] & 0xff) << 8)
                | ((ctx[offset + 2] & 0xff) << 16) | ((ctx[offset + 3] & 0xff) << 24));
    }

    @Override
    public long ancillary(int skfAd, int a, int x) {
        return OUTSIDE_MODEL;
    }
}

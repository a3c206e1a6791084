package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_RECV;

import dev.ringspec.emulator.EmuOp;
import dev.ringspec.emulator.Inflight;
import dev.ringspec.model.OpDef;
import java.util.List;

/**
 * Opcodes other emulator files will bring, reduced to what these tests need: RECV as {@code ops.Net} will hand a
 * multishot receive to {@link RecvMultishot}, and ASYNC_CANCEL by user_data over the ring's {@link Inflight}.
 */
final class TestOps {
    private TestOps() {
    }

    static final EmuOp RECV = EmuOp.of(new OpDef(IORING_OP_RECV, "RECV",
            OpDef.NEEDS_FILE | OpDef.POLLIN | OpDef.BUFFER_SELECT | OpDef.IOPRIO, RecvMultishot::prep,
            RecvMultishot::issue));

    static final EmuOp ASYNC_CANCEL = EmuOp.of(new OpDef(IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL", 0,
            (req, ctx) -> 0, (req, ctx) -> {
                Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
                for (Inflight.Kind kind : Inflight.Kind.values()) {
                    for (Inflight.Entry e : inflight.find(kind, x -> x.req().userData() == req.addr())) {
                        ctx.setRes(req, e.canceler().cancel(), 0);
                        return OpDef.COMPLETE;
                    }
                }
                ctx.setRes(req, -ENOENT, 0);
                return OpDef.COMPLETE;
            }));

    static final List<EmuOp> BOTH = List.of(RECV, ASYNC_CANCEL);
}

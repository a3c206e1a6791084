package dev.ringspec.emulator.ops;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;

/**
 * The reference model's own entries (SOCKET, CONNECT, OPENAT, OPENAT2: exact up to issue, WORLD.md) with the
 * emulator's real issue: the model's prep runs first, then the emulator's, which keeps what the real call needs in
 * a state that still holds the model's ({@link Backed}), so the model's BPF filter context (7.0+) reads its own.
 */
final class ModelEntries {
    private ModelEntries() {
    }

    /** An emulator request state that carries the model's prep state along. */
    interface Backed {
        Object model();
    }

    /**
     * {@code opcode}'s model entry on {@code profile} with {@code after} run once the model's prep accepted the
     * request (it replaces the request's state with a {@link Backed} one) and {@code issue} for real; null where the
     * model has no entry for this profile.
     */
    static OpDef wrap(KernelProfile profile, int opcode, OpDef.Prep after, OpDef.Issue issue) {
        OpDef m = OpDef.ofModel(profile, opcode);
        if (m == null) {
            return null;
        }
        OpDef.Prep prep = (req, ctx) -> {
            int r = m.prep().prep(req, ctx);
            return r != 0 ? r : after.prep(req, ctx);
        };
        OpDef.FilterPopulate populate = m.filterPopulate() == null ? null : (req, bctx) -> {
            Object own = req.opState();
            req.opState(modelState(req));
            try {
                m.filterPopulate().populate(req, bctx);
            } finally {
                req.opState(own);
            }
        };
        return new OpDef(opcode, m.name(), m.flags(), prep, issue, m.filterPduSize(), populate);
    }

    private static Object modelState(Req req) {
        return req.opState() instanceof Backed b ? b.model() : req.opState();
    }
}

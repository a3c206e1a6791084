package dev.ringspec.invariants;

import dev.ringspec.seam.RingObservation.PendingSqe;
import java.util.ArrayList;
import java.util.List;

/**
 * One request the kernel took from the SQ ring (an SQE it consumed and did not drop), followed until its CQE is
 * published: what it asked for, the link chain it belongs to, and whether the rules let it stay silent.
 */
final class Request {
    final PendingSqe sqe;
    final int submittedStep;
    /** The members of its link chain in submission order (itself included); a lone request is a chain of one. */
    final List<Request> chain;
    /**
     * Whether it may post no CQE: it, or a member before it in its chain, carries {@code IOSQE_CQE_SKIP_SUCCESS}
     * (a successful request with the flag posts nothing, and a failing one silences the members it cancels).
     */
    final boolean maySkip;
    boolean posted;

    Request(PendingSqe sqe, int submittedStep, List<Request> chain, boolean maySkip) {
        this.sqe = sqe;
        this.submittedStep = submittedStep;
        this.chain = chain;
        this.maySkip = maySkip;
    }

    static List<Request> newChain() {
        return new ArrayList<>(2);
    }

    @Override
    public String toString() {
        return "request ud " + sqe.userData() + " (SQ position " + Integer.toUnsignedString(sqe.counter())
                + ", submitted at step " + submittedStep + ")";
    }
}

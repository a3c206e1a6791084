package dev.ringspec.emulator;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;

/** How work from outside a ring's task reaches it: {@link EmulatorServices#deliver}. */
@FunctionalInterface
interface Delivery {
    void deliver(IssueContext ctx, Req req, OpDef.Issue func);

    /** Straight to the ring's task. */
    Delivery DIRECT = IssueContext::taskWorkFromOtherThread;
}

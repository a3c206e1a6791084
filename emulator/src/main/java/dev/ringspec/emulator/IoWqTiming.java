package dev.ringspec.emulator;

import static dev.ringspec.emulator.IoWqChoices.IOWQ_FINISHES_BETWEEN_CALLS;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_RACES_DEFER_TASKRUN_WAIT;
import static dev.ringspec.emulator.IoWqChoices.IOWQ_STILL_RUNNING;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;

import dev.ringspec.model.Chooser;
import dev.ringspec.model.IssueContext;

/**
 * When io-wq work queued now finishes, as the deterministic mode's chooser says ({@link WorkerPool}'s pending work):
 * for how many later enters it is still running, and for how many calls after those. With no chooser (null: worker
 * threads, or none set) nothing is asked and each answers its default.
 */
final class IoWqTiming {
    private IoWqTiming() {
    }

    /** How many of the next enters {@code c} says an item queued now is still running at. */
    static int entersRunning(Chooser c, IssueContext ctx) {
        return c == null ? 0 : c.choose(IOWQ_STILL_RUNNING, ctx.ringFd());
    }

    /**
     * For how many more calls after the enters it still runs at {@code c} says io-wq work of a ring whose workers post
     * their own CQEs is still running ({@link IoWqChoices#IOWQ_FINISHES_BETWEEN_CALLS}). Asked only where the ring's CQ
     * takes no CQE now (the overflow list holds entries, or the CQ is full): there the worker's CQE goes to the
     * overflow list, whose order the moment it finished decides (io_req_complete_post's defer_complete,
     * io_cqe_overflow_locked). A CQE that finds a slot is posted at once, where the points asked already
     * (IOWQ_STILL_RUNNING, IOWQ_POSTS_BEFORE_FLUSH) place it; asked there too, the lockstep's choice search took its
     * outcomes where IOWQ_STILL_RUNNING alone explained the run, and tried more references for each difference
     * (ChoiceSearchTest).
     */
    static int finishesBetweenCalls(Chooser c, IssueContext ctx) {
        return c == null || !ctx.cqeFillRefused() ? 0 : c.choose(IOWQ_FINISHES_BETWEEN_CALLS, ctx.ringFd());
    }

    /**
     * Whether {@code c} says this DEFER_TASKRUN ring's io-wq work finishes after the enter: -1 where it finished
     * before the wait, else how many calls after the next one still find it running. For an item still running at
     * later enters ({@link IoWqChoices#IOWQ_STILL_RUNNING}) the calls count from the last of those enters on, and -1
     * is 0: it finished by the next call after that enter.
     */
    static int finishesAfterTheEnter(Chooser c, IssueContext ctx) {
        return c != null && (ctx.setupFlags() & IORING_SETUP_DEFER_TASKRUN) != 0
                ? c.choose(IOWQ_RACES_DEFER_TASKRUN_WAIT, ctx.ringFd()) - 1 : -1;
    }
}

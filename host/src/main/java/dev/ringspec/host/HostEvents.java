package dev.ringspec.host;

import java.util.ArrayList;
import java.util.List;

/**
 * The report's sentences for what happened to a hosted program's calls that the kernel would do too: rings that ended,
 * requests an exec or an exit cancelled, waits a signal ended ({@link Supervisor#events}).
 */
final class HostEvents {
    private HostEvents() {
    }

    /** One sentence per count that is not 0, then {@code more} (the signal events). */
    static List<String> sentences(int ringsEnded, long execCancelled, long exitCancelled, long waitsEnded,
            List<String> more) {
        List<String> events = new ArrayList<>();
        if (ringsEnded > 0) {
            events.add(ringsEnded + (ringsEnded == 1 ? " ring" : " rings") + " ended while the program ran (its last"
                    + " descriptor and mapping gone): requests cancelled, registered files let go");
        }
        if (execCancelled > 0) {
            events.add(execCancelled + (execCancelled == 1 ? " request" : " requests") + " cancelled by an exec of the"
                    + " thread that submitted it (as the kernel's io_uring_task_cancel; here before the exec runs, so a"
                    + " failed exec cancels them too)");
        }
        if (exitCancelled > 0) {
            events.add(exitCancelled + (exitCancelled == 1 ? " request" : " requests") + " cancelled by the exit of"
                    + " the thread that submitted it (as the kernel's io_uring_files_cancel: requests on a ring's own"
                    + " descriptor and those linked to them)");
        }
        if (waitsEnded > 0) {
            events.add(waitsEnded + (waitsEnded == 1 ? " wait" : " waits") + " ended by a signal or by the thread's"
                    + " end");
        }
        events.addAll(more);
        return events;
    }
}

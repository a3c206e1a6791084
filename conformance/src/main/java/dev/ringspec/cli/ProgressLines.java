package dev.ringspec.cli;

import dev.ringspec.lockstep.LockstepCheck;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * A long check's progress as plain lines, one every {@code every} (each a complete line, so a log or a CI console
 * reads it as well as a terminal): runs done of the budget, steps, time, and what was found so far. The latest state
 * is also what an interrupt prints when the check cannot summarise itself in time.
 */
final class ProgressLines implements LockstepCheck.Progress {
    private final PrintWriter out;
    private final long everyNanos;
    private final Interruption interruption;
    private long lastNanos = System.nanoTime();

    ProgressLines(PrintWriter out, Duration every, Interruption interruption) {
        this.out = out;
        this.everyNanos = every.toNanos();
        this.interruption = interruption;
    }

    @Override
    public void update(LockstepCheck.Summary soFar, int plannedRuns) {
        interruption.fallback(w -> LockstepCheck.printBrief(w, soFar));
        long now = System.nanoTime();
        if (soFar.runs() == 0 || now - lastNanos < everyNanos) {
            return;
        }
        lastNanos = now;
        synchronized (out) {
            out.printf("progress: %d of %d runs (%d%%), %d steps, %.0f s, %.0f steps/s; %d new, %d catalogued%n",
                    soFar.runs(), plannedRuns, plannedRuns == 0 ? 100 : soFar.runs() * 100L / plannedRuns,
                    soFar.steps(), soFar.nanos() / 1e9, soFar.stepsPerSecond(), soFar.newDivergences().size(),
                    soFar.cataloguedDivergences().size());
            out.flush();
        }
    }
}

package dev.ringspec.cli;

import dev.ringspec.lockstep.LockstepCheck;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * A check's progress, told after each replay and generated run: the runs done of the planned runs, or in deep mode
 * the steps or the time of the budget spent, on a {@link ProgressView} (a bar on a terminal, else plain lines). A
 * check that goes on past a divergence runs in parts; the counts are all parts' so far. The latest state is also
 * what an interrupt prints when the check cannot summarise itself in time.
 */
final class CheckProgress implements LockstepCheck.Progress {
    private final ProgressView view;
    private final Interruption interruption;
    private final int plannedRuns;
    private final Budget budget;
    private final long startNanos;
    private int runsBefore;
    private long stepsBefore;
    private int newBefore;
    private int cataloguedBefore;
    private volatile long steps;

    /**
     * The progress of {@code plannedRuns} runs, or of {@code budget} (null for none) counted from
     * {@code startNanos}, named {@code task} on a bar, or as a line on {@code out} every {@code every}.
     */
    CheckProgress(String task, int plannedRuns, Budget budget, long startNanos, PrintWriter out, Duration every,
            Interruption interruption) {
        this.plannedRuns = plannedRuns;
        this.budget = budget;
        this.startNanos = startNanos;
        this.interruption = interruption;
        this.view = budget == null ? ProgressView.open(task, "runs", plannedRuns, out, every)
                : budget.time() != null ? ProgressView.open(task + " (budget)", "s", budget.time().toSeconds(), out,
                        every) : ProgressView.open(task + " (budget)", "steps", budget.steps(), out, every);
    }

    /** A part ended: its counts stay in those of the parts after it. */
    void partDone(LockstepCheck.Summary part) {
        runsBefore += part.runs();
        stepsBefore += part.steps();
        newBefore += part.newDivergences().size();
        cataloguedBefore += part.cataloguedDivergences().size();
    }

    /** The steps checked so far, all parts'. */
    long steps() {
        return steps;
    }

    @Override
    public void update(LockstepCheck.Summary soFar, int plannedInPart) {
        interruption.fallback(w -> LockstepCheck.printBrief(w, soFar));
        steps = stepsBefore + soFar.steps();
        int runs = runsBefore + soFar.runs();
        if (soFar.runs() == 0) {
            return; // the replays: one line each already
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        long done = budget == null ? runs : budget.time() != null ? (long) seconds : steps;
        String found = String.format("%.0f steps/s; %d new, %d catalogued", seconds == 0 ? 0 : steps / seconds,
                newBefore + soFar.newDivergences().size(), cataloguedBefore + soFar.cataloguedDivergences().size());
        view.show(done, () -> "progress: " + counts(runs, seconds) + ", " + found,
                () -> (budget == null ? "" : runs + " runs, ") + steps + " steps, " + found);
    }

    /** Runs, steps and time, with the part of the plan or the budget spent. */
    private String counts(int runs, double seconds) {
        if (budget == null) {
            return String.format("%d of %d runs (%d%%), %d steps, %.0f s", runs, plannedRuns,
                    plannedRuns == 0 ? 100 : runs * 100L / plannedRuns, steps, seconds);
        }
        if (budget.time() != null) {
            long of = budget.time().toSeconds();
            return String.format("%d runs, %d steps, %.0f s of the budget's %d s (%d%%)", runs, steps, seconds, of,
                    Math.min(100, (long) (seconds * 100 / of)));
        }
        return String.format("%d runs, %d of the budget's %d steps (%d%%), %.0f s", runs, steps, budget.steps(),
                Math.min(100, steps * 100 / budget.steps()), seconds);
    }

    /** Ends the bar (erased), before the summary. */
    void close() {
        view.close();
    }
}

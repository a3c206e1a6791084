package dev.ringspec.cli;

import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Ctrl-C during a long command: a shutdown hook asks the command to stop at its next boundary (the next replay or
 * run), waits a little for it to print its own partial summary, and otherwise prints the last progress it was told;
 * the JVM then exits 130 (128 + SIGINT), as it does for an interrupt. A command that finished normally prints
 * nothing more.
 */
final class Interruption implements AutoCloseable {
    /** How long the hook waits for the command's own partial summary. */
    static final long GRACE_MILLIS = 5_000;

    private final PrintWriter out;
    private final Thread hook;
    private final CountDownLatch summarised = new CountDownLatch(1);
    private volatile boolean requested;
    private volatile boolean finished;
    private volatile Consumer<PrintWriter> lastWords = w -> { };

    private Interruption(PrintWriter out) {
        this.out = out;
        this.hook = new Thread(this::interrupted, "ringspec-interrupt");
    }

    /** Watches for an interrupt until {@link #close}; {@code out} is where the partial summary goes. */
    static Interruption watch(PrintWriter out) {
        Interruption i = new Interruption(out);
        Runtime.getRuntime().addShutdownHook(i.hook);
        return i;
    }

    /** Whether an interrupt asked the command to stop. */
    boolean requested() {
        return requested;
    }

    /** What to print if the command cannot summarise itself in time (the latest progress). */
    void fallback(Consumer<PrintWriter> words) {
        this.lastWords = words;
    }

    /** The command printed its partial summary after an interrupt. */
    void summarised() {
        summarised.countDown();
    }

    private void interrupted() {
        if (finished) {
            return;
        }
        requested = true;
        ConsoleScreen.current().ifPresent(ConsoleScreen::stopBars);
        synchronized (out) {
            out.println();
            out.println("ringspec: interrupted; stopping at the next run (partial summary follows)");
            out.flush();
        }
        try {
            if (summarised.await(GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (out) {
            out.println("ringspec: interrupted in the middle of a step; the partial summary so far:");
            lastWords.accept(out);
            out.flush();
        }
    }

    @Override
    public void close() {
        finished = true;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: it prints, and the JVM exits 130
        }
    }
}

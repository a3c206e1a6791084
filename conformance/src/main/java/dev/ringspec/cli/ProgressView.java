package dev.ringspec.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How far a long job is, shown as it goes: a progress bar (the {@code progressbar} library's, drawn on the
 * {@link ConsoleScreen}) where standard output is a terminal, else a plain line every so often, each a complete
 * line, so a log or a CI console reads it as well as a person does.
 */
interface ProgressView extends AutoCloseable {
    /**
     * {@code done} of the planned amount; {@code line} is the plain progress line, {@code brief} what the bar shows
     * after its counts (each asked for only when shown).
     */
    void show(long done, Supplier<String> line, Supplier<String> brief);

    /** The planned amount changed (a budget's parts). */
    void plan(long planned);

    /** Ends the view: the bar is erased, so what follows starts on a clean line. */
    @Override
    void close();

    /**
     * A bar named {@code task} counting {@code unit} up to {@code planned} on the terminal, else plain lines on
     * {@code out} every {@code every} (after every update for zero).
     */
    static ProgressView open(String task, String unit, long planned, PrintWriter out, Duration every) {
        return ConsoleScreen.current().<ProgressView>map(screen -> new Bar(screen, task, unit, planned))
                .orElseGet(() -> new Lines(out, every));
    }

    /** A plain line at most every {@code every}. */
    final class Lines implements ProgressView {
        private final PrintWriter out;
        private final long everyNanos;
        private long lastNanos = System.nanoTime();

        Lines(PrintWriter out, Duration every) {
            this.out = out;
            this.everyNanos = every.toNanos();
        }

        @Override
        public void show(long done, Supplier<String> line, Supplier<String> brief) {
            long now = System.nanoTime();
            if (done == 0 || now - lastNanos < everyNanos) {
                return;
            }
            lastNanos = now;
            synchronized (out) {
                out.println(line.get());
                out.flush();
            }
        }

        @Override
        public void plan(long planned) {
        }

        @Override
        public void close() {
        }
    }

    /** The library's bar, redrawn twice a second, on the screen's bottom line. */
    final class Bar implements ProgressView {
        private final ConsoleScreen screen;
        private final ProgressBar bar;
        private boolean closed;

        Bar(ConsoleScreen screen, String task, String unit, long planned) {
            this.screen = screen;
            ProgressBarConsumer onScreen = new ProgressBarConsumer() {
                @Override
                public int getMaxRenderedLength() {
                    return screen.columns() - 3; // room for the terminal's echo of Ctrl-C (^C) on the same line
                }

                @Override
                public void accept(String rendered) {
                    screen.drawBar(rendered);
                }

                @Override
                public void clear() {
                    screen.eraseBar();
                }

                @Override
                public void close() {
                }
            };
            this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(planned)
                    .setStyle(screen.unicode() ? ProgressBarStyle.UNICODE_BLOCK : ProgressBarStyle.ASCII)
                    .setUnit(" " + unit, 1).setUpdateIntervalMillis(500).continuousUpdate().clearDisplayOnFinish()
                    .setConsumer(onScreen).build();
        }

        @Override
        public void show(long done, Supplier<String> line, Supplier<String> brief) {
            bar.stepTo(done);
            bar.setExtraMessage(brief.get());
        }

        @Override
        public void plan(long planned) {
            bar.maxHint(planned);
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                bar.close();
                // the library's last render erases only a bar it had drawn before (a bar closed before its first
                // tick is drawn by the close and left): erase whatever is shown now, nothing draws after the close
                screen.eraseBar();
            }
        }
    }
}

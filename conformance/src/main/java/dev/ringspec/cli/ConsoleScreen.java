package dev.ringspec.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * The terminal that standard output shows on, shared by the command's lines and one progress bar on the line below
 * them. Text written while the bar is shown erases it first ({@code CR}, then {@code ESC [ K}: erase to the end of
 * the line); the bar is drawn only where the text left the cursor at the start of a line, so neither corrupts the
 * other. Standard error goes through it too where it is the same kind of terminal.
 *
 * <p>{@link #installIfTerminal} installs it from {@code main} only where standard output is a terminal, {@code TERM}
 * is not {@code dumb} and {@code CI} is not {@code true}; everywhere else (a pipe, a file, a CI log, a test) long
 * runs print plain progress lines instead ({@link ProgressView}).
 */
final class ConsoleScreen {
    /** Erases the line the cursor is on and puts the cursor at its start. */
    private static final byte[] ERASE = "\r\u001b[K".getBytes(StandardCharsets.US_ASCII);
    private static final int DEFAULT_COLUMNS = 80;

    private static volatile ConsoleScreen installed;

    private final OutputStream terminal;
    private final IntSupplier columns;
    private boolean barShown;
    private boolean atLineStart = true;
    private boolean barsStopped;

    /** A screen drawing its bar on {@code terminal}, {@code columns} wide (a test's; main's is standard output). */
    ConsoleScreen(OutputStream terminal, IntSupplier columns) {
        this.terminal = terminal;
        this.columns = columns;
    }

    /**
     * Where standard output is an interactive terminal (and {@code env} says neither {@code CI=true} nor
     * {@code TERM=dumb}), routes {@link System#out} (and {@link System#err}, where it is a terminal too) through
     * one screen and answers true; else changes nothing.
     */
    static boolean installIfTerminal(Map<String, String> env) {
        if ("true".equalsIgnoreCase(env.getOrDefault("CI", "")) || "dumb".equals(env.get("TERM"))
                || !Tty.isTerminal(1)) {
            return false;
        }
        ConsoleScreen screen = new ConsoleScreen(new FileOutputStream(FileDescriptor.out),
                ConsoleScreen::columnsOfStdout);
        Charset charset = System.out.charset();
        System.setOut(new PrintStream(screen.stream(new FileOutputStream(FileDescriptor.out)), true, charset));
        if (Tty.isTerminal(2)) {
            System.setErr(new PrintStream(screen.stream(new FileOutputStream(FileDescriptor.err)), true,
                    System.err.charset()));
        }
        installed = screen;
        return true;
    }

    /** The screen {@code main} installed, or empty where output is no terminal. */
    static Optional<ConsoleScreen> current() {
        return Optional.ofNullable(installed);
    }

    /** Whether the terminal shows the block characters of a Unicode bar. */
    boolean unicode() {
        return System.out.charset().equals(StandardCharsets.UTF_8);
    }

    /** The terminal's width in columns. */
    int columns() {
        return columns.getAsInt();
    }

    /** Standard output's width in columns (its window size; else {@code COLUMNS}; else 80). */
    private static int columnsOfStdout() {
        int columns = Tty.columns(1);
        if (columns > 0) {
            return columns;
        }
        try {
            return Math.max(20, Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "")));
        } catch (NumberFormatException e) {
            return DEFAULT_COLUMNS;
        }
    }

    /** Draws the bar (one line, cut to the width) unless text is mid-line or bars were stopped. */
    synchronized void drawBar(String rendered) {
        if (barsStopped || !atLineStart) {
            return;
        }
        String line = rendered.replace('\r', ' ').replace('\n', ' ');
        int width = columns() - 3; // room for the terminal's echo of Ctrl-C (^C) on the same line
        if (line.codePointCount(0, line.length()) > width) {
            line = line.substring(0, line.offsetByCodePoints(0, width));
        }
        write(terminal, ("\r" + line + "\u001b[K").getBytes(System.out.charset()));
        barShown = true;
    }

    /** Erases the bar if it is shown. */
    synchronized void eraseBar() {
        if (barShown) {
            write(terminal, ERASE);
            barShown = false;
        }
    }

    /** Erases the bar and draws none from now on (an interrupt: what follows is the partial summary). */
    synchronized void stopBars() {
        eraseBar();
        barsStopped = true;
    }

    /** Text for {@code target}: the bar erased first; the cursor's place at a line start noted. */
    private synchronized void text(OutputStream target, byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        eraseBar();
        try {
            target.write(b, off, len);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        atLineStart = b[off + len - 1] == '\n';
    }

    private static void write(OutputStream target, byte[] bytes) {
        try {
            target.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A stream of text for {@code target}, which shows on this screen. */
    OutputStream stream(OutputStream target) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                text(target, new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                text(target, b, off, len);
            }
        };
    }

    /** {@code isatty(3)} and the {@code TIOCGWINSZ} ioctl, one handle each. */
    private static final class Tty {
        private static final MethodHandle ISATTY = link("isatty",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        /** {@code int ioctl(int fd, unsigned long request, ...)} with one pointer after the request. */
        private static final MethodHandle IOCTL = link("ioctl", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(2));
        /** asm-generic/ioctls.h */
        private static final long TIOCGWINSZ = 0x5413;

        private Tty() {
        }

        @SuppressWarnings("restricted") // two libc calls about the terminal, which the JVM does not offer
        private static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor, options);
        }

        static boolean isTerminal(int fd) {
            try {
                return (int) ISATTY.invokeExact(fd) == 1;
            } catch (Throwable e) {
                return false;
            }
        }

        /** {@code struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }}: ws_col, or 0. */
        static int columns(int fd) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment size = arena.allocate(8, 2);
                if ((int) IOCTL.invokeExact(fd, TIOCGWINSZ, size) != 0) {
                    return 0;
                }
                return Short.toUnsignedInt(size.get(ValueLayout.JAVA_SHORT, 2));
            } catch (Throwable e) {
                return 0;
            }
        }
    }
}

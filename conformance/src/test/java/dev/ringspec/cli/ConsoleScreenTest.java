package dev.ringspec.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/**
 * The terminal shared by a command's lines and its progress bar, on a byte buffer standing in for the terminal: the
 * bytes it would see, written out here by hand from the two escape sequences ({@code CR ESC [ K} erases the line the
 * cursor is on).
 */
class ConsoleScreenTest {
    private static final String ERASE = "\r\u001b[K";

    private final ByteArrayOutputStream tty = new ByteArrayOutputStream();
    private final ConsoleScreen screen = new ConsoleScreen(tty, () -> 40);
    private final PrintStream out = new PrintStream(screen.stream(tty), true, UTF_8);

    @Test
    void textErasesTheBarFirstAndTheBarComesBackOnlyAtTheStartOfALine() {
        screen.drawBar("check 10% 1/10 runs");
        out.print("replay a: ok\n");
        screen.drawBar("check 20% 2/10 runs");
        out.print("summary: ");
        screen.drawBar("check 30% 3/10 runs");
        out.print("clean\n");
        screen.eraseBar();
        assertThat(tty.toString(UTF_8)).isEqualTo("\rcheck 10% 1/10 runs\u001b[K" + ERASE + "replay a: ok\n"
                + "\rcheck 20% 2/10 runs\u001b[K" + ERASE + "summary: clean\n");
    }

    @Test
    void aBarIsCutToTheWidthLeavingRoomForTheEchoOfCtrlC() {
        screen.drawBar("x".repeat(60) + "\n");
        assertThat(tty.toString(UTF_8)).isEqualTo("\r" + "x".repeat(37) + "\u001b[K");
    }

    @Test
    void afterAnInterruptTheBarIsErasedAndNoneIsDrawn() {
        screen.drawBar("check 50%");
        screen.stopBars();
        screen.drawBar("check 51%");
        out.print("ringspec: interrupted\n");
        assertThat(tty.toString(UTF_8)).isEqualTo("\rcheck 50%\u001b[K" + ERASE + "ringspec: interrupted\n");
    }

    @Test
    void theLibrarysBarShowsTheCountsAndIsErasedWhenItCloses() {
        ByteArrayOutputStream wide = new ByteArrayOutputStream();
        ConsoleScreen wideScreen = new ConsoleScreen(wide, () -> 120);
        ProgressView bar = new ProgressView.Bar(wideScreen, "native", "runs", 10);
        bar.show(4, () -> "progress: 4 of 10 runs", () -> "800 steps");
        bar.close();
        assertThat(wide.toString(UTF_8)).contains("native", "4/10 runs", "800 steps").endsWith(ERASE);
        new PrintStream(wideScreen.stream(wide), true, UTF_8).print("summary\n");
        assertThat(wide.toString(UTF_8)).as("nothing drawn after the close").endsWith(ERASE + "summary\n");
    }
}

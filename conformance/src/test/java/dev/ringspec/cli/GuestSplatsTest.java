package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.ringspec.guest.GuestKernel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernel splats in a guest (Debian's 7.2 under QEMU): a WARNING logged in the guest's kernel while its check runs
 * (written into its {@code /dev/kmsg} through the agent, as the native test writes into this machine's) is reported
 * with the run that was running, and the check exits {@link ExitStatus#SPLAT}, although the guest's command line
 * says {@code quiet} (KERN_WARNING is not on its console). Skipped with the reason where QEMU or the kernel cannot
 * be had.
 */
@Tag("qemu")
class GuestSplatsTest {
    @TempDir
    Path tmp;

    @AfterEach
    void forgetTheGuest() {
        GuestKernels.booted = guest -> { };
    }

    @Test
    void aWarningInTheGuestsKernelLogDuringItsCheckIsReportedWithTheRunAndExits4() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        AtomicReference<Throwable> logging = new AtomicReference<>();
        GuestKernels.booted = guest -> Thread.ofPlatform().daemon().start(() -> logWhenRunsBegin(guest, out,
                logging));
        int status = Ringspec.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("check", "--kernel", "debian:7.2", "--runs", "400", "--steps", "30", "--progress-seconds",
                        "0", "--replay-dir", Files.createDirectory(tmp.resolve("no-replays")).toString(), "--out",
                        tmp.resolve("out").toString());
        if (status == ExitStatus.UNAVAILABLE && err.toString().contains("debian:7.2")) {
            abort(err.toString().lines().findFirst().orElse("debian:7.2 unavailable"));
        }
        String text = out + "\n" + err;
        assertThat(logging.get()).as(text).isNull();
        assertThat(status).as(text).isEqualTo(ExitStatus.SPLAT);
        assertThat(text).containsPattern("kernel splats: 1 new line\\(s\\)")
                .containsPattern("WARNING +during (generated run \\d+ \\(seed \\d+\\)|the summary): "
                        + "WARNING: ringspec test splat in the guest");
    }

    /** Once the check's first generated run is done, logs a WARNING in the guest's kernel. */
    private static void logWhenRunsBegin(GuestKernel guest, StringWriter out, AtomicReference<Throwable> failed) {
        try {
            while (!out.toString().contains("progress: 1 of")) {
                Thread.sleep(50);
            }
            int r = guest.session().writeFile("/dev/kmsg", 0, "<4>WARNING: ringspec test splat in the guest\n"
                    .getBytes(StandardCharsets.UTF_8));
            if (r != 0) {
                throw new AssertionError("writing the guest's /dev/kmsg answered " + r);
            }
        } catch (Throwable e) {
            failed.set(e);
        }
    }
}

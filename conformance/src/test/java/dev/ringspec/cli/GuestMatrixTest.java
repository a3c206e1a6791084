package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The matrix on a real guest (Debian's 7.2 under QEMU) beside this kernel, and Ctrl-C during a guest run; skipped
 * with the reason where QEMU or the kernel cannot be had.
 */
@Tag("qemu")
class GuestMatrixTest {

    @Test
    void aMatrixOfAGuestAndThisKernelPrintsOneRowEachAndExitsAsTheWorst(@TempDir Path replays) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Ringspec.commandLine().setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute("check", "--kernel", "debian:7.2,native", "--runs", "10",
                        "--steps", "100", "--replay-dir", replays.toString(), "--json");
        if (status == ExitStatus.UNAVAILABLE && err.toString().contains("debian:7.2")) {
            abort(err.toString().lines().findFirst().orElse("debian:7.2 unavailable"));
        }
        var json = CapsCommand.mapper().readTree(out.toString());
        var rows = json.get("kernels");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("kernel").asText()).isEqualTo("debian:7.2");
        assertThat(rows.get(0).get("release").asText()).startsWith("7.2.");
        assertThat(rows.get(0).get("bootSeconds").asDouble()).isPositive();
        assertThat(rows.get(0).get("runs").asInt()).as("keep-going: every run of the budget").isEqualTo(10);
        assertThat(rows.get(0).get("features").toString()).contains("SQE_MIXED").contains("SQ_REWIND");
        assertThat(rows.get(1).get("kernel").asText()).isEqualTo("native");
        int worst = ExitStatus.OK;
        for (var row : rows) {
            assertThat(row.get("status").asInt()).as(row.toString()).isIn(0, 1, 77);
            worst = ExitStatus.worst(worst, row.get("status").asInt());
        }
        assertThat(status).isEqualTo(worst);
        assertThat(err.toString()).as("the guest's kernel log, read by its agent")
                .contains("kernel splats: none (the guest kernel debian:7.2's log (/dev/kmsg, read by its agent)");
    }

    @Test
    void ctrlCDuringAGuestRunLeavesNoQemuBehind() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Ringspec.class.getName(), "check", "--kernel", "debian:7.2",
                "--runs", "1000000", "--replay-dir", Files.createTempDirectory("ringspec-sigint-replays")
                        .toString(), "--out", Files.createTempDirectory("ringspec-sigint-out").toString())
                .redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        List<ProcessHandle> qemus = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(line);
                if (line.contains("booted in")) {
                    break;
                }
            }
            if (line == null) {
                child.waitFor(30, TimeUnit.SECONDS);
                if (child.exitValue() == ExitStatus.UNAVAILABLE) {
                    abort(String.join(" ", lines));
                }
                throw new AssertionError("the guest did not boot: " + String.join("\n", lines));
            }
            child.descendants().filter(p -> p.info().command().orElse("").contains("qemu-system"))
                    .forEach(qemus::add);
            assertThat(qemus).as("QEMU runs under the check").isNotEmpty();
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).inheritIO().start();
            assertThat(kill.waitFor()).isZero();
            // drain what it prints while stopping
            Thread.ofVirtual().start(() -> in.lines().forEach(l -> { }));
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the check stops on SIGINT").isTrue();
        } finally {
            child.destroyForcibly();
        }
        for (ProcessHandle qemu : qemus) {
            qemu.onExit().get(30, TimeUnit.SECONDS);
            assertThat(qemu.isAlive()).as("QEMU %d after Ctrl-C", qemu.pid()).isFalse();
        }
    }
}

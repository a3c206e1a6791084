package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.nativerunner.IoUringAvailability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernel splats: the parser on hand-written kernel-log text (console lines with timestamps, kmsg lines with their
 * level), and on this machine a line written into {@code /dev/kmsg} while a check runs, which must end it with
 * {@link ExitStatus#SPLAT}.
 */
class KernelSplatsTest {
    @TempDir
    Path tmp;

    /** A console log as a guest's serial port shows it: a WARNING with its trace, then a lockdep report. */
    private static final List<String> CONSOLE = List.of(
            "[    1.204518] Run /init as init process",
            "[   12.001122] ------------[ cut here ]------------",
            "[   12.001130] WARNING: CPU: 1 PID: 231 at io_uring/io_uring.c:1234 io_cqring_event_overflow+0x1d/0x40",
            "[   12.001201] Modules linked in:",
            "[   12.001250] CPU: 1 UID: 0 PID: 231 Comm: ringspec-agent Not tainted 7.2.13 #1",
            "[   12.001300] Call Trace:",
            "[   12.001310]  <TASK>",
            "[   12.001400] ---[ end trace 0000000000000000 ]---",
            "[   13.500000] ======================================================",
            "[   13.500001] WARNING: possible circular locking dependency detected",
            "[   14.000000] BUG: KASAN: slab-use-after-free in io_req_task_work_add+0x55/0x1a0",
            "[   14.100000] UBSAN: array-index-out-of-bounds in io_uring/rsrc.c:88:5",
            "[   15.000000] BUG: kernel NULL pointer dereference, address: 0000000000000008",
            "[   15.000100] Oops: 0000 [#1] PREEMPT SMP NOPTI",
            "[   16.000000] WARNING: inconsistent lock state",
            "[   17.000000] io_uring: disabling taint-free mode, kernel tainted by io_uring_setup",
            "[   18.000000] ringspec-agent: ready");

    @Test
    void consoleSplatsAreFoundWithTheirKindAndTheirTimestampIsDropped() {
        List<KernelSplats.Splat> splats = KernelSplats.parse(CONSOLE, "replay 3");
        assertThat(splats).extracting(KernelSplats.Splat::kind).containsExactly("WARNING", "WARNING", "BUG", "UBSAN",
                "BUG", "Oops", "WARNING", "taint");
        assertThat(splats.get(1).line()).isEqualTo("WARNING: possible circular locking dependency detected");
        assertThat(splats.get(2).line()).startsWith("BUG: KASAN: slab-use-after-free");
        assertThat(splats).allMatch(s -> s.during().equals("replay 3"));
    }

    @Test
    void kmsgLinesWithTheirLevelAndPlainLinesParseAlike() {
        List<KernelSplats.Splat> splats = KernelSplats.parse(List.of("<4>WARNING: ringspec test splat",
                "<6>io_uring: ring 1 set up", "<0>kernel BUG at mm/slub.c:431!",
                "==================================================================",
                "BUG: KASAN: use-after-free in io_poll_remove_entries", "KASAN: null-ptr-deref in range",
                "<4>possible recursive locking detected", "general protection fault, probably for non-canonical "
                        + "address 0xdffffc0000000001"), "generated run 7 (seed 7)");
        assertThat(splats).extracting(KernelSplats.Splat::kind).containsExactly("WARNING", "BUG", "BUG", "KASAN",
                "lockdep", "Oops");
        assertThat(splats.getFirst().line()).isEqualTo("WARNING: ringspec test splat");
    }

    @Test
    void ordinaryKernelChatterIsNoSplat() {
        assertThat(KernelSplats.parse(List.of("[    0.000000] Linux version 6.18.44 (gcc 14)",
                "<6>io_uring: registered 3 files", "<5>audit: type=1400 audit(0.0:2): apparmor=\"STATUS\"",
                "<4>warning: process `ringspec' used the deprecated sysctl", "", "<6>"), "x")).isEmpty();
    }

    @Test
    void aLogThatCannotBeOpenedIsOneSentenceAndNoSplat() {
        KernelLog.Result r = KernelLog.open(tmp.resolve("no-such-kmsg").toString());
        assertThat(r.log()).isEmpty();
        assertThat(r.reason()).contains("no-such-kmsg", "errno 2", "not watched");
    }

    @Test
    @Tag("kernel")
    void aLineWrittenIntoTheKernelLogDuringACheckIsReportedWithTheRunAndExits4() throws Exception {
        Path kmsg = Path.of(KernelLog.DEVICE);
        assumeTrue(Files.isWritable(kmsg) && Files.isReadable(kmsg), KernelLog.DEVICE
                + " is not readable and writable here (not root?), so no splat can be injected");
        IoUringAvailability availability = IoUringAvailability.probe();
        assumeTrue(availability.available(), availability.reason());
        ChildRingspec child = ChildRingspec.start(tmp, null, Map.of(), "check", "--runs", "400", "--steps", "30",
                "--out", tmp.resolve("out").toString(), "--progress-seconds", "0", "--replay-dir",
                Files.createDirectory(tmp.resolve("no-replays")).toString());
        try {
            assertThat(child.awaitLine(l -> l.startsWith("progress: 1 of"))).as(child.output()).isTrue();
            Files.writeString(kmsg, "<4>WARNING: ringspec test splat\n", StandardCharsets.UTF_8);
            int status = child.finish(600);
            String text = child.output();
            assertThat(status).as(text).isEqualTo(ExitStatus.SPLAT);
            assertThat(text).containsPattern("kernel splats: \\d+ new line\\(s\\)")
                    .containsPattern("WARNING +during (generated run \\d+ \\(seed \\d+\\)|the summary): "
                            + "WARNING: ringspec test splat");
        } finally {
            child.kill();
        }
    }

    @Test
    @Tag("kernel")
    void aWatchedLogWithNoNewLineReportsNoneAndExits0() {
        KernelLog.Result r = KernelLog.open(KernelLog.DEVICE);
        assumeTrue(r.log().isPresent(), r.reason());
        r.log().get().close();
        KernelSplats splats = KernelSplats.nativeLog();
        StringWriter text = new StringWriter();
        int status = splats.report(new PrintWriter(text), "the test");
        // another process may log a splat meanwhile; then it must be reported, never dropped
        assertThat(status).as(text.toString()).isEqualTo(splats.found().isEmpty() ? ExitStatus.OK : ExitStatus.SPLAT);
        assertThat(text.toString()).startsWith(splats.found().isEmpty() ? "kernel splats: none" : "kernel splats: ");
    }
}

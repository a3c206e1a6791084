package dev.ringspec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ringspec explain}'s options: the lesson list, the emulator's lessons, and {@code --kernel [SPEC]}. */
class ExplainCommandTest {

    /** Standard output and error of one command line, and its exit status. */
    private record Run(int status, String out, String err) {
    }

    private static Run explain(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Ringspec.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 1];
        all[0] = "explain";
        System.arraycopy(args, 0, all, 1, args.length);
        int status = cli.execute(all);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void theListSaysWhichLessonsTheEmulatorRuns() {
        Run r = explain();
        assertThat(r.status()).isZero();
        assertThat(r.out()).containsPattern("drain +IOSQE_IO_DRAIN \\(on the emulator\\)")
                .containsPattern("multishot-f-more +Multishot and IORING_CQE_F_MORE \\(on the emulator\\)")
                .doesNotContain("(kernel only)");
    }

    @Test
    void anEmulatorLessonIsLabelledAndNamesTheModelsRules() {
        Run r = explain("multishot-f-more");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("Run on: emulator, profile 7.3 (the model's rules, real opcodes)\n",
                "ud 9 res ETIME MORE", "why: ", "Question: ");
    }

    @Test
    void anUnknownKernelSpecIsAUsageError() {
        Run r = explain("drain", "--kernel", "debian:5.4");
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("unknown Debian kernel debian:5.4");
        r = explain("drain", "--kernel", "/no/such/bzImage");
        assertThat(r.status()).isEqualTo(ExitStatus.USAGE);
        assertThat(r.err()).contains("no such kernel image: /no/such/bzImage");
    }

    /** {@code explain --kernel drain}: the option's optional SPEC does not swallow the lesson's name. */
    @Test
    @Tag("kernel")
    void aLessonNameAfterKernelIsTheLesson() {
        Run r = explain("--kernel", "drain");
        if (r.status() == ExitStatus.UNAVAILABLE) {
            abort(r.err());
        }
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("== IOSQE_IO_DRAIN", "emulator, profile ", "kernel");
    }

    /**
     * {@code explain drain --kernel debian:6.12}: the guest boots, the lesson runs on the emulator at 6.12's profile
     * beside it, and the guest is stopped. Both sides hold ud 3 and ud 4 back until the timeout's CQE; 6.12's wait ends
     * when the timeout expires, so its side enters again; ud 3 runs in io-wq there, so ud 3 and ud 4 come in an order
     * of the kernel's choosing. Skipped where QEMU or the kernel cannot be had.
     */
    @Test
    @Tag("kernel")
    @Tag("qemu")
    @Tag("guest")
    void theDrainLessonBesideThe612Guest() {
        Run r = explain("drain", "--kernel", "debian:6.12");
        if (r.status() == ExitStatus.UNAVAILABLE) {
            abort(r.err());
        }
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("emulator, profile 6.12 (the model's rules, real opcodes)",
                "kernel debian:6.12 (6.12.", "DRAIN_BY_SEQUENCE", "note: entered 2 times: a wait ends early")
                .doesNotContain("!! ");
        // after the submit both sides show ud 2 alone; after the wait, both reap the timeout's CQE first
        assertThat(r.out()).containsPattern("reaped: ud 2 res 0 +reaped: ud 2 res 0\n");
        assertThat(r.out()).containsPattern("reaped: ud 1 res ETIME; ud [34] res 0; ud [34] res 0 +reaped: ud 1 res "
                + "ETIME; ud [34] res 0; ud [34] res 0\n");
    }
}

package dev.ringspec.lockstep;

import dev.ringspec.uapi.IoUring;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a standalone C program that performs the same steps on the running kernel with raw syscalls
 * ({@code io_uring_setup}, {@code io_uring_enter}, {@code io_uring_register} through {@code syscall(2)}, the rings
 * mapped with {@code mmap}; {@link Step.OnOtherThread} steps on one second thread that lives as long as the
 * program, like the engine's) and prints, after each step, the line {@link LockstepRunner#trace} prints for the
 * kernel side, and after the last step the pending SQEs and the visible CQE slots, in the same
 * {@link TraceFormat}. Steps the engine refused are printed as refused and not performed. It depends on nothing but
 * libc: the uapi structs it needs are declared in the program, and every uapi number it uses is written from
 * {@link IoUring}.
 *
 * <p>Each step becomes one call of the C function named after its kind, with its arguments ({@link StepForms#c}):
 * the step says once what it does, and the runtime, {@code reproducers/ringspec-reproducer.h}, defines each kind
 * once.
 */
public final class CReproducer {
    /** The reproducers' C runtime, a resource: the step functions and the trace's formats, written once. */
    static final String RUNTIME = "ringspec-reproducer.h";
    /** The uapi numbers the runtime uses, written by {@link #uapiHeader()} from {@link IoUring}. */
    static final String UAPI = "ringspec-uapi.h";
    /** The outside world's steps ({@link Step.Outside}, {@link Step.WriteIo}), a resource beside the runtime. */
    static final String WORLD = "ringspec-world.h";
    /** The uapi constants the runtime uses. */
    private static final List<String> CONSTANTS = List.of("IORING_SETUP_CQE32", "IORING_SETUP_NO_SQARRAY",
            "IORING_SETUP_SQE128", "IORING_SETUP_CQE_MIXED", "IORING_FEAT_SINGLE_MMAP", "IORING_CQE_F_32",
            "IORING_CQE_F_SKIP", "IORING_OFF_CQ_RING", "IORING_OFF_SQES", "IORING_RSRC_REGISTER_SPARSE",
            "IORING_REGISTER_BUFFERS", "IORING_UNREGISTER_BUFFERS", "IORING_REGISTER_FILES", "IORING_UNREGISTER_FILES",
            "IORING_REGISTER_FILES_UPDATE", "IORING_REGISTER_PROBE", "IORING_REGISTER_ENABLE_RINGS",
            "IORING_REGISTER_FILES2", "IORING_REGISTER_RESIZE_RINGS", "IORING_REGISTER_RESTRICTIONS",
            "IORING_REGISTER_BPF_FILTER", "IORING_OP_SOCKET", "IORING_OP_OPENAT", "IORING_OP_OPENAT2",
            "IORING_OP_CONNECT", "IOSQE_FIXED_FILE", "IOSQE_BUFFER_SELECT", "IORING_REGISTER_EVENTFD",
            "IORING_REGISTER_EVENTFD_ASYNC", "IORING_UNREGISTER_EVENTFD", "IORING_OP_READ", "IORING_OP_WRITE",
            "IORING_OP_SEND", "IORING_OP_RECV", "IORING_OP_READV", "IORING_OP_WRITEV", "IORING_OP_READ_FIXED",
            "IORING_OP_WRITE_FIXED", "IORING_OP_TIMEOUT", "IORING_OP_LINK_TIMEOUT", "IORING_OP_POLL_REMOVE",
            "IORING_OP_TIMEOUT_REMOVE", "IORING_OP_ASYNC_CANCEL", "IORING_OP_STATX", "IORING_OP_MSG_RING",
            "IORING_OP_CLOSE", "IORING_OP_PROVIDE_BUFFERS", "IORING_OP_SPLICE", "IORING_OP_TEE");

    private CReproducer() {
    }

    /**
     * A standalone program for {@code steps}, the runtime and the uapi numbers inlined: what {@code ringspec check}
     * saves beside a new replay. {@code refused[i]} says the engine refused step {@code i} (its trace line was
     * {@link TraceFormat#REFUSED}).
     */
    public static String generate(String title, List<Step> steps, boolean[] refused) {
        String runtime = resource(RUNTIME).replace("#include \"" + UAPI + "\"\n", uapiHeader());
        return comment(title, "gcc -O1 -o repro repro.c -lpthread") + runtime + "\n"
                + (hasWorld(steps) ? resource(WORLD) + "\n" : "") + body(steps, refused);
    }

    /**
     * A program for {@code steps} that includes the runtime ({@value #RUNTIME}, beside it with {@value #UAPI}):
     * the form the divergence catalogue ships its reproducers in.
     */
    public static String generateIncluding(String title, List<Step> steps, boolean[] refused) {
        return comment(title, "gcc -O1 -I <the directory of " + RUNTIME + "> -o repro repro.c -lpthread")
                + "#include \"" + RUNTIME + "\"\n" + (hasWorld(steps) ? "#include \"" + WORLD + "\"\n" : "")
                + body(steps, refused);
    }

    /** {@value #UAPI}: a {@code #define} for each uapi number the runtime uses, from {@link IoUring}. */
    public static String uapiHeader() {
        StringBuilder b = new StringBuilder("/* ringspec: the io_uring uapi numbers of its reproducers' runtime, written"
                + " from dev.ringspec.uapi.IoUring. */\n");
        for (String name : CONSTANTS) {
            b.append("#define ").append(name).append(' ').append(constant(name)).append('\n');
        }
        return b.toString();
    }

    /** The runtime, {@value #RUNTIME}, as shipped. */
    static String runtime() {
        return resource(RUNTIME);
    }

    private static String comment(String title, String build) {
        return "/* ringspec lockstep reproducer: " + title.replace("*/", "* /") + "\n * Build: " + build
                + "    Run: ./repro\n * Prints the ring's counters after each step, as ringspec's trace does. */\n";
    }

    /** Whether {@code steps} act in an outside world ({@value #WORLD}: a run with real I/O). */
    private static boolean hasWorld(List<Step> steps) {
        return steps.stream().anyMatch(s -> s.effective() instanceof Step.Outside
                || s.effective() instanceof Step.WriteIo);
    }

    private static String body(List<Step> steps, boolean[] refused) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < steps.size(); i++) {
            if (!refused[i] && steps.get(i) instanceof Step.OnOtherThread(Step call)) {
                b.append("static int other_thread_step_").append(i).append("(void) { return ")
                        .append(StepForms.c(call)).append("; }\n");
            }
        }
        b.append("\nint main(void) {\n");
        b.append("    if (pipe(pipe_fds) != 0) { perror(\"pipe\"); return 2; }\n");
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            b.append("    /* ").append(step.describe().replace("*/", "* /")).append(" */\n");
            if (refused[i]) {
                b.append("    print_refused(").append(i).append(");\n");
                continue;
            }
            b.append("    res = ").append(step instanceof Step.OnOtherThread
                    ? "on_other_thread(other_thread_step_" + i + ")" : StepForms.c(step)).append(";\n");
            b.append(step instanceof Step.Probe ? "    print_probe(" : "    print_state(").append(i).append(");\n");
        }
        b.append("    print_pending_sqes();\n");
        b.append("    print_cqes();\n");
        b.append("    return 0;\n}\n");
        return b.toString();
    }

    /** A uapi constant as a C literal: unsigned, 64-bit where the constant is a long. */
    private static String constant(String name) {
        try {
            Object v = IoUring.class.getField(name).get(null);
            return v instanceof Long l ? "0x" + Long.toHexString(l) + "ull" : "0x" + Integer.toHexString((Integer) v) + "u";
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("IoUring has no constant " + name, e);
        }
    }

    static String resource(String name) {
        try (InputStream in = CReproducer.class.getResourceAsStream("/reproducers/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the reproducers' resource " + name + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the reproducers' resource " + name, e);
        }
    }
}

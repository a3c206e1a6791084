package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EBADF;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ringspec.emulator.sys.Linux;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Receivers} on a real filter's listener ({@code enter-calls.c}: 1,000 calls, each answered -EBADF here): every
 * call is received once, and the program's end ends the receiving, with a wait on the listener per call or without.
 */
@Tag("kernel")
class ReceiversTest {
    private static final int CALLS = 1000;

    @TempDir
    static Path dir;
    private static Path program;

    @BeforeAll
    static void hostingWorksHere() throws Exception {
        HostSupport.assumeHostable();
        program = HostSupport.compile(dir, "enter-calls");
        assumeTrue(program != null, "gcc is not installed or cannot build a program here");
    }

    /** The program under the filter ({@value #CALLS} calls), its output to {@code out}. */
    private static Launcher.Started start(Path out) throws IOException {
        return Launcher.start(List.of(program.toString(), Integer.toString(CALLS)),
                ProcessBuilder.Redirect.to(out.toFile()));
    }

    /**
     * Serves the program's enters with {@code enter} and lets its other calls run (the launcher's exec of the
     * program, the dynamic loader's closes).
     */
    private static Consumer<Seccomp.Notification> enters(Launcher.Started started,
            Consumer<Seccomp.Notification> enter) {
        return n -> {
            if (n.nr() != Supervisor.NR_ENTER) {
                Seccomp.sendContinue(started.listener(), n.id());
                return;
            }
            enter.accept(n);
        };
    }

    /** The receivers' ppoll calls on the listener, once the program's 1,000 calls were served and it ended. */
    private static long pollsServingTheProgram(boolean recvSeesEnd, boolean needsSetFlags) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Launcher.Started started = start(out);
        try {
            boolean setFlags = Seccomp.setFlags(started.listener(), false) == 0;
            assumeTrue(setFlags || !needsSetFlags,
                    "SECCOMP_IOCTL_NOTIF_SET_FLAGS is not available here (Linux 6.6+): a RECV waits past the end");
            AtomicInteger served = new AtomicInteger();
            Receivers receivers = new Receivers(started.listener(), recvSeesEnd, enters(started, n -> {
                served.incrementAndGet();
                Seccomp.send(started.listener(), n.id(), -EBADF);
            }));
            // returns once the last process using the filter is gone; a receiving that missed it would hang here
            receivers.run();
            receivers.stop();
            assertThat(started.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(started.process().exitValue()).as(Files.readString(out, StandardCharsets.UTF_8)).isZero();
            assertThat(Files.readString(out, StandardCharsets.UTF_8)).isEqualTo(CALLS + " calls\n");
            assertThat(served.get()).isEqualTo(CALLS);
            return receivers.polls();
        } finally {
            started.process().destroyForcibly();
            Linux.close(started.listener());
        }
    }

    /**
     * A call whose serving throws (here an Error, as a class missing from a mixed class path throws) ends the
     * receiving with that failure, at once, instead of leaving the program stopped in an unanswered call and the
     * supervisor waiting for its end (it waited forever before).
     */
    @Test
    @Timeout(60)
    void aCallWhoseServingThrowsEndsTheReceivingWithTheFailure() throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Launcher.Started started = start(out);
        try {
            Receivers receivers = new Receivers(started.listener(), true, enters(started, n -> {
                throw new NoSuchMethodError("a serving that cannot go on");
            }));
            assertThatThrownBy(receivers::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("a serving that cannot go on").hasCauseInstanceOf(NoSuchMethodError.class);
            receivers.stop();
        } finally {
            started.process().destroyForcibly();
            Linux.close(started.listener());
        }
    }

    /**
     * A receiving thread fills one notification with every call (receiving allocates nothing); a copy keeps its call
     * after the next one came, as the signal watcher's copy of a sleeping wait must.
     */
    @Test
    @Timeout(60)
    void eachCallIsReceivedIntoTheSameNotificationAndACopyKeepsItsOwn() throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Launcher.Started started = start(out);
        try {
            Set<Seccomp.Notification> received = Collections.newSetFromMap(new IdentityHashMap<>());
            List<Seccomp.Notification> copies = new CopyOnWriteArrayList<>();
            List<Long> ids = new CopyOnWriteArrayList<>();
            Receivers receivers = new Receivers(started.listener(), true, enters(started, n -> {
                received.add(n);
                copies.add(n.copy());
                ids.add(n.id());
                Seccomp.send(started.listener(), n.id(), -EBADF);
            }));
            receivers.run();
            receivers.stop();
            assertThat(started.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(ids).hasSize(CALLS).doesNotHaveDuplicates();
            assertThat(received).as("one receiving thread, one notification").hasSize(1);
            assertThat(copies).extracting(Seccomp.Notification::id).containsExactlyElementsOf(ids);
            assertThat(copies.get(0).args()).isNotSameAs(copies.get(1).args());
        } finally {
            started.process().destroyForcibly();
            Linux.close(started.listener());
        }
    }

    /**
     * From 6.6 a RECV ends (ENOENT) once no task uses the filter any more (kernel/seccomp.c recv_wait_event), so the
     * receiving thread waits in RECV alone: one system call per call received where a ppoll before each made two,
     * each about a microsecond here. A ppoll only looks once a RECV found nothing, at the program's end.
     */
    @Test
    @Timeout(60)
    void whereRecvSeesTheEndEachCallIsReceivedWithoutAPoll() throws Exception {
        assertThat(pollsServingTheProgram(true, true)).isLessThanOrEqualTo(2);
    }

    /** Before 6.6 a RECV would wait past the program's end: a ppoll before each sees POLLHUP first. */
    @Test
    @Timeout(60)
    void whereRecvWaitsPastTheEndEachCallIsPolledFirst() throws Exception {
        assertThat(pollsServingTheProgram(false, false)).isGreaterThanOrEqualTo(CALLS + 1);
    }
}

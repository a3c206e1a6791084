package dev.ringspec.guest.agent;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ringspec.seam.UserMemory;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One connection to one agent: the calls, and the memory kept equal on both sides.
 *
 * <p>Each call is one frame each way. A request carries what the application changed since the last call in
 * every ring region and every mirrored range of user memory; the answer carries what the kernel changed. Both
 * sides keep the same last-synced copy of every region and range ({@link SyncedMemory}), so only changed bytes
 * cross. Memory-only steps of an application cost nothing.
 *
 * <p>Every wait is bounded: a call the agent does not answer within the call timeout, like a dead agent or a
 * broken frame, ends the session with an {@link AgentException} naming what happened; the channel is killed, so
 * no process is left behind.
 *
 * <p>Any thread may call. The thread that is waiting reads answers for everyone (there is no reader thread to hand
 * over to); each answer's memory changes are applied in the order the agent sent them.
 */
public final class AgentSession implements AutoCloseable {
    private static final Duration DEFAULT_CALL_TIMEOUT =
            Duration.ofSeconds(Long.getLong("ringspec.guest.callTimeoutSeconds", 60));
    private static final int THREAD_SWEEP_CALLS = 256;

    /** What the agent answered: the syscall's result (or -errno), an op-specific word, op-specific bytes. */
    public record Answer(long result, int aux, MemorySegment extra) {
    }

    /** Memory the host placed for a NO_MMAP ring, which the agent maps at the same address before the call. */
    public record Placement(long address, long sizeBytes) {
    }

    /** What a program run in the guest did. */
    public record RunResult(int waitStatus, boolean timedOut, byte[] stdout, byte[] stderr) {
        /** The exit code, or 128 + the signal that ended it, as a shell reports it. */
        public int exitCode() {
            return (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f);
        }
    }

    private static final class Pending {
        final int callId;
        final int op;
        final long deadlineNanos;
        final Consumer<Answer> beforeRegions;
        SyncedMemory.TransientKey transientKey;
        Answer answer;
        String error;
        boolean done;

        Pending(int callId, int op, long deadlineNanos, Consumer<Answer> beforeRegions) {
            this.callId = callId;
            this.op = op;
            this.deadlineNanos = deadlineNanos;
            this.beforeRegions = beforeRegions;
        }
    }

    private final AgentChannel channel;
    private final DataInputStream in;
    private final OutputStream out;
    private final Duration callTimeout;
    private final AtomicInteger nextCallId = new AtomicInteger(1);
    private final AtomicInteger nextRingId = new AtomicInteger(1);
    private final AtomicInteger nextThreadKey = new AtomicInteger(1);
    private final ThreadLocal<Integer> threadKey = ThreadLocal.withInitial(this::newThreadKey);
    private final List<Map.Entry<WeakReference<Thread>, Integer>> threads = new ArrayList<>();

    /** Guards the memory state ({@link SyncedMemory}) and the order of frames written. */
    private final ReentrantLock syncLock = new ReentrantLock();
    /** Held from building a frame to having written it, so frames go out in the order their diffs were taken. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Frame frame = new Frame();
    private final SyncedMemory synced = new SyncedMemory();
    private int callsSinceSweep;

    /** Guards pending calls, the reader role and death. */
    private final Object monitor = new Object();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private boolean reading;
    private String deathReason;
    private final String release;
    private final long helloNanos;

    private AgentSession(AgentChannel channel, Duration helloTimeout, Duration callTimeout, boolean greeted) {
        this.channel = channel;
        this.helloNanos = helloTimeout.toNanos();
        this.in = new DataInputStream(channel.in());
        this.out = channel.out();
        this.callTimeout = callTimeout;
        Thread watchdog = Thread.ofPlatform().daemon().name("ringspec-agent-watchdog").unstarted(this::watch);
        watchdog.start();
        try {
            if (!greeted) {
                readHello();
            }
            this.release = new String(simpleCall(Protocol.OP_UNAME, f -> { }).extra().toArray(JAVA_BYTE),
                    StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            channel.kill();
            throw e;
        }
    }

    /**
     * Opens a session over a channel whose agent has just started: waits up to {@code helloTimeout} for its
     * hello, then asks its kernel release.
     */
    public static AgentSession open(AgentChannel channel, Duration helloTimeout) {
        return open(channel, helloTimeout, DEFAULT_CALL_TIMEOUT);
    }

    public static AgentSession open(AgentChannel channel, Duration helloTimeout, Duration callTimeout) {
        return new AgentSession(channel, helloTimeout, callTimeout, false);
    }

    /** Opens a session over a channel whose agent's hello was already read (a guest machine reads it at boot). */
    public static AgentSession openGreeted(AgentChannel channel, Duration callTimeout) {
        return new AgentSession(channel, Duration.ZERO, callTimeout, true);
    }

    private void readHello() {
        Pending hello = new Pending(0, 0, System.nanoTime() + helloNanos, null);
        synchronized (monitor) {
            pending.put(0, hello);
        }
        byte[] got = new byte[Protocol.HELLO.length];
        try {
            in.readFully(got);
        } catch (IOException e) {
            throw new AgentException(deathMessage("the agent said no hello"), e);
        } finally {
            synchronized (monitor) {
                pending.remove(0);
            }
        }
        if (!java.util.Arrays.equals(got, Protocol.HELLO)) {
            fail("the agent's hello was " + printable(got) + ", not RSAGENT1: it is not a ringspec agent of this "
                    + "version");
            throw new AgentException(deathReason());
        }
    }


    /** The kernel release the agent's uname(2) reports. */
    public String release() {
        return release;
    }

    public String description() {
        return channel.description();
    }

    /** The host side of a ring about to be set up, with a fresh id. */
    public SyncedRing newRing() {
        return new SyncedRing(nextRingId.getAndIncrement());
    }

    /** Mirrors every segment of this user memory in the agent, at the same addresses, from the next call on. */
    public void mirror(UserMemory memory) {
        if (memory == null) {
            return;
        }
        syncLock.lock();
        try {
            synced.mirror(memory);
        } finally {
            syncLock.unlock();
        }
    }

    public void addRing(SyncedRing ring) {
        assert syncLock.isHeldByCurrentThread() : "rings change only while an answer is applied";
        synced.addRing(ring);
    }

    public void removeRing(SyncedRing ring) {
        assert syncLock.isHeldByCurrentThread() : "rings change only while an answer is applied";
        synced.removeRing(ring);
    }

    /** {@code OP_TASK}: changes the task that serves the calling thread in the agent; 0 or {@code -errno}. */
    public int task(AgentTask command, boolean value) {
        return (int) simpleCall(Protocol.OP_TASK, f -> f.u32(command.number()).u32(value ? 1 : 0)).result();
    }

    /** {@code io_uring_setup}; {@code params} is native memory or NULL. */
    public Answer setup(int ringId, int entries, MemorySegment params, List<Placement> placements,
            Consumer<Answer> beforeRegions) {
        return syscall(Protocol.OP_SETUP, params, ringId, placements, beforeRegions,
                f -> f.u32(ringId).u32(entries).u64(address(params)));
    }

    public Answer enter(int fd, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        return syscall(Protocol.OP_ENTER, arg, 0, List.of(), null,
                f -> f.u32(fd).u32(toSubmit).u32(minComplete).u32(flags).u64(address(arg)).u64(argSizeBytes));
    }

    /** {@code io_uring_register}; {@code ringId} is 0 without a ring, else the ring a resize maps anew. */
    public Answer register(int fd, int opcode, MemorySegment arg, int nrArgs, int ringId,
            List<Placement> placements, Consumer<Answer> beforeRegions) {
        return syscall(Protocol.OP_REGISTER, arg, ringId, placements, beforeRegions,
                f -> f.u32(fd).u32(opcode).u64(address(arg)).u32(nrArgs).u32(ringId));
    }

    /** Unmaps the ring in the agent and closes (or unregisters) it; 0 or -errno. */
    public Answer close(int ringId, Consumer<Answer> beforeRegions) {
        return syscall(Protocol.OP_CLOSE, null, ringId, List.of(), beforeRegions, f -> f.u32(ringId));
    }

    /** Writes a file in the agent's file system (the guest's initramfs), replacing any. 0 or -errno. */
    public int writeFile(String path, int mode, byte[] bytes) {
        return (int) simpleCall(Protocol.OP_WRITE_FILE, f -> {
            f.u32(mode).string(path).u32(bytes.length).bytes(bytes);
        }).result();
    }

    /** Runs a program of the agent's file system with its arguments, killed after {@code timeout}. */
    public RunResult run(List<String> argv, Duration timeout) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a program to run needs at least its path");
        }
        long millis = Math.min(timeout.toMillis(), Integer.MAX_VALUE);
        Answer a = call(Protocol.OP_RUN, false, null, 0, List.of(), null, f -> {
            f.u32((int) millis).u32(argv.size());
            argv.forEach(f::string);
        }, callTimeout.plus(timeout));
        FrameReader r = new FrameReader(a.extra().toArray(JAVA_BYTE));
        boolean timedOut = r.u32() != 0;
        byte[] stdout = r.slice(r.u32()).toArray(JAVA_BYTE);
        byte[] stderr = r.slice(r.u32()).toArray(JAVA_BYTE);
        return new RunResult(a.aux(), timedOut, stdout, stderr);
    }

    /**
     * Recreates this process's open file descriptors in the agent at the same numbers (each pipe as a pipe, an
     * eventfd as an eventfd, anything else as /dev/null), so that descriptor numbers in arguments name the same
     * kind of file there; descriptors mirrored before and closed here since are closed there. Answers how many the
     * agent made.
     */
    public int mirrorFileTable() {
        List<long[]> entries = new ArrayList<>();
        Path fdDir = Path.of("/proc/self/fd");
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            String listing = fdDir.toRealPath().toString();
            for (Path fd : fds) {
                int number;
                try {
                    number = Integer.parseInt(fd.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (target.equals(listing)) {
                    continue; // the listing's own descriptor, often at a number the caller just closed
                }
                int kind = Protocol.FD_OTHER;
                long group = 0;
                if (target.startsWith("pipe:[")) {
                    group = Long.parseLong(target.substring(6, target.length() - 1));
                    kind = writeOnly(number) ? Protocol.FD_PIPE_WRITE : Protocol.FD_PIPE_READ;
                } else if (target.equals("anon_inode:[eventfd]")) {
                    kind = Protocol.FD_EVENTFD;
                }
                entries.add(new long[] {number, kind, group});
            }
        } catch (IOException e) {
            throw new AgentException("cannot list this process's file descriptors in " + fdDir + ": " + e, e);
        }
        return (int) simpleCall(Protocol.OP_FILES, f -> {
            f.u32(entries.size());
            for (long[] e : entries) {
                f.u32((int) e[0]).u32((int) e[1]).u64(e[2]);
            }
        }).result();
    }

    /** Whether descriptor {@code fd} was opened write-only ({@code flags:} in /proc/self/fdinfo, octal). */
    private static boolean writeOnly(int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", Integer.toString(fd)))) {
                if (line.startsWith("flags:")) {
                    return (Integer.parseInt(line.substring(6).strip(), 8) & 3) == 1;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /**
     * The guest kernel's log records since the last call (on the first, all the log still holds), each as
     * {@code <level>message} (its first line), read from {@code /dev/kmsg} in the agent whatever the console's log
     * level; records overwritten before they were read are counted in {@link KernelLog#lost}.
     *
     * @throws AgentException where the agent cannot read {@code /dev/kmsg}
     */
    public KernelLog kernelLog() {
        Answer a = simpleCall(Protocol.OP_KMSG, f -> { });
        if (a.result() < 0) {
            throw new AgentException("the guest's /dev/kmsg cannot be read (errno " + -a.result() + ")");
        }
        String text = new String(a.extra().toArray(JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_8);
        return new KernelLog(text.lines().toList(), a.result());
    }

    /** Kernel log lines ({@code <level>message}) and how many records were overwritten before they were read. */
    public record KernelLog(List<String> lines, long lost) {
    }

    /** A round trip that does nothing, for measuring the channel. */
    public void ping() {
        simpleCall(Protocol.OP_PING, f -> { });
    }

    private Answer simpleCall(int op, Consumer<Frame> args) {
        return call(op, false, null, 0, List.of(), null, args, callTimeout);
    }

    private Answer syscall(int op, MemorySegment arg, int ringId, List<Placement> placements,
            Consumer<Answer> beforeRegions, Consumer<Frame> args) {
        return call(op, true, arg, ringId, placements, beforeRegions, args, callTimeout);
    }

    private static long address(MemorySegment segment) {
        return segment == null ? 0 : segment.address();
    }

    private Integer newThreadKey() {
        int key = nextThreadKey.getAndIncrement();
        synchronized (threads) {
            threads.add(Map.entry(new WeakReference<>(Thread.currentThread()), key));
        }
        return key;
    }

    private Answer call(int op, boolean withMemory, MemorySegment arg, int ringId, List<Placement> placements,
            Consumer<Answer> beforeRegions, Consumer<Frame> args, Duration timeout) {
        int callId = nextCallId.getAndIncrement();
        int thread = threadKey.get();
        Pending p = new Pending(callId, op, System.nanoTime() + timeout.toNanos(), beforeRegions);
        List<Integer> ended = sweepThreads();
        send(p, thread, withMemory, arg, ringId, placements, args);
        for (int key : ended) {
            send(new Pending(nextCallId.getAndIncrement(), Protocol.OP_THREAD_END,
                    System.nanoTime() + callTimeout.toNanos(), null), key, false, null, 0, List.of(), f -> { });
        }
        return await(p);
    }

    /** Host threads that have ended since the last sweep: their agent threads can go. */
    private List<Integer> sweepThreads() {
        if (++callsSinceSweep < THREAD_SWEEP_CALLS) {
            return List.of();
        }
        callsSinceSweep = 0;
        List<Integer> ended = new ArrayList<>();
        synchronized (threads) {
            for (Iterator<Map.Entry<WeakReference<Thread>, Integer>> it = threads.iterator(); it.hasNext();) {
                Map.Entry<WeakReference<Thread>, Integer> e = it.next();
                Thread t = e.getKey().get();
                if (t == null || !t.isAlive()) {
                    ended.add(e.getValue());
                    it.remove();
                }
            }
        }
        return ended;
    }

    private void send(Pending p, int thread, boolean withMemory, MemorySegment arg, int ringId,
            List<Placement> placements, Consumer<Frame> args) {
        synchronized (monitor) {
            if (deathReason != null) {
                throw new AgentException(deathReason);
            }
            pending.put(p.callId, p);
        }
        syncLock.lock();
        boolean written = false;
        try {
            frame.reset();
            frame.u32(0).u32(p.callId).u32(thread).u32(p.op);
            if (withMemory) {
                p.transientKey = synced.writeRequest(frame, arg, ringId, placements);
            } else {
                frame.u32(0);
            }
            args.accept(frame);
            frame.patchU32(0, frame.length() - 4);
            writeLock.lock();
        } catch (RuntimeException | Error e) {
            synchronized (monitor) {
                pending.remove(p.callId);
            }
            syncLock.unlock();
            throw e;
        }
        // the bytes leave the shared frame before another thread may build its own there: the write below runs
        // without syncLock, and a frame overwritten while it was being written reached the agent torn
        // (AgentConcurrentCallsTest; the likely cause of a guest that powered off when a check's second thread
        // logged into its kernel)
        byte[] bytes = Arrays.copyOf(frame.array(), frame.length());
        syncLock.unlock();
        try {
            out.write(bytes);
            out.flush();
            written = true;
        } catch (IOException e) {
            fail(deathMessage("the agent's channel broke while sending " + Protocol.aCall(p.op)));
        } finally {
            writeLock.unlock();
            if (!written) {
                synchronized (monitor) {
                    pending.remove(p.callId);
                }
            }
        }
        if (!written) {
            throw new AgentException(deathReason());
        }
    }

    private Answer await(Pending p) {
        while (true) {
            synchronized (monitor) {
                while (!p.done && reading && deathReason == null) {
                    try {
                        monitor.wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AgentException("interrupted while waiting for the agent's answer to "
                                + Protocol.aCall(p.op), e);
                    }
                }
                if (p.done) {
                    if (p.error != null) {
                        throw new AgentException(p.error);
                    }
                    return p.answer;
                }
                if (deathReason != null) {
                    throw new AgentException(deathReason);
                }
                reading = true;
            }
            try {
                readAnswer();
            } finally {
                synchronized (monitor) {
                    reading = false;
                    monitor.notifyAll();
                }
            }
        }
    }

    /** Reads one answer and applies it; on any failure the session dies with the reason. */
    private void readAnswer() {
        byte[] body;
        try {
            int length = Integer.reverseBytes(in.readInt());
            if (length < 28 || length > Protocol.MAX_FRAME_BYTES) {
                fail("the agent sent a frame of " + Integer.toUnsignedString(length) + " bytes: the host and the "
                        + "agent disagree on the protocol");
                return;
            }
            body = new byte[length];
            in.readFully(body);
        } catch (IOException e) {
            fail(deathMessage("the agent's channel closed", e));
            return;
        }
        try {
            apply(body);
        } catch (AgentException e) {
            fail(e.getMessage());
        }
    }

    private void apply(byte[] body) {
        FrameReader r = new FrameReader(body);
        int callId = r.u32();
        int status = r.u32();
        long result = r.u64();
        int aux = r.u32();
        MemorySegment extra = r.slice(Integer.toUnsignedLong(r.u32()));
        Pending p;
        synchronized (monitor) {
            p = pending.get(callId);
        }
        if (p == null) {
            throw new AgentException("the agent answered call " + callId + ", which nobody made");
        }
        Answer answer = new Answer(result, aux, extra);
        syncLock.lock();
        try {
            if (status == Protocol.STATUS_OK) {
                synced.applyAnswer(r, () -> runHook(p, answer));
            }
            synced.endCall(p.transientKey);
        } finally {
            syncLock.unlock();
        }
        synchronized (monitor) {
            pending.remove(callId);
            p.answer = answer;
            if (status != Protocol.STATUS_OK) {
                p.error = "the agent refused " + Protocol.aCall(p.op) + ": "
                        + new String(extra.toArray(JAVA_BYTE), StandardCharsets.UTF_8);
            }
            p.done = true;
            monitor.notifyAll();
        }
    }

    private static void runHook(Pending p, Answer answer) {
        if (p.beforeRegions != null) {
            try {
                p.beforeRegions.accept(answer);
            } catch (RuntimeException e) {
                throw new AgentException("the host could not take in the agent's answer to "
                        + Protocol.aCall(p.op) + ": " + e, e);
            }
        }
    }

    private void watch() {
        while (true) {
            String late = null;
            synchronized (monitor) {
                if (deathReason != null) {
                    return;
                }
                long now = System.nanoTime();
                for (Pending p : pending.values()) {
                    if (now - p.deadlineNanos > 0) {
                        late = p.callId == 0
                                ? "the agent said no hello within " + Duration.ofNanos(helloNanos).toSeconds() + " s"
                                : "the agent did not answer " + Protocol.aCall(p.op) + " within "
                                        + callTimeout.toSeconds() + " s";
                        break;
                    }
                }
            }
            if (late != null) {
                // the reason is set before the channel is killed, so the reader's end of stream does not win
                fail(late + " (" + channel.description() + ")");
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String deathMessage(String what) {
        return deathMessage(what, null);
    }

    /** One sentence: what happened, on what, and why where the channel or the failed read can tell. */
    private String deathMessage(String what, IOException cause) {
        channel.kill();
        String detail = channel.deathDetail();
        if (detail.isEmpty() && cause != null && cause.getMessage() != null) {
            detail = cause.getMessage();
        }
        return what + " (" + channel.description() + ")" + (detail.isEmpty() ? "" : ": " + detail);
    }

    /** Ends the session with a reason: every waiting and later call throws an AgentException saying it. */
    private void fail(String reason) {
        synchronized (monitor) {
            if (deathReason == null) {
                deathReason = reason;
            }
            monitor.notifyAll();
        }
        channel.kill();
    }

    private String deathReason() {
        synchronized (monitor) {
            return deathReason;
        }
    }

    /** Whether the session still works (no failure so far). */
    public boolean alive() {
        return deathReason() == null;
    }

    @Override
    public void close() {
        fail("the session was closed");
    }

    private static String printable(byte[] bytes) {
        StringBuilder s = new StringBuilder("\"");
        for (byte b : bytes) {
            s.append(b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return s.append('"').toString();
    }

}

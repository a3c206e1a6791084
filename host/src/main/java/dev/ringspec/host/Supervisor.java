package dev.ringspec.host;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.ENOSYS;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_PERSONALITY;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RING_FDS;
import static dev.ringspec.uapi.IoUring.IORING_UNREGISTER_RING_FDS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_COOP_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.TaskExits;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serves a hosted program's io_uring_setup, io_uring_enter and io_uring_register on an {@link EmulatedIoUring}: the
 * thread that receives a notification serves it ({@link Receivers}), as the task of the program thread that made it
 * (the emulator's task key is the program thread's id and process, {@link ProgramThread.Task}, so SINGLE_ISSUER and
 * DEFER_TASKRUN's task checks see the program's threads; one call of a program thread is served at a time, with its
 * task work). Each call's arguments are read and written through {@link RemoteMemory}, its descriptors through
 * {@link ProgramDescriptors}; the notification is checked valid (SECCOMP_IOCTL_NOTIF_ID_VALID) after the reads and
 * before any write into the program. A ring's descriptor in the program is its memfd, installed by
 * SECCOMP_IOCTL_NOTIF_ADDFD; a ring is known by its inode (the program may dup, fork or pass it).
 *
 * <p>An SQPOLL ring's SQ thread acts for the program thread that set the ring up ({@link SqThreadHost}).
 *
 * <p>Registered ring descriptors are each program thread's own ({@link RegisteredRings}).
 *
 * <p>Not hosted, answered as a kernel without the feature would, each reported as a finding: NO_MMAP setups
 * (-EINVAL), ring resizing (-EINVAL). A ring ends when the program lets go of its last descriptor and mapping
 * ({@link RingEnds}).
 */
final class Supervisor implements AutoCloseable {
    static final int NR_SETUP = 425;
    static final int NR_ENTER = 426;
    static final int NR_REGISTER = 427;
    static final int NR_EXECVE = 59;
    static final int NR_EXECVEAT = 322;
    /** How long an exec waits for each ring's cancelled requests of its thread to end. */
    private static final long EXEC_CANCEL_NANOS = 5_000_000_000L;

    private final int listener;
    private final EmulatedIoUring emulator;
    private final ProgramThread thread;
    private final RemoteMemory memory;
    private final ProgramDescriptors descriptors;
    private final int self = (int) Linux.call(Linux.SYS_GETPID, 0);
    /** Requests execs cancelled ({@link #exec}). */
    private final AtomicLong execCancelled = new AtomicLong();
    private final AtomicLong exitCancelled = new AtomicLong();
    /** Cancels an exited program thread's requests ({@link #exited}), off the thread that watches exits. */
    private final ExecutorService exitCancels = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("ringspec-host-exit-cancel").unstarted(r));
    private final Map<Long, Ring> ringsByInode = new ConcurrentHashMap<>();
    /** Per program thread and descriptor: the ring it named last (checked with kcmp before use). */
    private final Map<Long, Ring> lastRing = new ConcurrentHashMap<>();
    /** Rings ended so far: a JVM thread's own {@link ServingPart#ring} is good while this has not moved. */
    private final AtomicLong ringsEnded = new AtomicLong();
    /** Per program thread: the JVM thread that runs its task work between its calls (see {@link #runTaskWork}). */
    private final Map<Integer, ExecutorService> taskWork = new ConcurrentHashMap<>();
    /** Per program thread: held while one of its calls is served or its task work runs. */
    private final Map<Integer, ReentrantLock> busy = new ConcurrentHashMap<>();
    /** What the calling JVM thread serves as a program thread's task ({@link #asTask}). */
    private final ThreadLocal<ServingPart> task;
    /**
     * The {@link ServingPart} the last call was dispatched with: the calling thread's own if its
     * {@link ServingPart#owner} is the thread ({@link #taskHere}), so that the emulator's questions of the task key
     * (three an enter) and the next call on the same thread cost no thread-local lookup. Written and read plainly: a
     * thread that reads another's, or an older one, finds another owner and looks its own up.
     */
    private ServingPart lastTask;
    private final Receivers receivers;
    /** Each ring by its descriptor in this JVM: the program thread that set it up, and whether a run is queued. */
    private final Map<Integer, Owned> byLocalFd = new ConcurrentHashMap<>();
    private final List<String> findings = new CopyOnWriteArrayList<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicInteger rings = new AtomicInteger();
    private final PendingSignals signals;
    private final RingEnds ends = new RingEnds(this::ringEnded);
    private final AtomicInteger ended = new AtomicInteger();
    private final RegisteredRings registered;
    /** Whether descriptor numbers may name other files since a ring was found for one. */
    private final DescriptorChanges changes;

    /**
     * {@code killableWait}: the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ({@link PendingSignals});
     * {@code recvSeesEnd}: a RECV on the listener ends when the program is gone ({@link Seccomp.Receiver#Receiver}).
     */
    Supervisor(int listener, boolean killableWait, boolean recvSeesEnd, EmulatedIoUring emulator,
            ProgramThread thread, RemoteMemory memory, ProgramDescriptors descriptors, DescriptorChanges changes) {
        this.listener = listener;
        this.changes = changes;
        this.signals = new PendingSignals(listener, killableWait);
        this.thread = thread;
        this.emulator = emulator;
        this.memory = memory;
        this.descriptors = descriptors;
        this.receivers = new Receivers(listener, recvSeesEnd, this::dispatch);
        this.registered = new RegisteredRings(memory, this::findRing);
        this.task = ThreadLocal.withInitial(() -> new ServingPart(signals.servingHere(), descriptors.placeHere()));
        emulator.onRemoteTaskWork(this::runTaskWork);
        emulator.beforeSleep(this::beforeSleep);
        emulator.withTaskKey(() -> {
            ServingPart t = taskHere();
            return t.serving ? t.key : Thread.currentThread();
        });
        emulator.withSqThreadContext(new SqThreadHost(thread, memory));
        emulator.withTaskExited(t -> t instanceof ProgramThread.Task p ? thread.exited(p) : TaskExits.threadEnded(t));
        thread.onExit(exited -> {
            try {
                exitCancels.execute(() -> exited(exited));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // the supervisor is stopping
            }
        });
    }

    /**
     * A program thread has exited ({@code do_exit}: {@code io_uring_files_cancel}): its requests whose link holds one
     * on a ring's own descriptor are cancelled and waited for (at most {@link #EXEC_CANCEL_NANOS} a ring), the rest
     * stay ({@link EmulatedIoUring#cancelExitedTask}). The kernel cancels during the exit; here a moment after it
     * ({@link ThreadExits}).
     */
    private void exited(ProgramThread.Task task) {
        try {
            int cancelled = emulator.cancelExitedTask(task, EXEC_CANCEL_NANOS);
            if (cancelled > 0) {
                exitCancelled.addAndGet(cancelled);
            }
        } catch (RuntimeException e) {
            findings.add("supervisor error cancelling an exited thread's requests: " + e);
        }
    }

    /** The calling thread is about to sleep in a wait: signals may end it, and another thread receives meanwhile. */
    private void beforeSleep() {
        signals.sleeping();
        receivers.beforeSleep();
    }

    /** A ring, the program thread whose JVM thread is its task, and whether a task-work run is queued for it. */
    private record Owned(Ring ring, int tid, AtomicBoolean queued) {
    }

    /**
     * Task work arrived for a ring from another thread: the kernel would interrupt the program to run it (TWA_SIGNAL),
     * so that a program spinning on its CQ ring sees the CQE; here the ring's task runs it with an empty enter. Not on
     * COOP_TASKRUN and DEFER_TASKRUN rings, whose work waits for the program's next enter, as in the kernel, nor on
     * SQPOLL rings, whose SQ thread runs it.
     */
    private void runTaskWork(int ringFd) {
        Owned owned = byLocalFd.get(ringFd);
        if (owned == null || (owned.ring().params().flags() & (IORING_SETUP_COOP_TASKRUN
                | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SQPOLL)) != 0
                || !owned.queued().compareAndSet(false, true)) {
            return;
        }
        ExecutorService worker = taskWork.computeIfAbsent(owned.tid(), this::taskWorkThread);
        if (worker.isShutdown()) {
            return;
        }
        try {
            worker.execute(() -> asTask(owned.tid(), () -> {
                owned.queued().set(false);
                thread.serve(owned.tid());
                synchronized (owned) {
                    if (byLocalFd.get(ringFd) != owned) {
                        // the ring ended meanwhile
                        return;
                    }
                    try {
                        emulator.enter(owned.ring(), 0, 0, 0, MemorySegment.NULL, 0);
                    } catch (RuntimeException e) {
                        findings.add("supervisor error running task work: " + e);
                    }
                }
                memory.writeBack();
            }));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // the supervisor is stopping
        }
    }

    /** Serves notifications until the last process using the filter is gone. */
    void run() {
        receivers.run();
    }

    /** Serves {@code n} on the calling thread, as the task of the program thread that made it. */
    private void dispatch(Seccomp.Notification n) {
        changes.arrived(n.tid());
        if (n.nr() != NR_ENTER && DescriptorChanges.isChange(n.nr())) {
            letChange(n);
            return;
        }
        if (n.nr() != NR_EXECVE && n.nr() != NR_EXECVEAT) {
            calls.incrementAndGet(); // the io_uring calls
        }
        ServingPart t = taskHere();
        if (lastTask != t) {
            lastTask = t;
        }
        ReentrantLock lock = begin(t, n.tid());
        try {
            serve(n, t);
        } finally {
            t.serving = false;
            lock.unlock();
        }
    }

    /**
     * A call that may change which file a descriptor number names, or that makes a process: noted
     * ({@link DescriptorChanges}) and let run in the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE), with no lock taken.
     */
    private void letChange(Seccomp.Notification n) {
        if (DescriptorChanges.isProcessMade(n.nr())) {
            changes.processMade();
        } else {
            changes.changing(n.tid());
        }
        task.get().calls.sendContinue(listener, n.id());
    }

    /** The calling thread's {@link ServingPart}: {@link #lastTask} if it is the thread's, else its thread-local's. */
    private ServingPart taskHere() {
        ServingPart last = lastTask;
        return last != null && last.owner == Thread.currentThread() ? last : task.get();
    }

    /** Runs {@code work} as program thread {@code tid}'s task: the emulator's task key, one at a time per thread. */
    private void asTask(int tid, Runnable work) {
        ServingPart t = task.get();
        ReentrantLock lock = begin(t, tid);
        try {
            work.run();
        } finally {
            t.serving = false;
            lock.unlock();
        }
    }

    /**
     * The calling thread, whose part {@code t} is, becomes program thread {@code tid}'s task once that thread's other
     * call has ended: its lock, held.
     */
    private ReentrantLock begin(ServingPart t, int tid) {
        int exits = thread.exits();
        if (t.key == null || t.tid != tid || t.exitsThen != exits) {
            // (after an exit anywhere in the program, the number may be a new thread's: its process is looked up)
            t.tid = tid;
            t.exitsThen = exits;
            t.lock = busy.computeIfAbsent(tid, k -> new ReentrantLock());
            t.touched = false;
            thread.serve(tid);
            t.process = thread.servedProcess();
            t.served = thread.servedHere();
            t.key = new ProgramThread.Task(tid, t.process);
        }
        ReentrantLock lock = t.lock;
        lock.lock();
        t.serving = true;
        return lock;
    }

    private ExecutorService taskWorkThread(int tid) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ringspec-host-task-work-" + tid);
            t.setDaemon(true);
            return t;
        });
    }

    long calls() {
        return calls.get();
    }

    int rings() {
        return rings.get();
    }

    /** The calls let run that may change which file a descriptor number names, and those that made a process. */
    DescriptorChanges changes() {
        return changes;
    }

    /** What the supervisor refused or met, one sentence each. */
    List<String> findings() {
        List<String> all = new java.util.ArrayList<>(findings);
        all.addAll(descriptors.refused());
        return all;
    }

    /** What happened to the program's calls that the kernel would do too (signals ending waits), one sentence each. */
    List<String> events() {
        return HostEvents.sentences(ended.get(), execCancelled.get(), exitCancelled.get(), signals.ended(),
                signals.events());
    }

    /**
     * Serves {@code n} on its program thread's JVM thread; while it is pending, the emulator may give the program
     * descriptors through it ({@link ProgramDescriptors#calling}).
     */
    private void serve(Seccomp.Notification n, ServingPart t) {
        // begin made t.process n.tid()'s
        thread.serve(t.served, n.tid(), t.process);
        descriptors.calling(t.place, n.id(), t.process);
        try {
            serveCall(n, t);
        } finally {
            descriptors.answered(t.place, n.id());
        }
    }

    private void serveCall(Seccomp.Notification n, ServingPart t) {
        long result;
        try {
            switch (n.nr()) {
                case NR_SETUP -> {
                    setup(n, t);
                    return;
                }
                case NR_ENTER, NR_REGISTER -> result = openToSignals(n, t);
                case NR_EXECVE, NR_EXECVEAT -> {
                    exec(n, t);
                    return;
                }
                default -> result = -ENOSYS;
            }
        } catch (UnsupportedOperationException e) {
            findings.add("not hosted: " + e.getMessage() + " (answered -EOPNOTSUPP)");
            result = -EOPNOTSUPP;
        } catch (RuntimeException e) {
            findings.add("supervisor error in syscall " + n.nr() + ": " + e + " (answered -ENOSYS)");
            result = -ENOSYS;
        }
        answer(n, result, t);
    }

    /**
     * An {@code execve} or {@code execveat} of a program thread: as {@code begin_new_exec}'s
     * {@code io_uring_task_cancel}, the thread's requests that wait outside their rings are cancelled and waited for
     * (at most {@link #EXEC_CANCEL_NANOS} a ring) and its registered ring descriptors let go, then the call runs in
     * the kernel. The kernel cancels once the exec can no longer fail, this before it runs: an exec that then fails
     * (no such file) has lost its requests too; the report counts the requests execs cancelled.
     */
    private void exec(Seccomp.Notification n, ServingPart t) {
        try {
            int cancelled = emulator.cancelTaskRequests(EXEC_CANCEL_NANOS);
            if (cancelled > 0) {
                execCancelled.addAndGet(cancelled);
            }
        } catch (RuntimeException e) {
            findings.add("supervisor error cancelling a thread's requests at its exec: " + e);
        }
        registered.exited(n.tid());
        // close-on-exec descriptors close in it
        changes.changing(n.tid());
        t.calls.sendContinue(listener, n.id());
    }

    private void answer(Seccomp.Notification n, long result, ServingPart t) {
        // the check guards the windows' write-back (a dead target's pid may be another process's by now); with
        // nothing to write back, SECCOMP_IOCTL_NOTIF_SEND answers a dead notification with ENOENT, harmlessly
        if (memory.hasWindows(t.windows) && !t.calls.idValid(listener, n.id())) {
            memory.discard(t.windows);
            return;
        }
        memory.writeBack(t.windows);
        t.calls.send(listener, n.id(), result);
    }

    private void setup(Seccomp.Notification n, ServingPart t) {
        int entries = (int) n.args()[0];
        long params = n.args()[1];
        try (Arena call = Arena.ofConfined()) {
            MemorySegment flags = call.allocate(JAVA_INT);
            if (params != 0 && memory.copyIn(params + IoUringParams.FLAGS_OFFSET, flags)) {
                int f = flags.get(JAVA_INT, 0);
                if ((f & IORING_SETUP_NO_MMAP) != 0) {
                    findings.add("not hosted: a setup with NO_MMAP (answered -EINVAL)");
                    answer(n, -EINVAL, t);
                    return;
                }
            }
        }
        SetupResult r = emulator.setup(entries, MemorySegment.ofAddress(params));
        Ring ring = r.ringOrNull();
        if (ring == null) {
            answer(n, r.result(), t);
            return;
        }
        if (!t.calls.idValid(listener, n.id())) {
            memory.discard(t.windows);
            emulator.close(ring);
            return;
        }
        memory.writeBack(t.windows);
        long inode = Linux.inode(ring.fd());
        ringsByInode.put(inode, ring);
        descriptors.ring(inode, ring.fd());
        byLocalFd.put(ring.fd(), new Owned(ring, n.tid(), new AtomicBoolean()));
        if (Seccomp.addFdAndSend(listener, n.id(), programDescription(ring)) < 0) {
            // the program died during the setup (ESRCH), or the call was interrupted (ENOENT)
            ringsByInode.remove(inode);
            byLocalFd.remove(ring.fd());
            ends.forget(ring);
            emulator.close(ring);
            return;
        }
        rings.incrementAndGet();
        registered.touch(n.tid());
    }

    /** io_uring_enter or io_uring_register; a wait in it ends on the program thread's signals as the kernel's does. */
    private long openToSignals(Seccomp.Notification n, ServingPart t) {
        boolean enter = n.nr() == NR_ENTER;
        if (!PendingSignals.mayWait(n)) {
            return enter ? enter(n, t) : register(n, t);
        }
        signals.begin(t.signals, n, t.process);
        try {
            return enter ? enter(n, t) : register(n, t);
        } finally {
            signals.end(t.signals);
        }
    }

    private long enter(Seccomp.Notification n, ServingPart t) {
        long[] a = n.args();
        int flags = (int) a[3];
        Ring ring = (flags & IORING_ENTER_REGISTERED_RING) != 0
                ? registeredRing(t, n.tid(), (int) a[0], flags & ~emulator.profile().enterFlags())
                : ringOf(t, (int) a[0]);
        if (ring != null && a[1] != 0) {
            // io_uring_add_tctx_node: a submitting thread has an io_uring_task from now on
            if (!t.touched || t.tid != n.tid()) {
                registered.touch(n.tid());
                t.touched = t.tid == n.tid();
            }
        }
        if (ring == null) {
            return t.lookupErrno[0];
        }
        // onRing's steps written out: a capturing lambda is an allocation per call, in a fresh JVM's interpreted and
        // C1 code one through a method handle (Unsafe.allocateInstance): 55 of the serving thread's 3,886 perf
        // samples in a fresh hosted nop-cost 100000
        RingEnds.Life life = lifeOf(t, ring);
        boolean counted = ends.callBegins(life);
        try {
            // most enters pass no argument: NULL is the same segment as ofAddress(0), without making one
            MemorySegment arg = a[4] == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(a[4]);
            return emulator.enter(ring, (int) a[1], (int) a[2], flags, arg, a[5]);
        } finally {
            if (counted) {
                ends.callEnds(life, (ring.params().flags() & IORING_SETUP_SQPOLL) != 0 || emulator.waitsOutside(ring));
            }
        }
    }

    /** {@code ring}'s {@link RingEnds.Life}, kept in {@code t} for the ring's next call on this thread. */
    private RingEnds.Life lifeOf(ServingPart t, Ring ring) {
        if (t.lifeRing != ring) {
            t.life = ends.life(ring);
            t.lifeRing = ring;
        }
        return t.life;
    }

    private long register(Seccomp.Notification n, ServingPart t) {
        long[] a = n.args();
        int opcode = (int) a[1];
        // io_uring_register (6.3+): USE_REGISTERED_RING is stripped, then the opcode compared with REGISTER_LAST
        boolean useRegistered = emulator.profile().registeredRingBit()
                && (opcode & IORING_REGISTER_USE_REGISTERED_RING) != 0;
        int op = useRegistered ? opcode & ~IORING_REGISTER_USE_REGISTERED_RING : opcode;
        if (op == IORING_REGISTER_RESIZE_RINGS) {
            findings.add("not hosted: io_uring_register opcode " + op + " (resizing, answered -EINVAL)");
            return -EINVAL;
        }
        if (opcode == IORING_REGISTER_PERSONALITY) {
            return refusePersonality();
        }
        int fd = (int) a[0];
        MemorySegment arg = MemorySegment.ofAddress(a[2]);
        if (fd == -1) {
            return emulator.registerWithoutRing(opcode, arg, (int) a[3]);
        }
        if (useRegistered && Integer.compareUnsigned(op, emulator.profile().registerLast()) >= 0) {
            return -EINVAL;
        }
        Ring found = useRegistered ? registeredRing(t, n.tid(), fd, 0) : ringOf(t, fd);
        if (found == null) {
            return t.lookupErrno[0];
        }
        if (op == IORING_REGISTER_RING_FDS || op == IORING_UNREGISTER_RING_FDS) {
            // io_ringfd_register, io_ringfd_unregister: the calling thread's own slots
            return onRing(found, ring -> op == IORING_REGISTER_RING_FDS
                    ? registered.register(n.tid(), a[2], (int) a[3])
                    : registered.unregister(n.tid(), a[2], (int) a[3]));
        }
        return onRing(found, ring -> emulator.register(ring, opcode, arg, (int) a[3]));
    }

    /**
     * {@code io_uring_ctx_get_file} with a registered index of program thread {@code tid}, after io_uring_enter's
     * check of its flags ({@code unknownFlags} non-zero: -EINVAL); null for none, the errno then in
     * {@code t.lookupErrno[0]}.
     */
    private Ring registeredRing(ServingPart t, int tid, int index, int unknownFlags) {
        if (unknownFlags != 0) {
            return notFound(t, -EINVAL);
        }
        return registered.ring(tid, index, t.lookupErrno);
    }

    /** No ring: {@code errno} noted in {@code t} for the caller, as a lookup's answer. */
    private static Ring notFound(ServingPart t, int errno) {
        t.lookupErrno[0] = errno;
        return null;
    }

    /** The ring the program's {@code fd} names and a new reference of this JVM to its file, for a registered slot. */
    private RegisteredRings.Found findRing(int tid, int fd) {
        int local = descriptors.take(thread.process(), fd);
        if (local < 0) {
            return new RegisteredRings.Found(null, -1, -EBADF);
        }
        Ring ring = ringsByInode.get(Linux.inode(local));
        if (ring == null) {
            Linux.close(local);
            return new RegisteredRings.Found(null, -1, -EOPNOTSUPP);
        }
        return new RegisteredRings.Found(ring, local, 0);
    }

    /**
     * A call on {@code ring}: the ring lives at least until it returns, as the kernel's fdget keeps it. After it, a
     * ring with requests waiting outside it, or an SQPOLL ring, is left to the program's references alone
     * ({@link RingEnds#callEnds}).
     */
    private long onRing(Ring ring, java.util.function.ToLongFunction<Ring> call) {
        RingEnds.Life life = ends.life(ring);
        boolean counted = ends.callBegins(life);
        try {
            return call.applyAsLong(ring);
        } finally {
            if (counted) {
                ends.callEnds(life, (ring.params().flags() & IORING_SETUP_SQPOLL) != 0 || emulator.waitsOutside(ring));
            }
        }
    }

    /**
     * The descriptor the program gets for {@code ring}: a description of its memfd whose end {@link RingEnds}
     * watches, or the memfd itself where it cannot (the ring then lives until the supervisor stops).
     */
    private int programDescription(Ring ring) {
        int description = ends.open(ring);
        if (description < 0) {
            findings.add("a ring's end is not watched (" + description + "): it lives until the program ends");
            return ring.fd();
        }
        return description;
    }

    /**
     * The program let go of {@code ring} (its last descriptor and mapping, {@link RingEnds}): closed as the kernel's
     * io_ring_exit_work closes it, its requests cancelled and its registered files let go. Task work queued for it
     * finishes first.
     */
    private void ringEnded(Ring ring) {
        long inode = Linux.inode(ring.fd());
        ringsByInode.remove(inode);
        ringsEnded.incrementAndGet();
        lastRing.values().removeIf(r -> r == ring);
        descriptors.ringEnded(inode);
        Owned owned = byLocalFd.remove(ring.fd());
        try {
            if (owned == null) {
                emulator.close(ring);
            } else {
                synchronized (owned) {
                    emulator.close(ring);
                }
            }
            ended.incrementAndGet();
        } catch (RuntimeException e) {
            findings.add("supervisor error closing a ring the program let go of: " + e);
        }
    }

    /**
     * IORING_REGISTER_PERSONALITY registers the calling task's credentials for requests to run with
     * ({@code sqe->personality}): here they would be the program thread's, which a thread of this JVM cannot take on
     * (it runs every request with the JVM's own). Refused as a kernel without the opcode refuses it (-EINVAL), and
     * reported.
     */
    private long refusePersonality() {
        findings.add("not hosted: IORING_REGISTER_PERSONALITY (the program's credentials cannot be taken on by the"
                + " supervisor's threads; answered -EINVAL)");
        return -EINVAL;
    }

    /**
     * The ring the program's {@code fd} names (in the process of the program thread {@code t} serves): the one this
     * thread found for it last if no call since may have changed the number ({@link DescriptorChanges}), else by
     * kcmp against the last one it named, else by inode. Null where it names none, the errno then in
     * {@code t.lookupErrno[0]}: a lookup's answer allocates nothing.
     */
    private Ring ringOf(ServingPart t, int fd) {
        int tid = t.process;
        long key = ((long) tid << 32) | (fd & 0xffffffffL);
        long endedNow = ringsEnded.get();
        boolean mine = t.ring != null && t.ringKey == key && t.ringsEndedThen == endedNow;
        if (mine && changes.unchangedSince(t.ringStamp)) {
            return t.ring;
        }
        // taken before the kcmp: a change let run after it moves the generation
        long stamp = changes.stamp();
        Ring cached = mine ? t.ring : lastRing.get(key);
        if (cached != null) {
            int reference = ends.reference(cached);
            if (reference >= 0 && t.calls.sameFile(self, tid, reference, fd)) {
                t.ring = cached;
                t.ringKey = key;
                t.ringsEndedThen = endedNow;
                t.ringStamp = stamp;
                return cached;
            }
        }
        int local = descriptors.take(tid, fd);
        if (local < 0) {
            // fdget: no such descriptor -> -EBADF
            return notFound(t, -EBADF);
        }
        long inode = Linux.inode(local);
        Ring ring = ringsByInode.get(inode);
        if (ring == null) {
            Linux.close(local);
            // io_uring_enter, io_uring_register: a file that is not an io_uring -> -EOPNOTSUPP
            return notFound(t, -EOPNOTSUPP);
        }
        ends.adopt(ring, local);
        lastRing.put(key, ring);
        return ring;
    }

    /** Stops the serving threads (a wait the program abandoned ends here), the task-work threads and the emulator. */
    @Override
    public void close() {
        receivers.stop();
        signals.close();
        ends.close();
        registered.close();
        exitCancels.shutdownNow();
        taskWork.values().forEach(ExecutorService::shutdownNow);
        for (ExecutorService e : taskWork.values()) {
            try {
                e.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        emulator.close();
        descriptors.close();
    }
}

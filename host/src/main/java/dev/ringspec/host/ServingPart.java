package dev.ringspec.host;

import dev.ringspec.seam.Ring;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A JVM thread's part as a program thread's task: the program thread (the emulator's task key, made once), its
 * process and its lock, kept for its next call, which is most often the same program thread's; whether it serves
 * now; and the thread's own state in the parts a call goes through, looked up once for all its calls (a
 * thread-local lookup costs more than most of a call's Java work).
 */
final class ServingPart {
    /** The thread whose part this is (each is made on its thread, {@code Supervisor.task}). */
    final Thread owner = Thread.currentThread();
    final Seccomp.Calls calls = new Seccomp.Calls();
    final RemoteMemory.Windows windows = RemoteMemory.windowsHere();
    final PendingSignals.Serving signals;
    final ProgramDescriptors.Place place;
    int tid;
    ProgramThread.Task key;
    /** {@link ProgramThread#exits} when {@link #key} was made. */
    int exitsThen;
    int process;
    ReentrantLock lock;
    boolean serving;
    /** {@link #tid} has an entry in {@link RegisteredRings} ({@link RegisteredRings#touch}). */
    boolean touched;
    /**
     * The {@code Supervisor.lastRing} entry this thread used last, its key, {@code Supervisor.ringsEnded} then, and
     * the stamp of the kcmp that found it ({@link DescriptorChanges#stamp}).
     */
    Ring ring;
    long ringKey;
    long ringsEndedThen;
    long ringStamp = DescriptorChanges.NONE;
    /** The {@link RingEnds.Life} of {@link #lifeRing}, kept for its next call: a ring has one for its life. */
    Ring lifeRing;
    RingEnds.Life life;
    /** The errno of the last ring lookup that found none ({@code Supervisor.ringOf}, a registered ring's). */
    final int[] lookupErrno = new int[1];

    /**
     * The thread's {@link ProgramThread.Served}, taken at its first {@code Supervisor.begin}: only a thread that serves
     * a program thread has one (the emulator's own threads ask the task key too, and make a part).
     */
    ProgramThread.Served served;

    ServingPart(PendingSignals.Serving signals, ProgramDescriptors.Place place) {
        this.signals = signals;
        this.place = place;
    }
}

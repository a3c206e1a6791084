package dev.ringspec.host;

import dev.ringspec.emulator.SqThreadContext;

/**
 * The SQ thread of a hosted SQPOLL ring acts for the program thread that set the ring up, as the kernel's SQ thread
 * is a thread of that process sharing its files and memory: it serves that program thread ({@link ProgramThread}),
 * so {@link RemoteMemory} and {@link ProgramDescriptors} reach the creator's process, and at the end of each pass
 * it writes back the windows the pass changed (and those of the emulator's other threads), as the supervisor does
 * before it answers a call.
 *
 * <p>What this cannot do: a CQE that a pass posts is in the ring, which the program maps, as soon as it is posted,
 * a few microseconds before the pass's windows reach the program. Only opcodes whose result goes through a window
 * (not the read and write opcodes, whose bytes cross before the CQE) could show the difference to a program that
 * polls its CQ ring.
 */
final class SqThreadHost implements SqThreadContext {
    private final ProgramThread thread;
    private final RemoteMemory memory;

    SqThreadHost(ProgramThread thread, RemoteMemory memory) {
        this.thread = thread;
        this.memory = memory;
    }

    @Override
    public Runnable creator() {
        int tid = thread.tid();
        int process = thread.servedProcess(); // learnt while the creator is alive (it may exit before its ring)
        return () -> thread.serve(tid, process);
    }

    @Override
    public void passEnded() {
        memory.writeBack();
    }

    @Override
    public String procTask() {
        return String.valueOf(thread.tid());
    }
}

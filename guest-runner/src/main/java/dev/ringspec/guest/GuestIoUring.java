package dev.ringspec.guest;

import static dev.ringspec.nativerunner.SyscallArguments.argCoversWrites;
import static dev.ringspec.nativerunner.SyscallArguments.isNull;
import static dev.ringspec.nativerunner.SyscallArguments.refuseVirtualThread;
import static dev.ringspec.nativerunner.SyscallArguments.withNativeArg;
import static dev.ringspec.nativerunner.SyscallArguments.withNativeParams;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.IoUring.IORING_FEAT_SINGLE_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_USE_REGISTERED_RING;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_MMAP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_REGISTERED_FD_ONLY;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.guest.agent.AgentSession;
import dev.ringspec.guest.agent.AgentTask;
import dev.ringspec.guest.agent.AgentSession.Answer;
import dev.ringspec.guest.agent.AgentSession.Placement;
import dev.ringspec.guest.agent.SyncedRing;
import dev.ringspec.nativerunner.MappedRing.Mapping;
import dev.ringspec.nativerunner.RingRegions;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A kernel reached through an agent (in a QEMU guest, or natively for testing) behind the seam, behaving as
 * {@code NativeIoUring} does on that kernel: the rings are host memory laid out as the kernel reports, one region
 * under {@code IORING_FEAT_SINGLE_MMAP}; {@code IORING_SETUP_NO_MMAP} rings are placed in memory of ours the agent
 * maps at the same addresses; a resize maps the regions anew; register arguments too small for what the kernel
 * writes are {@code -EFAULT}; heap arguments go through a native copy.
 *
 * <p>Pointers inside arguments reach the guest's kernel because the agent mirrors memory at the same virtual
 * addresses: the call's top-level argument, and every segment of the {@link UserMemory} given here (allocate
 * nested argument memory there: query chains, iovecs, file tables, NO_MMAP user addresses). Memory changed by the
 * application is sent with the next call, memory the kernel changed comes back with its answer.
 *
 * <p>Calls run in the agent on a thread of its own for each calling host thread, so a SINGLE_ISSUER or
 * DEFER_TASKRUN ring answers {@code -EEXIST} to another host thread, as the kernel does natively.
 */
public final class GuestIoUring implements IoUringKernel {
    private static final long PAGE_BYTES = 4096;

    private final AgentSession session;

    /**
     * A backend over the session's kernel; {@code memory} (may be null) is mirrored in the agent, and so are this
     * process's open file descriptors as they are now (see {@link AgentSession#mirrorFileTable()}).
     */
    public GuestIoUring(AgentSession session, UserMemory memory) {
        this.session = session;
        session.mirror(memory);
        session.mirrorFileTable();
    }

    public AgentSession session() {
        return session;
    }

    @Override
    public String description() {
        return "Linux " + session.release() + " (" + session.description() + ")";
    }

    @Override
    public String release() {
        return session.release();
    }

    @Override
    public SetupResult setup(int entries, MemorySegment params) {
        if (isNull(params)) {
            return failed(session.setup(session.newRing().id(), entries, null, List.of(), null).result());
        }
        if (params.byteSize() < IoUringParams.SIZE_BYTES) {
            return failed(-EFAULT);
        }
        if (!params.isNative()) {
            return withNativeParams(params, copy -> setup(entries, copy));
        }
        int flags = params.get(JAVA_INT, IoUringParams.FLAGS_OFFSET);
        refuseVirtualThread(flags);
        Arena arena = Arena.ofShared();
        try {
            List<Placement> placements = (flags & IORING_SETUP_NO_MMAP) == 0 ? List.of()
                    : placements(RingRegions.placeUserRings(params, entries, flags, bytes -> pages(arena, bytes)));
            SyncedRing synced = session.newRing();
            GuestRing[] created = new GuestRing[1];
            Answer answer = session.setup(synced.id(), entries, params, placements, a -> {
                if (a.result() < 0) {
                    return;
                }
                Mapping mapping = map(arena, RingParams.read(params));
                synced.regions(mapping.sqRing(), mapping.cqRing() == mapping.sqRing() ? null : mapping.cqRing(),
                        mapping.sqes());
                session.addRing(synced);
                created[0] = new GuestRing((int) a.result(), (flags & IORING_SETUP_REGISTERED_FD_ONLY) != 0, synced,
                        mapping);
            });
            if (answer.result() < 0) {
                arena.close();
                return failed(answer.result());
            }
            return new SetupResult.Created(created[0]);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        GuestRing r = own(ring);
        if (r.isClosed()) {
            return -EBADF;
        }
        refuseVirtualThread(r.params().flags());
        return (int) withNativeArg(arg,
                a -> session.enter(r.fd(), toSubmit, minComplete, flags, a, argSizeBytes).result());
    }

    @Override
    public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        GuestRing r = own(ring);
        if (r.isClosed()) {
            return -EBADF;
        }
        refuseVirtualThread(r.params().flags());
        if (!argCoversWrites(arg, opcode, nrArgs)) {
            return -EFAULT;
        }
        int op = opcode & ~IORING_REGISTER_USE_REGISTERED_RING;
        if (op == IORING_REGISTER_RESIZE_RINGS && !isNull(arg)) {
            return resize(r, opcode, arg, nrArgs);
        }
        return (int) withNativeArg(arg,
                a -> session.register(r.fd(), opcode, a, nrArgs, 0, List.of(), null).result());
    }

    @Override
    public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
        if (!argCoversWrites(arg, opcode, nrArgs)) {
            return -EFAULT;
        }
        return (int) withNativeArg(arg, a -> session.register(-1, opcode, a, nrArgs, 0, List.of(), null).result());
    }

    @Override
    public int setNoNewPrivs() {
        return session.task(AgentTask.NO_NEW_PRIVS, false);
    }

    /** The agent's serving task forks; its child, which inherits the task's restrictions, serves from now on. */
    @Override
    public int forkTask(boolean dropCapSysAdmin) {
        return session.task(AgentTask.FORK, dropCapSysAdmin);
    }

    @Override
    public int freshTask() {
        return session.task(AgentTask.FRESH, false);
    }

    @Override
    public int close(Ring ring) {
        GuestRing r = own(ring);
        synchronized (r) {
            if (r.isClosed()) {
                return -EBADF;
            }
            return (int) session.close(r.synced().id(), a -> {
                session.removeRing(r.synced());
                r.markClosedAndFree();
            }).result();
        }
    }

    /**
     * {@code IORING_REGISTER_RESIZE_RINGS}: on success the agent has mapped the new regions and sends their
     * content; the host takes a new generation of regions for them. A 6.18 kernel writes neither
     * {@code sq_off.array} nor {@code features} back, so those come from the geometry and from setup.
     */
    private int resize(GuestRing r, int opcode, MemorySegment arg, int nrArgs) {
        if (!arg.isNative()) {
            return withNativeParams(arg, copy -> resize(r, opcode, copy, nrArgs));
        }
        RingParams before = r.params();
        Arena arena = Arena.ofShared();
        boolean kept = false;
        try {
            List<Placement> placements = !before.has(IORING_SETUP_NO_MMAP) ? List.of()
                    : placements(RingRegions.placeResizedRings(before, arg, bytes -> pages(arena, bytes)));
            boolean[] remapped = new boolean[1];
            Answer answer = session.register(r.fd(), opcode, arg, nrArgs, r.synced().id(), placements, a -> {
                if (a.aux() == 1) {
                    // The kernel resized but the agent could not map the new rings: it closed the ring.
                    session.removeRing(r.synced());
                    r.markClosedAndFree();
                } else if (a.result() >= 0) {
                    Mapping mapping = map(arena, RingRegions.afterResize(before, arg));
                    r.synced().regions(mapping.sqRing(),
                            mapping.cqRing() == mapping.sqRing() ? null : mapping.cqRing(), mapping.sqes());
                    r.remap(mapping);
                    remapped[0] = true;
                }
            });
            kept = remapped[0];
            return (int) answer.result();
        } finally {
            if (!kept) {
                arena.close();
            }
        }
    }

    /** Host regions for a ring the agent reports: the placed memory under NO_MMAP, else memory of ours. */
    private static Mapping map(Arena arena, RingParams p) {
        return RingRegions.map(arena, p, (mmapOffset, bytes) -> arena.allocate(bytes, PAGE_BYTES)).in(arena, p);
    }

    /** The memory placed for a NO_MMAP ring, which the agent maps at the same addresses; none if none was placed. */
    private static List<Placement> placements(RingRegions.Placed placed) {
        return placed == null ? List.of() : List.of(new Placement(placed.rings().address(), placed.rings().byteSize()),
                new Placement(placed.sqes().address(), placed.sqes().byteSize()));
    }

    private static MemorySegment pages(Arena arena, long bytes) {
        return arena.allocate(RingGeometry.alignUp(Math.max(bytes, 1), PAGE_BYTES), PAGE_BYTES);
    }

    private static GuestRing own(Ring ring) {
        if (ring instanceof GuestRing r) {
            return r;
        }
        throw new IllegalArgumentException("not a ring of a guest kernel: " + ring);
    }

    private static SetupResult failed(long result) {
        return new SetupResult.Failed((int) result);
    }
}

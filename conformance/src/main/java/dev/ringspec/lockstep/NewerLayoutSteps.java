package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.SqeFields;
import dev.ringspec.seam.U32;
import java.util.Set;

/**
 * The {@link Generator}'s steps for the ring layouts of 6.19 and 7.0, used only where the backends have them
 * ({@link LockstepRunner#newerLayouts()}, from capability discovery):
 *
 * <ul>
 *   <li>{@code IORING_SETUP_SQE_MIXED}: 64-byte SQEs and 128-byte NOP128s side by side. A 128-byte opcode takes its
 *       ring position and the next; one in the last physical slot, or whose second half is not being submitted, is
 *       refused with -EINVAL and takes one position (io_uring.c {@code io_init_req}, 6.19+). The SQ array entry of
 *       the second position is never read.</li>
 *   <li>{@code IORING_SETUP_SQ_REWIND} (with the {@code NO_SQARRAY} it needs): the kernel ignores the SQ tail and
 *       never writes the SQ head; each enter takes {@code min(to_submit, sq_entries)} SQEs from index 0
 *       ({@code io_submit_sqes}) and rewinds its own head to 0 ({@code io_commit_sqring}, 7.0+). The application
 *       therefore writes each submission's SQEs from index 0 and enters with their count, never touching the head
 *       or tail (the uapi header calls other values undefined behaviour).</li>
 * </ul>
 *
 * Where neither layout exists nothing here draws a random number, so runs on such kernels are as they were.
 */
final class NewerLayoutSteps {
    private final Generator g;
    private Set<Feature> features = Set.of();

    NewerLayoutSteps(Generator g) {
        this.g = g;
    }

    void features(Set<Feature> newerLayouts) {
        this.features = newerLayouts;
    }

    /**
     * The setup flags of a new ring: SQE_MIXED ORed in (mostly without the SQE128 it excludes), or SQ_REWIND (mostly
     * with its NO_SQARRAY), each where the backends have it.
     */
    int layout(int flags) {
        int out = flags;
        if (features.contains(Feature.SQE_MIXED) && g.chance(30)) {
            out |= IORING_SETUP_SQE_MIXED;
            if (g.chance(90)) {
                out &= ~IORING_SETUP_SQE128;
            }
        }
        if (features.contains(Feature.SQ_REWIND) && g.chance(20)) {
            out |= IORING_SETUP_SQ_REWIND | (g.chance(95) ? IORING_SETUP_NO_SQARRAY : 0);
        }
        return out;
    }

    /** How often a plan on a ring with these setup flags writes mixed SQEs: often on SQE_MIXED rings. */
    int mixedWeight(int ringFlags) {
        if (!features.contains(Feature.SQE_MIXED)) {
            return 0;
        }
        return (ringFlags & IORING_SETUP_SQE_MIXED) != 0 ? 25 : 1;
    }

    /**
     * A batch of 64- and 128-byte SQEs at the tail, published and entered; now and then the tail is first brought
     * to the last physical slot so the batch starts there. On a ring without SQE_MIXED, a NOP128 is refused (or,
     * with SQE128, is a NOP).
     */
    void mixedSqes(LockstepRunner r) {
        int n = r.sqEntries();
        int tail = r.observation().sqTail();
        int start = tail;
        int toLast = n - 1 - (tail & (n - 1));
        if (toLast > 0 && g.chance(30)) {
            g.batch(r, toLast, true);
            start = tail + toLast;
        }
        int used = write(r, start, 1 + g.pick(Math.min(n, 8)), bigPercent(r), chainFlags());
        g.publishAndEnter(r, used);
    }

    /** How often an SQE of a mixed batch is a NOP128. */
    private int bigPercent(LockstepRunner r) {
        return (r.ringFlags() & IORING_SETUP_SQE_MIXED) != 0 ? 45 : features.contains(Feature.SQE_MIXED) ? 5 : 0;
    }

    /** Link flags for every SQE of a batch but its last: none mostly, else IO_LINK or IO_HARDLINK. */
    private int chainFlags() {
        if (!g.chance(25)) {
            return 0;
        }
        return g.chance(25) ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
    }

    /**
     * Writes SQEs at ring positions from {@code start} until {@code positions} are used, with an identity SQ array
     * where the ring has one; returns the positions used. A NOP128 is written over two slots (now and then as its
     * first 64 bytes only, which is all the kernel reads of it); in the last slot it takes one. Sometimes a
     * skip-success NOP pads the last slot so the NOP128 starts at slot 0 (liburing's convention); sometimes the
     * second position's SQ array entry names no SQE, which the kernel never reads; rarely a 64-byte opcode is written
     * as 128 bytes, so its zeroed second half is an SQE of its own.
     */
    private int write(LockstepRunner r, int start, int positions, int bigPercent, int linkFlags) {
        int n = r.sqEntries();
        int mask = n - 1;
        boolean array = (r.ringFlags() & IORING_SETUP_NO_SQARRAY) == 0;
        int used = 0;
        boolean forceBig = false;
        while (used < positions) {
            int position = start + used;
            int slot = position & mask;
            boolean last = slot == mask;
            boolean big = forceBig || (bigPercent > 0 && g.chance(bigPercent));
            forceBig = false;
            if (big && last && positions - used >= 3 && g.chance(50)) {
                int link = used + 1 < positions ? linkFlags : 0;
                g.add(Step.WriteSqe.nop(position, IOSQE_CQE_SKIP_SUCCESS | link, 0, 0, g.userData()));
                writeArray(array, position, slot);
                used++;
                forceBig = true;
                continue;
            }
            int take = big && !last ? Math.min(2, positions - used) : 1;
            int link = used + take < positions ? linkFlags : 0;
            SqeFields sqe = g.nop(r, position, link).sqe();
            if (big) {
                if (sqe.opcode() == IORING_OP_NOP) {
                    sqe = new SqeFields(IORING_OP_NOP128, sqe.flags(), sqe.ioprio(), sqe.fd(), sqe.off(), sqe.addr(),
                            sqe.len(), sqe.opFlags(), sqe.userData(), sqe.bufIndex(), sqe.personality());
                }
                g.add(g.chance(92) ? new Step.WriteSqe128(position, sqe) : new Step.WriteSqe(position, sqe));
                writeArray(array, position, slot);
                if (take == 2) {
                    writeArray(array, position + 1, g.chance(80) ? (slot + 1) & mask : n + g.pick(40));
                }
            } else {
                g.add(bigPercent > 0 && !last && g.chance(4) ? new Step.WriteSqe128(position, sqe)
                        : new Step.WriteSqe(position, sqe));
                writeArray(array, position, slot);
            }
            used += take;
        }
        return used;
    }

    private void writeArray(boolean array, int position, int value) {
        if (array) {
            g.add(new Step.WriteArray(position, value));
        }
    }

    /**
     * One plan on an SQ_REWIND ring: mostly a submission written from SQE 0 and entered with its count; sometimes
     * the same SQEs entered again unwritten (what SQ_REWIND is for), to_submit past what was written (stale SQEs)
     * or past sq_entries (capped), CQEs consumed, task work run, a second thread, a resize, resources, a probe, a
     * new ring.
     */
    void rewound(LockstepRunner r) {
        int n = r.sqEntries();
        int visible = (int) Math.min(U32.distance(r.observation().cqTail(), r.observation().cqHead()),
                r.cqEntries());
        int x = g.pick(100);
        if (x < 45) {
            int used = write(r, 0, 1 + g.pick(n), bigPercent(r), chainFlags());
            g.add(rewoundEnter(used, visible));
        } else if (x < 55) {
            g.add(rewoundEnter(1 + g.pick(n), visible));
        } else if (x < 67) {
            g.add(new Step.ConsumeCqes(g.chance(50) ? visible : 1 + g.pick(Math.max(visible, 1)),
                    (r.ringFlags() & IORING_SETUP_CQE_MIXED) != 0 && g.chance(10)));
        } else if (x < 73) {
            g.add(new Step.Enter(0, g.chance(50) ? 0 : g.pick(visible + 1), IORING_ENTER_GETEVENTS));
        } else if (x < 78) {
            g.add(new Step.OnOtherThread(rewoundEnter(1 + g.pick(n), visible)));
        } else if (x < 83 && (r.ringFlags() & IORING_SETUP_DEFER_TASKRUN) != 0) {
            g.add(g.resize());
        } else if (x < 90) {
            // The same SQEs entered until the CQ overflows.
            int used = write(r, 0, n, bigPercent(r), 0);
            for (int i = 0; i <= (r.cqEntries() - visible) / Math.max(used, 1) + g.pick(2); i++) {
                g.add(new Step.Enter(used, 0, 0));
            }
        } else if (x < 95) {
            g.resources(r);
        } else if (x < 97) {
            g.add(new Step.Probe(g.pick(70)));
        } else {
            g.add(g.setup());
        }
    }

    /** An enter of a rewound submission: to_submit is mostly the count written, else anything up to 2 x sq_entries. */
    private Step.Enter rewoundEnter(int written, int visible) {
        int toSubmit = g.chance(80) ? written : g.pick(2 * Math.max(written, 1) + 2);
        boolean wait = g.chance(30);
        return new Step.Enter(toSubmit, wait && g.chance(50) ? g.pick(visible + 1) : 0,
                wait ? IORING_ENTER_GETEVENTS : 0);
    }
}

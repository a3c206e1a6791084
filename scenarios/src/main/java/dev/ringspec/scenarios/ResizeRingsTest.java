package dev.ringspec.scenarios;

import static dev.ringspec.uapi.Errno.EEXIST;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESIZE_RINGS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CLAMP;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQE32;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_CQSIZE;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE128;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_TASKRUN_FLAG;
import static dev.ringspec.uapi.IoUring.IORING_SQ_NEED_WAKEUP;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingParams;
import dev.ringspec.uapi.IoSqringOffsets;
import dev.ringspec.uapi.IoUringParams;
import dev.ringspec.uapi.IoUringSqe;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * IORING_REGISTER_RESIZE_RINGS: DEFER_TASKRUN rings only; pending SQEs and CQEs keep their counters and move to
 * {@code counter & newMask}; -EOVERFLOW leaves the ring untouched but still writes the params back
 * (ring-semantics.md A5, Part B row 14, Appendix A.9, liburing-notes 6.3).
 */
@Tag("kernel")
class ResizeRingsTest {
    private static final int DEFER = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;

    private static MemorySegment request(Backend backend, int sqEntries, int flags, int cqEntries) {
        MemorySegment params = ScenarioRing.params(backend, flags);
        params.set(JAVA_INT, IoUringParams.SQ_ENTRIES_OFFSET, sqEntries);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        return params;
    }

    private static int resize(ScenarioRing r, MemorySegment params) {
        return r.register(IORING_REGISTER_RESIZE_RINGS, params, 1);
    }

    // Row 14: a ring without DEFER_TASKRUN -> -EINVAL.
    @Scenario
    void resizeOfARingWithoutDeferTaskrunIsEinval(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        for (int flags : new int[] {0, IORING_SETUP_SINGLE_ISSUER}) {
            try (ScenarioRing r = ScenarioRing.open(backend, 4, flags)) {
                assertThat(resize(r, request(backend, 8, 0, 0))).as("flags 0x%x", flags).isEqualTo(-EINVAL);
                assertThat(r.ring.params().sqEntries()).isEqualTo(4);
            }
        }
    }

    // Row 14: grow 4 -> 16 with 3 pending CQEs and 2 pending SQEs: head/tail kept (SQ 7/9, CQ 4/7); returned
    // sq 16, cq 32, flags = NO_SQARRAY only (DEFER_TASKRUN and SINGLE_ISSUER are not copied); entries sit at
    // counter & newMask.
    @Scenario
    void growKeepsPendingSqesAndCqesAtTheirCountersUnderTheNewMask(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        Scenarios.assumeFeature(backend, Feature.NO_SQARRAY);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER | IORING_SETUP_NO_SQARRAY)) {
            for (int i = 0; i < 4; i++) {
                r.nop(i);
            }
            assertThat(r.submit()).isEqualTo(4);
            assertThat(r.reapAll()).hasSize(4);
            for (int i = 0; i < 3; i++) {
                r.nop(10 + i);
            }
            assertThat(r.submit()).isEqualTo(3);
            r.nop(20);
            r.nop(21);
            r.sq().storeReleaseTail(9);

            MemorySegment oldSqes = r.ring.sqes();
            MemorySegment params = request(backend, 16, 0, 0);
            assertThat(resize(r, params)).isZero();
            assertThat(oldSqes.scope().isAlive()).as("the old regions are unmapped").isFalse();
            RingParams answer = RingParams.read(params);
            assertThat(answer.sqEntries()).isEqualTo(16);
            assertThat(answer.cqEntries()).isEqualTo(32);
            assertThat(answer.flags()).isEqualTo(IORING_SETUP_NO_SQARRAY);

            r.driver.refreshViews();
            assertThat(r.sq().readOnceRingEntries()).isEqualTo(16);
            assertThat(r.cq().readOnceRingEntries()).isEqualTo(32);
            assertThat(r.sq().loadAcquireHead()).isEqualTo(7);
            assertThat(r.sq().readOnceTail()).isEqualTo(9);
            assertThat(r.cq().readOnceHead()).isEqualTo(4);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(7);
            for (int i = 0; i < 3; i++) {
                assertThat(r.cq().userData(4 + i)).as("CQE at slot %d", 4 + i).isEqualTo(10 + i);
            }
            assertThat(r.enter(2, 2, IORING_ENTER_GETEVENTS)).isEqualTo(2);
            assertThat(r.reapUserData()).containsExactly(10L, 11L, 12L, 20L, 21L);
        }
    }

    // Row 14 (R2), A5: 6.13-6.18 do not write sq_off.array back (0xdead came back); 6.19+ fill it in.
    @Scenario
    void resizeWritesBackSqArrayOffsetOnlyFrom619(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER)) {
            MemorySegment params = request(backend, 8, 0, 0);
            long array = IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.ARRAY_OFFSET;
            params.set(JAVA_INT, array, 0xdead);
            assertThat(resize(r, params)).isZero();
            boolean leavesArray = backend.kernel().release().matches("6\\.1[3-8]($|[.-].*)");
            // ALIGN64(cqes 64 + 16 cq entries * 16 bytes)
            assertThat(params.get(JAVA_INT, array)).isEqualTo(leavesArray ? 0xdead : 320);
            r.driver.refreshViews();
            r.nop(5);
            assertThat(r.submitAndWait(1)).isEqualTo(1);
            assertThat(r.reapAll()).containsExactly(new Cqe(5, 0, 0, 0, 0));
        }
    }

    // Row 14 (R3): shrink with 6 pending CQEs to cq 4 -> -EOVERFLOW; params still rewritten; ring untouched.
    @Scenario
    void shrinkBelowPendingCqesIsEoverflowButStillWritesParams(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER)) {
            for (int batch = 0; batch < 2; batch++) {
                for (int i = 0; i < 3; i++) {
                    r.nop(10 * batch + i);
                }
                assertThat(r.submit()).isEqualTo(3);
            }
            MemorySegment sqRing = r.ring.sqRing();
            MemorySegment params = request(backend, 3, IORING_SETUP_CQSIZE, 3);
            assertThat(resize(r, params)).isEqualTo(-EOVERFLOW);
            RingParams written = RingParams.read(params);
            assertThat(written.sqEntries()).as("rounded up and written back").isEqualTo(4);
            assertThat(written.cqEntries()).isEqualTo(4);
            assertThat(written.cqOff().cqes()).isEqualTo(64);
            assertThat(sqRing.scope().isAlive()).isTrue();
            assertThat(r.ring.params().cqEntries()).isEqualTo(8);
            assertThat(r.reapUserData()).containsExactly(0L, 1L, 2L, 10L, 11L, 12L);
        }
    }

    // Row 14: pending SQEs 4 > new sq 2 -> -EOVERFLOW, and they are still there to submit.
    @Scenario
    void morePendingSqesThanTheNewSqIsEoverflow(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER)) {
            for (int i = 0; i < 4; i++) {
                r.nop(i);
            }
            r.sq().storeReleaseTail(4);
            assertThat(resize(r, request(backend, 2, 0, 0))).isEqualTo(-EOVERFLOW);
            assertThat(r.enter(4, 4, IORING_ENTER_GETEVENTS)).isEqualTo(4);
            assertThat(r.reapUserData()).containsExactly(0L, 1L, 2L, 3L);
        }
    }

    // Row 14, A5: request flags other than CQSIZE|CLAMP -> -EINVAL; sq 0 or cq < sq -> -EINVAL; nr_args 2 or a
    // NULL arg -> -EINVAL.
    @Scenario
    void resizeRequestValidation(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER)) {
            for (int flag : new int[] {IORING_SETUP_NO_SQARRAY, IORING_SETUP_CQE32, IORING_SETUP_SQE128,
                IORING_SETUP_SQPOLL, IORING_SETUP_DEFER_TASKRUN}) {
                assertThat(resize(r, request(backend, 8, flag, 0))).as("flag 0x%x", flag).isEqualTo(-EINVAL);
            }
            assertThat(resize(r, request(backend, 0, 0, 0))).isEqualTo(-EINVAL);
            assertThat(resize(r, request(backend, 8, IORING_SETUP_CQSIZE, 4))).isEqualTo(-EINVAL);
            assertThat(resize(r, request(backend, 100000, 0, 0))).isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_RESIZE_RINGS, request(backend, 8, 0, 0), 2)).isEqualTo(-EINVAL);
            assertThat(r.register(IORING_REGISTER_RESIZE_RINGS, MemorySegment.NULL, 1)).isEqualTo(-EINVAL);
            assertThat(r.ring.params().sqEntries()).isEqualTo(4);
        }
    }

    // Row 14: CLAMP: 40000 -> sq 32768, cq 65536; CQSIZE with cq 100000 -> 65536.
    @Scenario
    void clampLimitsTheNewSizes(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER)) {
            MemorySegment params = request(backend, 40000, IORING_SETUP_CLAMP, 0);
            assertThat(resize(r, params)).isZero();
            assertThat(RingParams.read(params).sqEntries()).isEqualTo(32768);
            assertThat(RingParams.read(params).cqEntries()).isEqualTo(65536);
            assertThat(r.ring.params().sqEntries()).isEqualTo(32768);
            MemorySegment cqOnly = request(backend, 4, IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, 100000);
            assertThat(resize(r, cqOnly)).isZero();
            assertThat(RingParams.read(cqOnly).cqEntries()).as("CQSIZE clamped").isEqualTo(65536);
            assertThat(r.ring.params().sqEntries()).isEqualTo(4);
        }
    }

    // liburing-notes 6.3: a resize from another thread of a SINGLE_ISSUER ring -> -EEXIST.
    @Scenario
    void resizeFromAnotherThreadIsEexist(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER)) {
            MemorySegment params = request(backend, 8, 0, 0);
            assertThat(OnThread.call(() -> resize(r, params))).isEqualTo(-EEXIST);
            assertThat(r.ring.params().sqEntries()).isEqualTo(4);
        }
    }

    // A5, upstream 96189080265e (7.0; in the 6.19 and 6.18 stable trees, measured on 6.18.44): a successful resize
    // ORs IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP into the new rings' SQ flags, with or without TASKRUN_FLAG, so
    // that the application acts on anything set during the swap. A refused resize leaves the flags alone.
    @Scenario
    void resizeMarksTaskrunAndNeedWakeupInTheSqFlags(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        for (int extra : new int[] {0, IORING_SETUP_TASKRUN_FLAG}) {
            try (ScenarioRing r = ScenarioRing.open(backend, 4, DEFER | extra)) {
                assertThat(resize(r, request(backend, 0, 0, 0))).isEqualTo(-EINVAL);
                assertThat(r.sqFlags()).as("after a refused resize, setup flags 0x%x", extra).isZero();
                assertThat(resize(r, request(backend, 8, 0, 0))).isZero();
                r.driver.refreshViews();
                assertThat(r.sqFlags()).as("setup flags 0x%x", extra)
                        .isEqualTo(IORING_SQ_TASKRUN | IORING_SQ_NEED_WAKEUP);
                assertThat(r.cq().readOnceFlags()).isZero();
                r.nop(1);
                assertThat(r.submitAndWait(1)).isEqualTo(1);
                assertThat(r.reapUserData()).containsExactly(1L);
            }
        }
    }

    // Catalogue entry resize-loses-entries-across-counter-wrap. The kernel copies the pending CQEs with
    // `for (i = old_head; i < tail; i++)` on u32 counters, so a pending range that straddles 2^32 is not copied at
    // all: the resize succeeds, keeps head and tail, and the new ring shows zeroed CQEs. The intended semantics (the
    // model) copy them modulo 2^32 like every other counter comparison. Here the application moves the CQ head
    // back over the wrap, which puts the kernel in the state a ring reaches after 2^32 completions.
    @Scenario
    void pendingCqesWhoseCountersStraddleTheWrapAcrossAResize(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 2, DEFER)) {
            r.nop(1);
            r.nop(2);
            assertThat(r.submit()).isEqualTo(2);
            r.cq().storeReleaseHead(-2); // pending: counters 2^32-2, 2^32-1 (slots 2, 3: never written), 0, 1
            assertThat(resize(r, request(backend, 4, 0, 0))).isZero();
            r.driver.refreshViews();
            assertThat(r.cq().readOnceHead()).isEqualTo(-2);
            assertThat(r.cq().loadAcquireTail()).isEqualTo(2);
            long[] atCounters = {r.cq().userData(6), r.cq().userData(7), r.cq().userData(0), r.cq().userData(1)};
            if (backend.kind() == Backend.Kind.KERNEL) {
                // Every kernel with RESIZE_RINGS through 7.1 has the loop. A kernel that fixes it fails here: record
                // the fixed release in the catalogue entry, and expect the model's answer from that release on.
                assertThat(atCounters).as("the catalogued kernel behaviour").containsExactly(0, 0, 0, 0);
            } else {
                assertThat(atCounters).containsExactly(0, 0, 1, 2);
            }
        }
    }

    // By intent the pending SQEs run from the kernel's own head (ctx->cached_sq_head) to the tail: an application
    // that writes sq.head (here back to 2^32-1, with one SQE written and no tail published) makes nothing pending,
    // and the new rings publish the kernel's head 0. Linux 6.13 and later read sq.head back from the ring and
    // publish the application's value: catalogue entry resize-publishes-the-applications-sq-head.
    @Scenario
    void resizeAfterTheApplicationMovedTheSqHeadKeepsTheKernelsHead(Backend backend) {
        Scenarios.assumeFeature(backend, Feature.RESIZE_RINGS);
        try (ScenarioRing r = ScenarioRing.open(backend, 1, DEFER)) {
            r.nop(1); // SQE 0, not published
            r.sq().writeOnceHead(-1);
            assertThat(resize(r, request(backend, 2, 0, 0))).isZero();
            r.driver.refreshViews();
            assertThat(r.sq().readOnceTail()).isZero();
            long copied = r.sq().sqes().get(JAVA_LONG,
                    r.sq().sqeOffset(1) + IoUringSqe.USER_DATA_OFFSET);
            assertThat(copied).as("nothing was pending from the kernel's head").isZero();
            if (backend.kind() == Backend.Kind.KERNEL) {
                assertThat(r.sq().loadAcquireHead()).as("the catalogued kernel behaviour").isEqualTo(-1);
            } else {
                assertThat(r.sq().loadAcquireHead()).isZero();
            }
        }
    }
}

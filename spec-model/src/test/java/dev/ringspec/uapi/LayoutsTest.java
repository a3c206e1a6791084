package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import org.junit.jupiter.api.Test;

/** How {@link Layouts} finds members the way C names them, and how {@link Structs} finds structs. */
class LayoutsTest {

    @Test
    void anonymousUnionMemberIsFoundByItsOwnName() {
        GroupLayout sqe = IoUringSqe.LAYOUT;
        assertThat(Layouts.offsetOf(sqe, "cmd_op")).isEqualTo(Layouts.offsetOf(sqe, "anon1.anon2.cmd_op"));
        assertThat(Layouts.memberOf(sqe, "cmd_op")).isEqualTo(Layouts.memberOf(sqe, "anon1.anon2.cmd_op"));
    }

    @Test
    void unionMembersShareTheUnionsOffset() {
        GroupLayout sqe = IoUringSqe.LAYOUT;
        assertThat(Layouts.offsetOf(sqe, "cancel_flags"))
                .isEqualTo(Layouts.offsetOf(sqe, "rw_flags"))
                .isEqualTo(Layouts.offsetOf(sqe, "anon5"));
    }

    @Test
    void dottedPathAddsTheNestedStructsOffset() {
        assertThat(Layouts.offsetOf(IoUringParams.LAYOUT, "sq_off.array"))
                .isEqualTo(IoUringParams.SQ_OFF_OFFSET + IoSqringOffsets.ARRAY_OFFSET);
        assertThat(Layouts.offsetOf(IoUringBpf.LAYOUT, "filter.filter_ptr"))
                .isEqualTo(IoUringBpf.FILTER_OFFSET + IoUringBpfFilterStruct.FILTER_PTR_OFFSET);
    }

    @Test
    void nestedStructReusesTheOtherClassesLayout() {
        assertThat(Layouts.memberOf(IoUringParams.LAYOUT, "cq_off"))
                .isEqualTo(IoCqringOffsets.LAYOUT.withName("cq_off"));
        assertThat(Layouts.memberOf(IoUringSyncCancelReg.LAYOUT, "timeout"))
                .isEqualTo(KernelTimespec.LAYOUT.withName("timeout"));
    }

    @Test
    void flexibleArrayMemberIsAnEmptySequenceOfItsElement() {
        MemoryLayout ops = Layouts.memberOf(IoUringProbe.LAYOUT, "ops");
        assertThat(ops).isInstanceOfSatisfying(SequenceLayout.class, sequence -> {
            assertThat(sequence.elementCount()).isZero();
            assertThat(sequence.elementLayout()).isEqualTo(IoUringProbeOp.LAYOUT);
        });
        assertThat(IoUringProbe.OPS_OFFSET).isEqualTo(IoUringProbe.SIZE_BYTES);
    }

    @Test
    void unknownMemberNamesTheStructAndTheMember() {
        assertThatIllegalArgumentException().isThrownBy(() -> Layouts.offsetOf(IoUringSqe.LAYOUT, "no_such_field"))
                .withMessageContaining("io_uring_sqe")
                .withMessageContaining("no_such_field");
        assertThatIllegalArgumentException().isThrownBy(() -> Layouts.memberOf(IoUringParams.LAYOUT, "sq_off.nope"))
                .withMessageContaining("io_uring_params")
                .withMessageContaining("'nope'")
                .withMessageContaining("sq_off.nope");
    }

    @Test
    void pathThroughAScalarIsRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> Layouts.offsetOf(IoUringCqe.LAYOUT, "res.low"))
                .withMessageContaining("io_uring_cqe")
                .withMessageContaining("'res' is not a struct or union");
    }

    @Test
    void emptyNameIsRejectedRatherThanMatchingUnnamedPadding() {
        GroupLayout padded = structLayout(JAVA_SHORT.withName("a"), MemoryLayout.paddingLayout(2),
                JAVA_INT.withName("b")).withName("padded");
        assertThatIllegalArgumentException().isThrownBy(() -> Layouts.offsetOf(padded, ""));
        assertThatIllegalArgumentException().isThrownBy(() -> Layouts.offsetOf(padded, "a."));
        assertThat(Layouts.offsetOf(padded, "b")).isEqualTo(JAVA_SHORT.byteSize() + 2);
    }

    @Test
    void nameFoundInTwoAnonymousGroupsIsAmbiguous() {
        GroupLayout twice = structLayout(
                unionLayout(JAVA_INT.withName("x")).withName("anon1"),
                unionLayout(JAVA_INT.withName("x")).withName("anon2")).withName("twice");
        assertThatIllegalArgumentException().isThrownBy(() -> Layouts.offsetOf(twice, "x"))
                .withMessageContaining("more than one member 'x'");
    }

    @Test
    void namedNestedGroupIsNotFlattened() {
        assertThatIllegalArgumentException().isThrownBy(() -> Layouts.offsetOf(IoUringBpfCtx.LAYOUT, "family"));
        assertThat(Layouts.offsetOf(IoUringBpfCtx.LAYOUT, "socket.family")).isEqualTo(IoUringBpfCtx.SOCKET_OFFSET);
    }

    @Test
    void structsAreFoundByTheirCName() {
        assertThat(Structs.byName("io_uring_sqe")).isSameAs(IoUringSqe.LAYOUT);
        assertThat(Structs.byName("__kernel_timespec")).isSameAs(KernelTimespec.LAYOUT);
        assertThat(Structs.ALL).allSatisfy(layout -> assertThat(Structs.byName(layout.name().orElseThrow()))
                .isSameAs(layout));
        assertThatIllegalArgumentException().isThrownBy(() -> Structs.byName("io_uring_nope"))
                .withMessageContaining("io_uring_nope");
    }
}

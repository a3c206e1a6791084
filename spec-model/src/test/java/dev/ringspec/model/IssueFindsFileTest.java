package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.Sqe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link OpDef#ISSUE_FINDS_FILE}: an opcode whose issue looks its process descriptor up itself is issued on a
 * descriptor the process does not have, and its own -EBADF is the CQE, as {@code io_assign_file}'s would be; a fixed
 * file is still the model's to look up. A test opcode at READ's number records what reached its issue.
 */
class IssueFindsFileTest {
    private static final int CLOSED_FD = 5;

    private final List<Integer> issued = new ArrayList<>();

    private ModelFixture fixture(int flags) {
        KernelProfile p = KernelProfile.LINUX_6_18.toBuilder()
                .opcode(new OpDef(IORING_OP_READ, "READ", flags, (req, ctx) -> 0, (req, ctx) -> {
                    issued.add(req.fd());
                    return ctx.processFileOpen(ctx.fileDescriptor(req)) ? OpDef.COMPLETE : -EBADF;
                }))
                .build();
        ModelFixture f = ModelFixture.of(p);
        f.model.withProcessDescriptors(fd -> fd >= 0 && fd != CLOSED_FD);
        return f.setup(8, 0);
    }

    private static void read(ModelFixture f, long userData, int fd, int sqeFlags) {
        Sqe.fd(f.driver.sqes(), f.op(IORING_OP_READ, userData, sqeFlags), fd);
    }

    @Test
    void theModelLooksTheFileUpBeforeAnIssueThatDoesNot() {
        try (ModelFixture f = fixture(OpDef.NEEDS_FILE)) {
            read(f, 1, CLOSED_FD, 0);
            read(f, 2, 3, 0);
            assertThat(f.submit()).isEqualTo(2);
            assertThat(f.reapAll()).containsExactly(new Cqe(1, -EBADF, 0, 0, 0), new Cqe(2, 0, 0, 0, 0));
            assertThat(issued).containsExactly(3);
        }
    }

    @Test
    void anIssueThatFindsItsFileAnswersForAClosedDescriptorItself() {
        try (ModelFixture f = fixture(OpDef.NEEDS_FILE | OpDef.ISSUE_FINDS_FILE)) {
            read(f, 1, CLOSED_FD, 0);
            read(f, 2, 3, 0);
            assertThat(f.submit()).isEqualTo(2);
            assertThat(f.reapAll()).containsExactly(new Cqe(1, -EBADF, 0, 0, 0), new Cqe(2, 0, 0, 0, 0));
            assertThat(issued).containsExactly(CLOSED_FD, 3);
        }
    }

    @Test
    void aFixedFileIsStillLookedUpByTheModel() {
        try (ModelFixture f = fixture(OpDef.NEEDS_FILE | OpDef.ISSUE_FINDS_FILE)) {
            read(f, 1, 0, IOSQE_FIXED_FILE);
            assertThat(f.submit()).isEqualTo(1);
            assertThat(f.reapAll()).containsExactly(new Cqe(1, -EBADF, 0, 0, 0));
            assertThat(issued).isEmpty();
        }
    }
}

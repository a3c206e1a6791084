package dev.ringspec.opcodes;

import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.Rule;
import dev.ringspec.model.Rules;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An opcode added from another module through {@link KernelProfile.Builder#opcode} runs through the model's own
 * io_init_req, issue, task work, io-wq and completion paths, and reaches the ring only through its issue context.
 * {@link OpcodeThroughLockstepTest} runs the same opcode through the lockstep engine.
 */
class OpcodeFromAnotherModuleTest {
    private final EchoOpcode echo = new EchoOpcode();
    private final UserMemory memory = new UserMemory();
    private final List<Rule> fired = new ArrayList<>();
    private ModelIoUring model;
    private RingDriver driver;

    @BeforeEach
    void setUp() {
        KernelProfile profile = KernelProfile.LINUX_6_18.toBuilder().opcode(echo.def()).build();
        model = new ModelIoUring(profile, memory).withProcessDescriptors(fd -> fd == 3)
                .withRuleListener((rule, ringFd, detail) -> fired.add(rule));
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, 0);
        SetupResult result = model.setup(8, params);
        driver = new RingDriver(model, result.ringOrNull());
    }

    @AfterEach
    void tearDown() {
        model.close(driver.ring());
        memory.close();
    }

    private void echo(long userData, int fd, int result, int mode) {
        long at = driver.nextSqe();
        Sqe.clear(driver.sqes(), at, 64);
        Sqe.opcode(driver.sqes(), at, EchoOpcode.OPCODE);
        Sqe.fd(driver.sqes(), at, fd);
        Sqe.len(driver.sqes(), at, result);
        Sqe.opFlags(driver.sqes(), at, mode);
        Sqe.userData(driver.sqes(), at, userData);
    }

    private List<Cqe> reapAll() {
        List<Cqe> all = new ArrayList<>();
        for (Cqe c = driver.reap(); c != null; c = driver.reap()) {
            all.add(c);
        }
        return all;
    }

    @Test
    void completesNowThroughTaskWorkAndAfterIoWqInTheKernelsOrder() {
        echo(1, 3, 11, EchoOpcode.NOW);
        echo(2, 3, 22, EchoOpcode.TASK_WORK);
        echo(3, 3, 33, EchoOpcode.IO_WQ);
        echo(4, 3, 44, EchoOpcode.NOW);
        assertThat(driver.submit(0, 0)).isEqualTo(4);
        // inline completions first (the batch), then the task work in the order it was queued
        assertThat(reapAll()).extracting(Cqe::userData, Cqe::res)
                .containsExactly(tuple(1L, 11), tuple(4L, 44),
                        tuple(2L, 22), tuple(3L, 33));
        assertThat(fired).contains(EchoOpcode.ECHO_ISSUED, Rules.IO_QUEUE_IOWQ);
    }

    @Test
    void completesFromAnotherThreadWhenTheTaskNextRunsTaskWork() throws Exception {
        echo(7, 3, 77, EchoOpcode.OTHER_THREAD);
        assertThat(driver.submit(0, 0)).isEqualTo(1);
        assertThat(driver.ready()).isZero();
        EchoOpcode.Pending p = echo.pending.poll(5, TimeUnit.SECONDS);
        assertThat(p).isNotNull();
        Thread device = Thread.ofPlatform().start(() -> p.ctx().completeFromOtherThread(p.req()));
        device.join();
        assertThat(model.enter(driver.ring(), 0, 1, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0)).isZero();
        assertThat(reapAll()).extracting(Cqe::userData, Cqe::res)
                .containsExactly(tuple(7L, 77));
    }

    @Test
    void aFileOpcodeWithAClosedDescriptorFailsWithEbadf() {
        echo(5, 9, 55, EchoOpcode.NOW);
        driver.submit(0, 0);
        assertThat(reapAll()).extracting(Cqe::userData, Cqe::res)
                .containsExactly(tuple(5L, -EBADF));
        assertThat(fired).doesNotContain(EchoOpcode.ECHO_ISSUED);
    }

    @Test
    void itsPrepRunsInIoInitReqAfterTheGenericChecks() {
        echo(6, 3, 66, 9);
        assertThat(driver.submit(0, 0)).isEqualTo(1);
        assertThat(reapAll()).extracting(Cqe::userData, Cqe::res)
                .containsExactly(tuple(6L, -EINVAL));
    }

    @Test
    void withoutTheEntryTheOpcodeIsUnmodelled() {
        ModelIoUring plain = new ModelIoUring(KernelProfile.LINUX_6_18, memory);
        List<Rule> heard = new ArrayList<>();
        plain.withRuleListener((rule, ringFd, detail) -> heard.add(rule));
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        RingDriver d = new RingDriver(plain, plain.setup(8, params).ringOrNull());
        long at = d.nextSqe();
        Sqe.clear(d.sqes(), at, 64);
        Sqe.opcode(d.sqes(), at, EchoOpcode.OPCODE);
        assertThatThrownBy(() -> d.submit(0, 0))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(heard).contains(Rules.OPCODE_NOT_MODELLED);
    }
}

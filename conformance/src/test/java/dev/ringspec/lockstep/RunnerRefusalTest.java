package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_DRAIN;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The runner refuses exactly the steps whose outcome the kernel does not fix, as the referee model's rules say, and
 * runs the deterministic neighbours of each: without the refusals these sequences would race io-wq or block
 * forever. Kernel against kernel, so the referee is a model run beside them.
 */
@Tag("kernel")
class RunnerRefusalTest {
    private LockstepRunner runner;

    @BeforeEach
    void setUp() {
        KernelTests.assumeIoUring();
        runner = new LockstepRunner(KernelTests.kernel("A"), KernelTests.kernel("B"));
    }

    @AfterEach
    void tearDown() {
        if (runner != null) {
            runner.close();
        }
    }

    private String lastLine(Step... ops) {
        List<String> trace = runner.trace(List.of(ops), LockstepRunner.Role.REFERENCE);
        return trace.get(trace.size() - 3); // the last step's line; the pending SQEs and the CQE slots follow it
    }

    @Test
    void asyncNopIsRefusedButAsyncNopThatFailsInitRuns() {
        assertThat(lastLine(new Step.Setup(2, 0, 0), Step.WriteSqe.nop(0, IOSQE_ASYNC, 0, 0, 1), new Step.PublishTail(1),
                new Step.Enter(1, 0, 0))).isEqualTo("step 3: refused");
        assertThat(lastLine(new Step.Setup(2, 0, 0), Step.WriteSqe.nop(0, IOSQE_ASYNC | 0x80, 0, 0, 1),
                new Step.PublishTail(1), new Step.Enter(1, 0, 0))).isEqualTo("step 3: res 1 sq 1 1 0 0 cq 0 1 0 0");
    }

    @Test
    void danglingLinkIsRefusedButACompleteChainRuns() {
        assertThat(lastLine(new Step.Setup(2, 0, 0), Step.WriteSqe.nop(0, IOSQE_IO_LINK, 0, 0, 1),
                new Step.WriteArray(1, 1), Step.WriteSqe.nop(1, 0, 0, 0, 2), new Step.PublishTail(2),
                new Step.Enter(1, 0, 0))).isEqualTo("step 5: refused");
        assertThat(lastLine(new Step.Setup(2, 0, 0), Step.WriteSqe.nop(0, IOSQE_IO_LINK, 0, 0, 1),
                new Step.WriteArray(1, 1), Step.WriteSqe.nop(1, 0, 0, 0, 2), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0))).isEqualTo("step 5: res 2 sq 2 2 0 0 cq 0 2 0 0");
    }

    @Test
    void drainIsRefusedUntilSkipSuccessDisabledItThenRefusedByTheKernel() {
        assertThat(lastLine(new Step.Setup(2, 0, 0), Step.WriteSqe.nop(0, IOSQE_IO_DRAIN, 0, 0, 1),
                new Step.PublishTail(1), new Step.Enter(1, 0, 0))).isEqualTo("step 3: refused");
        // io_init_req sets drain_disabled for the skip SQE before it checks the drain one: -EOPNOTSUPP CQE.
        assertThat(lastLine(new Step.Setup(2, 0, 0), Step.WriteSqe.nop(0, IOSQE_CQE_SKIP_SUCCESS, 0, 0, 1),
                new Step.WriteArray(1, 1), Step.WriteSqe.nop(1, IOSQE_IO_DRAIN, 0, 0, 2), new Step.PublishTail(2),
                new Step.Enter(2, 0, 0))).isEqualTo("step 5: res 2 sq 2 2 0 0 cq 0 1 0 0");
    }

    @Test
    void getEventsThatCouldNeverBeSatisfiedIsRefused() {
        assertThat(lastLine(new Step.Setup(1, 0, 0), new Step.Enter(0, 1, IORING_ENTER_GETEVENTS)))
                .isEqualTo("step 1: refused");
        // io_cqring_wait counts tail - head as a u32: a head moved beyond the tail looks like plenty of CQEs.
        assertThat(lastLine(new Step.Setup(1, 0, 0), new Step.MoveCqHead(2),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS))).isEqualTo("step 2: res 0 sq 0 0 0 0 cq 2 0 0 0");
        assertThat(lastLine(new Step.Setup(1, 0, 0), new Step.PublishTail(1), new Step.Enter(1, 0, 0),
                new Step.Enter(0, 1, IORING_ENTER_GETEVENTS))).isEqualTo("step 3: res 0 sq 1 1 0 0 cq 0 1 0 0");
    }
}

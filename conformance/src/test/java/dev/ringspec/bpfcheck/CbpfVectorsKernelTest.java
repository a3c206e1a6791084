package dev.ringspec.bpfcheck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.bpf.RunResult;
import dev.ringspec.fixtures.bpf.CbpfVector;
import dev.ringspec.fixtures.bpf.CbpfVectors;
import dev.ringspec.nativerunner.SocketFilterKernel;
import dev.ringspec.uapi.Errno;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every classic-BPF core vector on this kernel, through an {@code AF_UNIX} datagram socket filter: the attach must
 * answer the vector's verdict, and for an accepted program two deliveries must show the vector's result. The
 * program as written shows it by length (dropped for a result of 0, else {@code min(length, value)} bytes kept);
 * the program instrumented for the vector's own expected result ({@link Instrumentation}) shows it exactly. The
 * expectation comes from the vector file, never from the model.
 */
@Tag("kernel")
class CbpfVectorsKernelTest {
    static Stream<CbpfVector> vectors() {
        return CbpfVectors.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void thisKernelAgreesWithTheVector(CbpfVector vector) {
        try (SocketFilterKernel kernel = BpfKernelTests.openOrSkip()) {
            int expectedAttach = switch (vector.verdict()) {
                case CbpfVector.Verdict.Accepted a -> 0;
                case CbpfVector.Verdict.Rejected(int errno) -> -errno;
            };
            int attached = kernel.attach(vector.program());
            assertThat(attached).as("%s: SO_ATTACH_FILTER gave %s", vector.title(), Errno.describe(attached))
                    .isEqualTo(expectedAttach);
            if (attached != 0) {
                return;
            }
            byte[] packet = vector.packet();
            int value = vector.result().value();
            long byLength = value == 0 ? -Errno.EAGAIN : Math.min(packet.length, Integer.toUnsignedLong(value));
            SocketFilterKernel.Delivery plain = kernel.deliver(packet);
            assertThat(plain.sent()).isEqualTo(packet.length);
            assertThat(plain.received()).as("%s, as written: %s", vector.title(), plain).isEqualTo(byLength);

            Instrumentation.Instrumented exact = Instrumentation.instrument(vector.program(), expectedRun(vector),
                    packet.length);
            assertThat(exact.exact()).as("the instrumented program pins the value exactly").isTrue();
            assertThat(kernel.attach(exact.program())).isZero();
            SocketFilterKernel.Delivery checked = kernel.deliver(packet);
            assertThat(checked.received()).as("%s, instrumented for %s: %s", vector.title(), vector.result(),
                    checked).isEqualTo(exact.expectedReceive());
        }
    }

    /** The vector's expected ending as a run result, the form {@link Instrumentation} takes. */
    private static RunResult expectedRun(CbpfVector vector) {
        return switch (vector.result()) {
            case CbpfVector.Result.Returns(int v) -> RunResult.returned(v, 1);
            case CbpfVector.Result.FailedLoad f -> new RunResult(RunResult.Ending.LOAD_FAILED, 0, 1, null);
            case CbpfVector.Result.DividedByZero d -> new RunResult(RunResult.Ending.DIVIDED_BY_ZERO, 0, 1, null);
            case CbpfVector.Result.None n -> throw new IllegalArgumentException("a rejected vector never runs");
        };
    }
}

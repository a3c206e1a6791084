package dev.ringspec.guest.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Host threads calling one session at once: each call's frame reaches the agent whole, whatever the other threads
 * build meanwhile. The channel here writes slowly, in small pieces, so that a frame still being written when
 * another thread builds its own would be seen torn; the agent then refuses a malformed request or the session
 * dies. A check whose second thread logged into a guest's kernel met that as a guest that powered off.
 */
@Tag("kernel")
@Timeout(120)
class AgentConcurrentCallsTest {
    private static final int THREADS = 3;
    private static final int CALLS = 40;

    @Test
    void framesOfThreadsCallingAtOnceReachTheAgentWhole() throws Exception {
        NativeAgent agent = NativeAgent.start();
        try (AgentSession session = AgentSession.open(new SlowChannel(agent), Duration.ofSeconds(30));
                ExecutorService threads = Executors.newFixedThreadPool(THREADS)) {
            List<Future<Integer>> calls = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                byte[] bytes = new byte[4096 + 1000 * t];
                Arrays.fill(bytes, (byte) ('a' + t));
                Callable<Integer> writes = () -> {
                    int failed = 0;
                    for (int i = 0; i < CALLS; i++) {
                        // a character device is written to, not replaced (see AgentKernelLogTest)
                        failed += session.writeFile("/dev/null", 0, bytes) == 0 ? 0 : 1;
                    }
                    return failed;
                };
                calls.add(threads.submit(writes));
            }
            for (Future<Integer> call : calls) {
                assertThat(call.get(100, TimeUnit.SECONDS)).as("write-file calls that did not answer 0").isZero();
            }
        }
    }

    /** The agent's channel, with every write handed on in pieces of 512 bytes and a yield between them. */
    private record SlowChannel(NativeAgent agent) implements AgentChannel {
        @Override
        public String description() {
            return agent.description();
        }

        @Override
        public InputStream in() {
            return agent.in();
        }

        @Override
        public OutputStream out() {
            OutputStream out = agent.out();
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    for (int at = 0; at < len; at += 512) {
                        out.write(b, off + at, Math.min(512, len - at));
                        out.flush();
                        Thread.yield();
                    }
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }
            };
        }

        @Override
        public void kill() {
            agent.kill();
        }

        @Override
        public String deathDetail() {
            return agent.deathDetail();
        }
    }
}

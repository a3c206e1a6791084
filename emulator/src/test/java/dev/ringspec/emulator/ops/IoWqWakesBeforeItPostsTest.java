package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.emulator.EmulatedIoUring;
import dev.ringspec.emulator.EmulatorOptions;
import dev.ringspec.emulator.IoWqChoices;
import dev.ringspec.model.Choice;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.UserMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link IoWqChoices#IOWQ_WAKES_BEFORE_IT_POSTS} in the deterministic mode: an IOSQE_ASYNC WRITE to a socket runs on
 * io-wq, and its bytes wake a POLL_ADD of the socket's peer (io_poll_wake: task work of the task); the worker posts
 * its own CQE after its call returns (io_req_complete_post), so the WRITE's CQE comes first by default and the
 * poll's first where the chooser says the task ran the poll's task work before (world lockstep seed 268).
 */
class IoWqWakesBeforeItPostsTest {

    /** A POLL_ADD (ud 1) of a socket's peer, then an IOSQE_ASYNC WRITE (ud 2) of 5 bytes to the socket. */
    private static List<Cqe> pollThenAsyncWrite(int outcome, List<Choice> asked) {
        int[] sp = NetRing.socketpair(NetRing.SOCK_STREAM);
        try (UserMemory memory = new UserMemory();
                EmulatedIoUring e = EmulatedIoUring.open(EmulatorOptions.of(KernelProfile.LINUX_6_18)
                        .deterministic(1), memory);
                NetRing r = new NetRing(e, memory)) {
            e.withChooser((choice, ringFd) -> {
                asked.add(choice);
                return choice == IoWqChoices.IOWQ_WAKES_BEFORE_IT_POSTS ? outcome : choice.defaultOutcome();
            });
            return r.pollThenAsyncWrite(sp[1], sp[0]);
        } finally {
            NetRing.closeAll(sp[0], sp[1]);
        }
    }

    @Test
    void theWorkersCqeComesBeforeThePollItWokeByDefault() {
        List<Choice> asked = new ArrayList<>();
        assertThat(pollThenAsyncWrite(0, asked)).containsExactly(new Cqe(2, 5, 0, 0, 0), new Cqe(1, 1, 0, 0, 0));
        assertThat(asked).contains(IoWqChoices.IOWQ_WAKES_BEFORE_IT_POSTS);
    }

    @Test
    void thePollsTaskWorkComesFirstWhereTheChooserSaysSo() {
        assertThat(pollThenAsyncWrite(1, new ArrayList<>())).containsExactly(new Cqe(1, 1, 0, 0, 0),
                new Cqe(2, 5, 0, 0, 0));
    }
}

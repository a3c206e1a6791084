package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Poll.POLLIN;

import dev.ringspec.emulator.EmulatorServices;
import dev.ringspec.emulator.Readiness;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;

/** What the multishot reads share: whether a file can be polled, "posted, keep going", and the end without data. */
final class Pollable {
    /** A step of a multishot request posted a CQE with IORING_CQE_F_MORE and the request goes on. */
    static final int POSTED = 1;

    private Pollable() {
    }

    /**
     * {@code io_file_can_poll}: whether the file has a poll method, which is what epoll asks too (it refuses a file
     * without one with -EPERM: regular files, directories).
     */
    static boolean canPoll(EmulatorServices services, int fd) {
        int[] error = new int[1];
        Readiness.Watch w = services.readiness().watch(fd, POLLIN, true, events -> { }, error);
        if (w == null) {
            return false;
        }
        w.cancel();
        return true;
    }

    /**
     * A multishot transfer that moved nothing: the buffer goes back, and the request ends with the error, or with 0
     * at end of file or stream (no IORING_CQE_F_BUFFER: no buffer was used).
     */
    static int endWithoutData(Req req, IssueContext ctx, Kbuf.Selection sel, int ret) {
        Kbuf.recycle(ctx, sel);
        if (ret < 0) {
            return ret;
        }
        ctx.setRes(req, 0, 0);
        return OpDef.COMPLETE;
    }
}

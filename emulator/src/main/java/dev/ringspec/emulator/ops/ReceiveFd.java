package dev.ringspec.emulator.ops;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;

/**
 * fs/file.c's {@code receive_fd} and {@code fd_install} for the opcodes that give the application a descriptor
 * (OPENAT, OPENAT2, ACCEPT, SOCKET, PIPE, FIXED_FD_INSTALL): the real call ran in this process, and the file goes to
 * the application through {@link ProcessDescriptorTable#install}. Where the application is another process and is
 * in no call just now (the file was opened by io-wq, or after a poll wakeup, while it ran on its own), the request
 * completes when it next makes one: its CQE is posted from task work then.
 */
final class ReceiveFd {
    private ReceiveFd() {
    }

    /** What the opcode does with the application's number (or -errno), on the thread that has it. */
    @FunctionalInterface
    interface Then {
        int with(Req req, IssueContext ctx, int fd);
    }

    /**
     * Gives the application {@code local} and goes on with {@code then}: its answer, or {@link OpDef#SKIP_COMPLETE}
     * where the descriptor is given later (then {@code then} runs on the ring's task, from task work).
     */
    static int give(Req req, IssueContext ctx, ProcessDescriptorTable table, int local, boolean cloexec, Then then) {
        int fd = table.install(local, cloexec);
        if (fd != ProcessDescriptorTable.LATER) {
            return then.with(req, ctx, fd);
        }
        later(req, ctx, table, local, cloexec, then);
        return OpDef.SKIP_COMPLETE;
    }

    private static void later(Req req, IssueContext ctx, ProcessDescriptorTable table, int local, boolean cloexec,
            Then then) {
        table.whenInstallable(() -> {
            int fd = table.install(local, cloexec);
            if (fd == ProcessDescriptorTable.LATER) {
                later(req, ctx, table, local, cloexec, then);
            } else {
                ctx.taskWorkFromOtherThread(req, (r, c) -> then.with(r, c, fd));
            }
        });
    }

    /** The usual end: the number is the result; an error fails the request. */
    static int complete(Req req, IssueContext ctx, int fd) {
        if (fd < 0) {
            ctx.reqSetFail(req);
        }
        ctx.setRes(req, fd, 0);
        return OpDef.COMPLETE;
    }
}

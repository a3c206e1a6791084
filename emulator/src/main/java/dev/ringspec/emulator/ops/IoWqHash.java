package dev.ringspec.emulator.ops;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.Req;
import dev.ringspec.uapi.IoUring;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Which io-wq work is hashed, and by what ({@code io_prep_async_work}, io_uring/io_uring.c, 6.18): a request whose
 * file is a regular file ({@code REQ_F_ISREG}) is hashed by its inode ({@code io_wq_hash_work(&req->work,
 * file_inode(req->file))}) when its opcode has {@code hash_reg_file} (the writes: WRITEV, WRITE_FIXED, WRITE, SPLICE,
 * TEE, WRITEV_FIXED; io_uring/opdef.c), unless the file is open O_DIRECT on a filesystem whose file operations have
 * {@code FOP_DIO_PARALLEL_WRITE} (ext4 and xfs: "don't serialize this request if the fs doesn't need it"), or when
 * the ring is IOPOLL (any opcode). Only a request that has its file when it is queued ({@code req->file}) is
 * hashed, which a forced-async request has not ({@link #fileAssigned}). No other work is hashed: reads, FSYNC,
 * OPENAT, and every request on a pipe, a socket or a block device run concurrently. io-wq runs the hashed work of
 * one hash one item at a time, in queue order (io-wq.c {@code io_get_next_work}: a hash whose bit is set in
 * {@code hash->map} is skipped, and the worker that takes a hash's first item cuts the whole run of that hash from
 * the list and works it in turn).
 *
 * <p>The kernel's hash is {@code hash_ptr(inode, IO_WQ_HASH_ORDER)}, 64 buckets on 64-bit, so two inodes may share a
 * bucket and be serialized together; which ones depends on kernel addresses. The emulator serializes per inode, one
 * of the orders the kernel allows. The bits live in a map of the ring a task's io-wq was made for
 * ({@code io_init_wq_offload}: {@code ctx->hash_map}), shared by every task's io-wq made for that ring; the emulator
 * keys hashed work by that ring as well (WorkerPool's HashKey), so writes of one inode queued by two tasks whose
 * io-wqs were made for two different rings run at once.
 */
public final class IoWqHash {
    private static final int O_DIRECT = "aarch64".equals(System.getProperty("os.arch")) ? 0x10000 : 0x4000;
    private static final long SYS_FSTATFS = "aarch64".equals(System.getProperty("os.arch")) ? 44 : 138;
    private static final long EXT4_SUPER_MAGIC = 0xef53L;
    private static final long XFS_SUPER_MAGIC = 0x58465342L;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_TYPE = 1;
    private static final int STATX_INO = 0x100;
    private static final long STATX_MODE_OFFSET = 28;
    private static final long STATX_INO_OFFSET = 32;
    private static final long STATX_DEV_MAJOR_OFFSET = 0x88;
    private static final long STATX_BYTES = 256;
    private static final int S_IFBLK = 0060000;

    /** A hashed item's key: the inode of its file, by device and number. */
    public record Inode(long dev, long ino) {
    }

    private IoWqHash() {
    }

    /**
     * Whether a request queued to io-wq now has its file assigned ({@code req->file}), which
     * {@code io_prep_async_work} needs to hash it or to bind it: not where the request was forced to io-wq
     * ({@code REQ_F_FORCE_ASYNC}: IOSQE_ASYNC, a prep that forces it such as SPLICE's, TEE's or FSYNC's, a drain).
     * {@code io_init_req} sets {@code req->file = NULL} and keeps only the descriptor; the file is assigned where the
     * request is first issued ({@code io_issue_sqe}'s {@code io_assign_file}, inline or in the worker), and a forced
     * request goes from {@code io_submit_sqe} to {@code io_queue_sqe_fallback} and {@code io_queue_iowq} (or from the
     * drain list through {@code io_req_task_submit}) without an issue, so it is neither hashed nor bound: two SPLICEs
     * from pipes into one file run at once (io_uring/io_uring.c, 6.18 and the tree of 2026; world lockstep seed 174:
     * the second of two SPLICEs from the world's pipe into its data file took the bytes the first waited for).
     * A request that went to io-wq after an inline issue answered -EAGAIN has its file (a buffered write of a regular
     * file on ext4, whose file operations lack FOP_BUFFER_WASYNC), and is hashed.
     */
    public static boolean fileAssigned(Req req) {
        return (req.flags() & IoUring.IOSQE_ASYNC) == 0; // REQ_F_FORCE_ASYNC is IOSQE_ASYNC's bit
    }

    /**
     * The hash of io-wq work on the file {@code fd} (a descriptor of this process for the request's file) of an
     * opcode with or without {@code hash_reg_file}, on an IOPOLL ring or not: its inode, or null for work that is
     * not hashed (also for a descriptor that names nothing).
     */
    public static Inode of(int fd, boolean hashRegFile, boolean iopollRing) {
        if (fd < 0 || !hashRegFile && !iopollRing) {
            return null;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment empty = call.allocate(8, 8);
            MemorySegment stx = call.allocate(STATX_BYTES, 8);
            // io_prep_async_work: only a regular file's work is hashed (REQ_F_ISREG)
            if (Linux.call(Linux.SYS_STATX, fd, empty.address(), AT_EMPTY_PATH, STATX_TYPE | STATX_INO,
                    stx.address(), 0) < 0 || (stx.get(JAVA_SHORT, STATX_MODE_OFFSET) & RealFiles.S_IFMT)
                            != RealFiles.S_IFREG) {
                return null;
            }
            boolean hash = hashRegFile;
            // io_prep_async_work: O_DIRECT on a filesystem with FOP_DIO_PARALLEL_WRITE is not serialized
            if (hash && parallelDirectWrites(fd, call)) {
                hash = false;
            }
            if (!hash && !iopollRing) {
                return null;
            }
            long dev = Integer.toUnsignedLong(stx.get(JAVA_INT, STATX_DEV_MAJOR_OFFSET)) << 32
                    | Integer.toUnsignedLong(stx.get(JAVA_INT, STATX_DEV_MAJOR_OFFSET + 4));
            return new Inode(dev, stx.get(JAVA_LONG, STATX_INO_OFFSET));
        }
    }

    /**
     * Whether {@code fd} (a descriptor of this process) names a regular file or a block device, whose io-wq work is
     * bound whatever the opcode ({@code io_prep_async_work}: REQ_F_ISREG, S_ISBLK); false where it names nothing.
     */
    public static boolean regularOrBlock(int fd) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment empty = call.allocate(8, 8);
            MemorySegment stx = call.allocate(STATX_BYTES, 8);
            if (fd < 0 || Linux.call(Linux.SYS_STATX, fd, empty.address(), AT_EMPTY_PATH, STATX_TYPE, stx.address(),
                    0) < 0) {
                return false;
            }
            int type = stx.get(JAVA_SHORT, STATX_MODE_OFFSET) & RealFiles.S_IFMT;
            return type == RealFiles.S_IFREG || type == S_IFBLK;
        }
    }

    /** Whether {@code fd} is open O_DIRECT on ext4 or xfs, whose file operations have FOP_DIO_PARALLEL_WRITE. */
    private static boolean parallelDirectWrites(int fd, Arena call) {
        long fl = Linux.call(Linux.SYS_FCNTL, fd, Linux.F_GETFL, 0);
        if (fl < 0 || (fl & O_DIRECT) == 0) {
            return false;
        }
        MemorySegment fs = call.allocate(STATX_BYTES, 8);
        if (Linux.call(SYS_FSTATFS, fd, fs.address()) < 0) {
            return false;
        }
        long magic = fs.get(JAVA_LONG, 0);
        return magic == EXT4_SUPER_MAGIC || magic == XFS_SUPER_MAGIC;
    }
}

package dev.ringspec.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;

/**
 * A submission queue entry: one request, 64 bytes, or 128 on an {@code IORING_SETUP_SQE128} ring, where
 * {@code cmd[]} has 80 bytes instead of 16. The unions overlay the per-opcode meanings of one slot.
 *
 * <pre>{@code
 * struct io_uring_sqe {
 *     __u8    opcode;
 *     __u8    flags;
 *     __u16   ioprio;
 *     __s32   fd;
 *     union {
 *         __u64   off;
 *         __u64   addr2;
 *         struct {
 *             __u32   cmd_op;
 *             __u32   __pad1;
 *         };
 *     };
 *     union {
 *         __u64   addr;
 *         __u64   splice_off_in;
 *         struct {
 *             __u32   level;
 *             __u32   optname;
 *         };
 *     };
 *     __u32   len;
 *     union {
 *         __kernel_rwf_t  rw_flags;
 *         __u32   fsync_flags;
 *         __u16   poll_events;
 *         __u32   poll32_events;
 *         __u32   sync_range_flags;
 *         __u32   msg_flags;
 *         __u32   timeout_flags;
 *         __u32   accept_flags;
 *         __u32   cancel_flags;
 *         __u32   open_flags;
 *         __u32   statx_flags;
 *         __u32   fadvise_advice;
 *         __u32   splice_flags;
 *         __u32   rename_flags;
 *         __u32   unlink_flags;
 *         __u32   hardlink_flags;
 *         __u32   xattr_flags;
 *         __u32   msg_ring_flags;
 *         __u32   uring_cmd_flags;
 *         __u32   waitid_flags;
 *         __u32   futex_flags;
 *         __u32   install_fd_flags;
 *         __u32   nop_flags;
 *         __u32   pipe_flags;
 *     };
 *     __u64   user_data;
 *     union {
 *         __u16   buf_index;
 *         __u16   buf_group;
 *     } __attribute__((packed));
 *     __u16   personality;
 *     union {
 *         __s32   splice_fd_in;
 *         __u32   file_index;
 *         __u32   zcrx_ifq_idx;
 *         __u32   optlen;
 *         struct {
 *             __u16   addr_len;
 *             __u16   __pad3[1];
 *         };
 *     };
 *     union {
 *         struct {
 *             __u64   addr3;
 *             __u64   __pad2[1];
 *         };
 *         struct {
 *             __u64   attr_ptr;
 *             __u64   attr_type_mask;
 *         };
 *         __u64   optval;
 *         __u8    cmd[0];
 *     };
 * };
 * }</pre>
 */
public final class IoUringSqe {
    private IoUringSqe() {
    }

    public static final GroupLayout LAYOUT = structLayout(
            JAVA_BYTE.withName("opcode"),
            JAVA_BYTE.withName("flags"),
            JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"),
            unionLayout(
                    JAVA_LONG.withName("off"),
                    JAVA_LONG.withName("addr2"),
                    structLayout(
                            JAVA_INT.withName("cmd_op"),
                            JAVA_INT.withName("__pad1")
                    ).withName("anon2")
            ).withName("anon1"),
            unionLayout(
                    JAVA_LONG.withName("addr"),
                    JAVA_LONG.withName("splice_off_in"),
                    structLayout(
                            JAVA_INT.withName("level"),
                            JAVA_INT.withName("optname")
                    ).withName("anon4")
            ).withName("anon3"),
            JAVA_INT.withName("len"),
            unionLayout(
                    JAVA_INT.withName("rw_flags"),
                    JAVA_INT.withName("fsync_flags"),
                    JAVA_SHORT.withName("poll_events"),
                    JAVA_INT.withName("poll32_events"),
                    JAVA_INT.withName("sync_range_flags"),
                    JAVA_INT.withName("msg_flags"),
                    JAVA_INT.withName("timeout_flags"),
                    JAVA_INT.withName("accept_flags"),
                    JAVA_INT.withName("cancel_flags"),
                    JAVA_INT.withName("open_flags"),
                    JAVA_INT.withName("statx_flags"),
                    JAVA_INT.withName("fadvise_advice"),
                    JAVA_INT.withName("splice_flags"),
                    JAVA_INT.withName("rename_flags"),
                    JAVA_INT.withName("unlink_flags"),
                    JAVA_INT.withName("hardlink_flags"),
                    JAVA_INT.withName("xattr_flags"),
                    JAVA_INT.withName("msg_ring_flags"),
                    JAVA_INT.withName("uring_cmd_flags"),
                    JAVA_INT.withName("waitid_flags"),
                    JAVA_INT.withName("futex_flags"),
                    JAVA_INT.withName("install_fd_flags"),
                    JAVA_INT.withName("nop_flags"),
                    JAVA_INT.withName("pipe_flags")
            ).withName("anon5"),
            JAVA_LONG.withName("user_data"),
            unionLayout(
                    JAVA_SHORT.withName("buf_index"),
                    JAVA_SHORT.withName("buf_group")
            ).withName("anon6"),
            JAVA_SHORT.withName("personality"),
            unionLayout(
                    JAVA_INT.withName("splice_fd_in"),
                    JAVA_INT.withName("file_index"),
                    JAVA_INT.withName("zcrx_ifq_idx"),
                    JAVA_INT.withName("optlen"),
                    structLayout(
                            JAVA_SHORT.withName("addr_len"),
                            sequenceLayout(1, JAVA_SHORT).withName("__pad3")
                    ).withName("anon8")
            ).withName("anon7"),
            unionLayout(
                    structLayout(
                            JAVA_LONG.withName("addr3"),
                            sequenceLayout(1, JAVA_LONG).withName("__pad2")
                    ).withName("anon10"),
                    structLayout(
                            JAVA_LONG.withName("attr_ptr"),
                            JAVA_LONG.withName("attr_type_mask")
                    ).withName("anon11"),
                    JAVA_LONG.withName("optval"),
                    sequenceLayout(0, JAVA_BYTE).withName("cmd")
            ).withName("anon9")
    ).withName("io_uring_sqe");

    public static final long SIZE_BYTES = LAYOUT.byteSize();

    public static final long OPCODE_OFFSET = Layouts.offsetOf(LAYOUT, "opcode");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long IOPRIO_OFFSET = Layouts.offsetOf(LAYOUT, "ioprio");
    public static final long FD_OFFSET = Layouts.offsetOf(LAYOUT, "fd");

    public static final long OFF_OFFSET = Layouts.offsetOf(LAYOUT, "off");
    public static final long ADDR2_OFFSET = Layouts.offsetOf(LAYOUT, "addr2");
    public static final long CMD_OP_OFFSET = Layouts.offsetOf(LAYOUT, "cmd_op");
    public static final long PAD1_OFFSET = Layouts.offsetOf(LAYOUT, "__pad1");

    public static final long ADDR_OFFSET = Layouts.offsetOf(LAYOUT, "addr");
    public static final long SPLICE_OFF_IN_OFFSET = Layouts.offsetOf(LAYOUT, "splice_off_in");
    public static final long LEVEL_OFFSET = Layouts.offsetOf(LAYOUT, "level");
    public static final long OPTNAME_OFFSET = Layouts.offsetOf(LAYOUT, "optname");

    public static final long LEN_OFFSET = Layouts.offsetOf(LAYOUT, "len");

    public static final long RW_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "rw_flags");
    public static final long FSYNC_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "fsync_flags");
    public static final long POLL_EVENTS_OFFSET = Layouts.offsetOf(LAYOUT, "poll_events");
    public static final long POLL32_EVENTS_OFFSET = Layouts.offsetOf(LAYOUT, "poll32_events");
    public static final long SYNC_RANGE_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "sync_range_flags");
    public static final long MSG_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "msg_flags");
    public static final long TIMEOUT_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "timeout_flags");
    public static final long ACCEPT_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "accept_flags");
    public static final long CANCEL_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "cancel_flags");
    public static final long OPEN_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "open_flags");
    public static final long STATX_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "statx_flags");
    public static final long FADVISE_ADVICE_OFFSET = Layouts.offsetOf(LAYOUT, "fadvise_advice");
    public static final long SPLICE_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "splice_flags");
    public static final long RENAME_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "rename_flags");
    public static final long UNLINK_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "unlink_flags");
    public static final long HARDLINK_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "hardlink_flags");
    public static final long XATTR_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "xattr_flags");
    public static final long MSG_RING_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "msg_ring_flags");
    public static final long URING_CMD_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "uring_cmd_flags");
    public static final long WAITID_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "waitid_flags");
    public static final long FUTEX_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "futex_flags");
    public static final long INSTALL_FD_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "install_fd_flags");
    public static final long NOP_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "nop_flags");
    public static final long PIPE_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "pipe_flags");

    public static final long USER_DATA_OFFSET = Layouts.offsetOf(LAYOUT, "user_data");

    public static final long BUF_INDEX_OFFSET = Layouts.offsetOf(LAYOUT, "buf_index");
    public static final long BUF_GROUP_OFFSET = Layouts.offsetOf(LAYOUT, "buf_group");

    public static final long PERSONALITY_OFFSET = Layouts.offsetOf(LAYOUT, "personality");

    public static final long SPLICE_FD_IN_OFFSET = Layouts.offsetOf(LAYOUT, "splice_fd_in");
    public static final long FILE_INDEX_OFFSET = Layouts.offsetOf(LAYOUT, "file_index");
    public static final long ZCRX_IFQ_IDX_OFFSET = Layouts.offsetOf(LAYOUT, "zcrx_ifq_idx");
    public static final long OPTLEN_OFFSET = Layouts.offsetOf(LAYOUT, "optlen");
    public static final long ADDR_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "addr_len");
    public static final long PAD3_OFFSET = Layouts.offsetOf(LAYOUT, "__pad3");

    public static final long ADDR3_OFFSET = Layouts.offsetOf(LAYOUT, "addr3");
    public static final long PAD2_OFFSET = Layouts.offsetOf(LAYOUT, "__pad2");
    public static final long ATTR_PTR_OFFSET = Layouts.offsetOf(LAYOUT, "attr_ptr");
    public static final long ATTR_TYPE_MASK_OFFSET = Layouts.offsetOf(LAYOUT, "attr_type_mask");
    public static final long OPTVAL_OFFSET = Layouts.offsetOf(LAYOUT, "optval");
    public static final long CMD_OFFSET = Layouts.offsetOf(LAYOUT, "cmd");
}

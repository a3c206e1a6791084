/**
 * The io_uring uapi in Java: its constants, and one {@link java.lang.foreign.MemoryLayout} per struct, with the
 * kernel's names.
 *
 * <h2>What is here</h2>
 * <ul>
 *   <li>{@link dev.ringspec.uapi.IoUring}, {@link dev.ringspec.uapi.IoUringQuery} and
 *       {@link dev.ringspec.uapi.IoUringBpfFilter}: the constants of {@code linux/io_uring.h},
 *       {@code linux/io_uring/query.h} and {@code linux/io_uring/bpf_filter.h}.</li>
 *   <li>One final class per struct, named by the CamelCase of the C name ({@code io_sqring_offsets} is
 *       {@link dev.ringspec.uapi.IoSqringOffsets}, {@code __kernel_timespec} is
 *       {@link dev.ringspec.uapi.KernelTimespec}). Its Javadoc is the C declaration. It holds the {@code LAYOUT},
 *       {@code SIZE_BYTES} and a {@code <MEMBER>_OFFSET} for each member, derived from the layout once. One class
 *       is named differently: {@code struct io_uring_bpf_filter} is
 *       {@link dev.ringspec.uapi.IoUringBpfFilterStruct}, because {@code IoUringBpfFilter} holds the constants of
 *       its header.</li>
 *   <li>{@link dev.ringspec.uapi.Layouts} looks members up by their C names, and
 *       {@link dev.ringspec.uapi.Structs} lists every struct layout.</li>
 * </ul>
 *
 * <h2>Where the numbers come from</h2>
 * {@code shared/reference/uapi.md} is the single source of truth. A C program compiled against liburing's copy of
 * the header (master {@code 27255f4c}, which tracks the Linux 7.1 uapi) printed every constant, and every
 * {@code offsetof}, {@code sizeof} and {@code _Alignof} (gcc, x86_64). {@code UapiPinnedTest} parses a verbatim
 * copy of that sheet and checks every constant, struct size, alignment and member offset here against it. A
 * running kernel may support less than this uapi describes.
 *
 * <h2>How the layouts mirror C</h2>
 * <ul>
 *   <li>Members carry the C names. Anonymous unions and structs are named {@code anon1}, {@code anon2}, ... in
 *       order of appearance, and {@link dev.ringspec.uapi.Layouts} looks through them as C does:
 *       {@code offsetOf(IoUringSqe.LAYOUT, "cmd_op")} finds {@code anon1.anon2.cmd_op}. Every member of a union
 *       is there, so the SQE's {@code off}, {@code addr2} and {@code cmd_op} all have offset 8.</li>
 *   <li>A nested struct is the other class's {@code LAYOUT} under the member's name ({@code sq_off},
 *       {@code timeout}); a path reaches into it with dots ({@code "sq_off.array"}).</li>
 *   <li>A flexible array member ({@code cmd[]}, {@code big_cqe[]}, {@code ops[]}, {@code restrictions[]},
 *       {@code bufs[]}) is a sequence of zero elements at its offset.</li>
 *   <li>Java has no unsigned types: {@code __u32} and {@code __s32} are both {@code JAVA_INT}, with the same
 *       bits. Compare unsigned values with {@code Integer.compareUnsigned} and widen them with
 *       {@code Integer.toUnsignedLong}.</li>
 *   <li>{@code <MEMBER>_OFFSET} is the member's path in upper case, dots as underscores, leading underscores
 *       dropped: {@code socket.family} gives {@code SOCKET_FAMILY_OFFSET}, {@code __pad1} gives
 *       {@code PAD1_OFFSET}.</li>
 * </ul>
 *
 * <h2>The submission queue entry</h2>
 * A slot of the SQE array (mmap offset {@code IORING_OFF_SQES}), 64 bytes. {@code a | b} are members of one
 * union; {@code buf_group} shares the two bytes of {@code buf_index}.
 * <pre>
 *          0        1        2        3        4        5        6        7
 *        +--------+--------+-----------------+-----------------------------------+
 *      0 | opcode | flags  |      ioprio     |                 fd                |
 *        +--------+--------+-----------------+-----------------------------------+
 *      8 |                     off | addr2 | {cmd_op, __pad1}                    |
 *        +-----------------------------------------------------------------------+
 *     16 |                addr | splice_off_in | {level, optname}                |
 *        +-----------------------------------+-----------------------------------+
 *     24 |                len                |     rw_flags | nop_flags | ...    |
 *        +-----------------------------------+-----------------------------------+
 *     32 |                               user_data                               |
 *        +-----------------+-----------------+-----------------------------------+
 *     40 |    buf_index    |   personality   |  splice_fd_in | file_index | ...  |
 *        +-----------------+-----------------+-----------------------------------+
 *     48 |                   addr3 | attr_ptr | optval | cmd[]                   |
 *        +-----------------------------------------------------------------------+
 *     56 |                        __pad2 | attr_type_mask                        |
 *        +-----------------------------------------------------------------------+
 *     64   end of a 64-byte SQE; with IORING_SETUP_SQE128, cmd[] runs on to byte 128
 * </pre>
 *
 * <h2>The completion queue entry</h2>
 * A slot of the CQ ring's {@code cqes} array, 16 bytes. On an {@code IORING_SETUP_CQE32} ring every CQE has 32
 * bytes; on an {@code IORING_SETUP_CQE_MIXED} ring a CQE flagged {@code IORING_CQE_F_32} takes two 16-byte
 * slots. {@code big_cqe[]} is the second 16 bytes.
 * <pre>
 *          0        1        2        3        4        5        6        7
 *        +-----------------------------------------------------------------------+
 *      0 |                               user_data                               |
 *        +-----------------------------------+-----------------------------------+
 *      8 |                res                |               flags               |
 *        +-----------------------------------+-----------------------------------+
 *     16 |                               big_cqe[0]                              |
 *        +-----------------------------------------------------------------------+
 *     24 |                               big_cqe[1]                              |
 *        +-----------------------------------------------------------------------+
 *     32   end of a 32-byte CQE
 * </pre>
 */
package dev.ringspec.uapi;

package dev.ringspec.model;

import static dev.ringspec.uapi.Errno.E2BIG;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EOPNOTSUPP;
import static dev.ringspec.uapi.Errno.ERANGE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.seam.RingGeometry;
import dev.ringspec.uapi.IoUringQueryHdr;
import dev.ringspec.uapi.IoUringQueryOpcode;
import java.lang.foreign.MemorySegment;

/**
 * {@code IORING_REGISTER_QUERY} (io_uring/query.c, ring-semantics.md A8): a chain of headers linked by address,
 * each answered in place; per-entry errors go to the header's {@code result}, faults end the syscall.
 */
final class Query {
    /** {@code IO_MAX_QUERY_ENTRIES}. */
    private static final int MAX_QUERY_ENTRIES = 1000;
    /** {@code IO_MAX_QUERY_SIZE}: the largest answer, {@code struct io_uring_query_opcode}. */
    private static final int MAX_QUERY_SIZE = 48;
    /** {@code PAGE_SIZE}: the largest header size 7.2's {@code io_handle_query_entry} accepts. */
    private static final int PAGE_BYTES = 4096;

    private final KernelProfile profile;
    private final UserArgs args;
    private final RuleSink rules;

    Query(KernelProfile profile, UserArgs args, RuleSink rules) {
        this.profile = profile;
        this.args = args;
        this.rules = rules;
    }

    /** {@code io_query}. */
    int query(MemorySegment arg, int nrArgs) {
        // io_query: nr_args != 0 -> -EINVAL
        if (nrArgs != 0) {
            return -EINVAL;
        }
        if (UserArgs.isNull(arg)) {
            return 0;
        }
        MemorySegment hdr = args.at(arg, 0, IoUringQueryHdr.SIZE_BYTES);
        int entries = 0;
        while (true) {
            // io_handle_query_entry: copy_from_user(hdr) -> -EFAULT
            if (hdr == null) {
                return -EFAULT;
            }
            int result = handleQueryEntry(hdr);
            if (result != 0) {
                return result;
            }
            long next = hdr.get(JAVA_LONG, IoUringQueryHdr.NEXT_ENTRY_OFFSET);
            // io_query: the count is checked after each answered entry, before the end of the chain, so the
            // IO_MAX_QUERY_ENTRIES-th entry ends the syscall with -ERANGE even when it is the last one (a cycle
            // likewise after that many answers; 7.1.8 and 7.2.13 query.c, io_query)
            if (++entries >= MAX_QUERY_ENTRIES) {
                rules.fire(Rules.QUERY_TOO_MANY_ENTRIES, 0);
                return -ERANGE;
            }
            if (next == 0) {
                return 0;
            }
            hdr = args.resolve(next, IoUringQueryHdr.SIZE_BYTES);
        }
    }

    /** {@code io_handle_query_entry}: per-entry errors go to {@code hdr.result}; faults end the syscall. */
    private int handleQueryEntry(MemorySegment hdr) {
        int userSize = hdr.get(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET);
        // io_handle_query_entry (7.2+): a size over a page ends the syscall -> -E2BIG, before the op and resv
        // checks (7.2.13 query.c); earlier kernels clamp any size
        if (profile.querySizeLimit() && Integer.compareUnsigned(userSize, PAGE_BYTES) > 0) {
            return -E2BIG;
        }
        int size = Integer.compareUnsigned(userSize, MAX_QUERY_SIZE) > 0 ? MAX_QUERY_SIZE : userSize;
        long data = hdr.get(JAVA_LONG, IoUringQueryHdr.QUERY_DATA_OFFSET);
        int op = hdr.get(JAVA_INT, IoUringQueryHdr.QUERY_OP_OFFSET);
        int ret;
        long[] answer = new long[MAX_QUERY_SIZE / Long.BYTES];
        int answerSize = 0;
        boolean resvZero = hdr.get(JAVA_INT, IoUringQueryHdr.RESV_OFFSET) == 0
                && hdr.get(JAVA_INT, IoUringQueryHdr.RESV_OFFSET + 4) == 0
                && hdr.get(JAVA_INT, IoUringQueryHdr.RESV_OFFSET + 8) == 0;
        if (Integer.compareUnsigned(op, profile.nrQueryOpcodes()) >= 0) {
            // io_handle_query_entry: unknown query_op -> result -EOPNOTSUPP
            rules.fire(Rules.QUERY_UNKNOWN_OP, Integer.toUnsignedLong(op));
            ret = -EOPNOTSUPP;
        } else if (!resvZero || hdr.get(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET) != 0 || size == 0) {
            // io_handle_query_entry: resv, an incoming result or size 0 -> result -EINVAL
            ret = -EINVAL;
        } else {
            // io_handle_query_entry: copy_from_user(query_data, size) -> -EFAULT
            if (args.resolve(data, size) == null) {
                return -EFAULT;
            }
            MemorySegment out = MemorySegment.ofArray(answer);
            switch (op) {
                case 0 -> {
                    // io_query_ops
                    out.set(JAVA_INT, IoUringQueryOpcode.NR_REQUEST_OPCODES_OFFSET, profile.opLast());
                    out.set(JAVA_INT, IoUringQueryOpcode.NR_REGISTER_OPCODES_OFFSET, profile.registerLast());
                    out.set(JAVA_LONG, IoUringQueryOpcode.FEATURE_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.features()));
                    out.set(JAVA_LONG, IoUringQueryOpcode.RING_SETUP_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.setupFlags()));
                    out.set(JAVA_LONG, IoUringQueryOpcode.ENTER_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.enterFlags()));
                    out.set(JAVA_LONG, IoUringQueryOpcode.SQE_FLAGS_OFFSET, Integer.toUnsignedLong(
                            profile.sqeFlags()));
                    out.set(JAVA_INT, IoUringQueryOpcode.NR_QUERY_OPCODES_OFFSET, profile.nrQueryOpcodes());
                    answerSize = (int) IoUringQueryOpcode.SIZE_BYTES;
                }
                case 2 -> {
                    // io_query_scq (6.19+): sizeof(struct io_rings) and SMP_CACHE_BYTES
                    out.set(JAVA_LONG, 0, RingGeometry.CQES);
                    out.set(JAVA_LONG, 8, RingGeometry.CACHE_LINE_BYTES);
                    answerSize = 16;
                }
                case 3 -> {
                    // io_query_zcrx_notif (7.2+, query.c): ZCRX_EVENT_TYPE_MASK (ALLOC_FAIL | COPY), the size of
                    // struct zcrx_stats (two u64) and its alignment
                    out.set(JAVA_INT, 0, 0x3);
                    out.set(JAVA_INT, 4, 16);
                    out.set(JAVA_INT, 8, 8);
                    answerSize = 48;
                }
                default -> throw new UnsupportedOperationException("query op " + op + " is not modelled");
            }
            ret = 0;
        }
        int written = ret == 0 ? (int) Math.min(Integer.toUnsignedLong(userSize), answerSize) : 0;
        // copy_struct_to_user: the answer, then zeros up to the user's size -> -EFAULT if unwritable
        if (userSize != 0) {
            MemorySegment user = args.resolve(data, Integer.toUnsignedLong(userSize));
            if (user == null) {
                return -EFAULT;
            }
            user.fill((byte) 0);
            MemorySegment.copy(MemorySegment.ofArray(answer), 0, user, 0, written);
        }
        hdr.set(JAVA_INT, IoUringQueryHdr.RESULT_OFFSET, ret);
        hdr.set(JAVA_INT, IoUringQueryHdr.SIZE_OFFSET, written);
        return 0;
    }
}

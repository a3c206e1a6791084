package dev.ringspec.seam;

import dev.ringspec.uapi.IoUring;

/** Flag words spelled with the uapi's names, for reports: {@code "SQE128|CQE_MIXED"}, unknown bits in hex. */
public final class FlagNames {
    private static final String[] SETUP = {"IOPOLL", "SQPOLL", "SQ_AFF", "CQSIZE", "CLAMP", "ATTACH_WQ",
        "R_DISABLED", "SUBMIT_ALL", "COOP_TASKRUN", "TASKRUN_FLAG", "SQE128", "CQE32", "SINGLE_ISSUER",
        "DEFER_TASKRUN", "NO_MMAP", "REGISTERED_FD_ONLY", "NO_SQARRAY", "HYBRID_IOPOLL", "CQE_MIXED", "SQE_MIXED",
        "SQ_REWIND"};
    private static final String[] SQE = {"FIXED_FILE", "IO_DRAIN", "IO_LINK", "IO_HARDLINK", "ASYNC",
        "BUFFER_SELECT", "CQE_SKIP_SUCCESS"};
    private static final String[] NOP = {"INJECT_RESULT", "FILE", "FIXED_FILE", "FIXED_BUFFER", "TW", "CQE32"};
    private static final String[] SQ_FLAGS = {"NEED_WAKEUP", "CQ_OVERFLOW", "TASKRUN"};
    private static final String[] CQE_FLAGS = {"BUFFER", "MORE", "SOCK_NONEMPTY", "NOTIF", "BUF_MORE", "SKIP"};

    private FlagNames() {
    }

    /** {@code IORING_SETUP_*}. */
    public static String setup(int flags) {
        return names(flags, SETUP);
    }

    /** {@code IOSQE_*}. */
    public static String sqe(int flags) {
        return names(flags, SQE);
    }

    /** {@code IORING_NOP_*}. */
    public static String nop(int flags) {
        return names(flags, NOP);
    }

    /** {@code IORING_SQ_*} (the SQ ring's flags word). */
    public static String sqFlags(int flags) {
        return names(flags, SQ_FLAGS);
    }

    /** {@code IORING_CQE_F_*}. */
    public static String cqeFlags(int flags) {
        String low = names(flags & ~IoUring.IORING_CQE_F_32, CQE_FLAGS);
        if ((flags & IoUring.IORING_CQE_F_32) == 0) {
            return low;
        }
        return low.equals("0") ? "F_32" : low + "|F_32";
    }

    private static String names(int flags, String[] names) {
        if (flags == 0) {
            return "0";
        }
        StringBuilder b = new StringBuilder();
        int rest = flags;
        for (int bit = 0; bit < names.length; bit++) {
            if ((flags & (1 << bit)) != 0) {
                b.append(b.isEmpty() ? "" : "|").append(names[bit]);
                rest &= ~(1 << bit);
            }
        }
        if (rest != 0) {
            b.append(b.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(rest));
        }
        return b.toString();
    }
}

package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.Errno.EPERM;

/** block/ioprio.c: the check of an SQE's {@code ioprio} that {@code __io_prep_rw} makes. */
final class Ioprio {
    private Ioprio() {
    }

    /**
     * {@code ioprio_check_cap}: the class is the top 3 bits; RT needs CAP_SYS_NICE or CAP_SYS_ADMIN (-EPERM), BE and
     * IDLE take any level, NONE takes no level, any other class is -EINVAL.
     */
    static int checkCap(int ioprio) {
        int ioprioClass = ioprio >>> 13;
        int level = ioprio & 0x7;
        return switch (ioprioClass) {
            case 1 -> RealFiles.sysNiceOrAdmin() ? 0 : -EPERM;
            case 2, 3 -> 0;
            case 0 -> level != 0 ? -EINVAL : 0;
            default -> -EINVAL;
        };
    }
}

package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_NO_SQARRAY;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQE_MIXED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQ_REWIND;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.capabilities.Feature;
import dev.ringspec.nativerunner.Posix;
import dev.ringspec.seam.Backend;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel.SetupResult;
import dev.ringspec.seam.Ring;
import dev.ringspec.uapi.Errno;
import dev.ringspec.uapi.IoUringParams;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a lockstep run asks of its sides before it starts: whether a kernel answers the generated absent-path
 * lookups inline, and which of the newer ring layouts the referee model takes. Each probe uses the side's own
 * ring and leaves none behind.
 */
final class SideProbes {
    private static final int AT_FDCWD = -100;
    private static final long RESOLVE_CACHED = 0x20;

    private SideProbes() {
    }

    /**
     * Looks the generated paths' absent directory up once, so this machine's dentry cache holds it as a negative
     * entry: an OPENAT issued inline walks with LOOKUP_CACHED, and an uncached component would send it to io-wq
     * (-EAGAIN, then a later completion) instead of failing at once with -ENOENT. A guest's agent does the same at
     * its start.
     */
    static void primeAbsentPath() {
        int fd = Posix.openat(AT_FDCWD, FilterArgs.PATHS[0], 0, 0);
        if (fd >= 0) {
            Posix.close(fd);
            throw new IllegalStateException(FilterArgs.PATHS[0] + " exists on this machine; the generated OPENATs "
                    + "need it absent");
        }
    }

    /**
     * Whether a kernel side answers the lookup of an absent path from its dentry cache: an OPENAT2 with
     * RESOLVE_CACHED (io_openat2: the caller's own nonblocking lookup, never sent to io-wq) fails with -ENOENT
     * there, and with -EAGAIN where the root file system keeps no negative dentries (a guest's tmpfs root); there an
     * OPENAT that reaches the lookup would go to io-wq and complete when io-wq chooses. A model side answers inline.
     */
    static boolean answersAbsentLookupsInline(Side side, Backend backend) {
        if (backend.kind() != Backend.Kind.KERNEL) {
            return true;
        }
        // three times: a lookup racing the probe can find a negative dentry that tmpfs is about to drop
        for (int i = 0; i < 3; i++) {
            if (!answersAbsentLookupInline(side)) {
                return false;
            }
        }
        return true;
    }

    static boolean answersAbsentLookupInline(Side side) {
        long probeUserData = 0x0a75e47L;
        int res = Integer.MIN_VALUE;
        if (side.execute(new Step.Setup(4, 0, 0)) == 0) {
            side.execute(new Step.WriteOpenat2(0, 0, AT_FDCWD, 0, 0, 0, RESOLVE_CACHED, 24, 0, probeUserData));
            side.execute(new Step.WriteArray(0, 0));
            side.execute(new Step.PublishTail(1));
            if (side.execute(new Step.Enter(1, 1, IORING_ENTER_GETEVENTS)) == 1) {
                res = side.cqes(side.cq.readOnceHead(), side.cq.loadAcquireTail()).stream()
                        .filter(c -> c.userData() == probeUserData).mapToInt(Cqe::res).findFirst()
                        .orElse(Integer.MIN_VALUE);
            }
        }
        side.closeRing();
        return res == -Errno.ENOENT;
    }

    /**
     * The ring layouts of 6.19 and 7.0 the referee model takes at setup: SQE_MIXED, and SQ_REWIND (with the
     * NO_SQARRAY it needs). Its profile is the one {@link dev.ringspec.model.KernelProfile#forCapabilities} chose
     * from the checked kernel's capability probe (or this machine's), so capability discovery decides, not a
     * version string. Tried before the referee hears rules, so the trials count nowhere.
     */
    static Set<Feature> newerLayouts(Side referee) {
        Set<Feature> out = EnumSet.noneOf(Feature.class);
        if (acceptsSetup(referee, IORING_SETUP_SQE_MIXED)) {
            out.add(Feature.SQE_MIXED);
        }
        if (acceptsSetup(referee, IORING_SETUP_SQ_REWIND | IORING_SETUP_NO_SQARRAY)) {
            out.add(Feature.SQ_REWIND);
        }
        return Set.copyOf(out);
    }

    static boolean acceptsSetup(Side side, int flags) {
        side.params.fill((byte) 0);
        side.params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, flags);
        if (side.kernel.setup(4, side.params) instanceof SetupResult.Created(Ring ring)) {
            side.kernel.close(ring);
            return true;
        }
        return false;
    }
}

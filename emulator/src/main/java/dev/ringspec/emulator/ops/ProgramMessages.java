package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.sys.Linux.SYS_RECVMSG;
import static dev.ringspec.emulator.sys.Linux.SYS_SENDMSG;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.ENOBUFS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.ProgramMemory;
import dev.ringspec.emulator.sys.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The socket transfers of a served program, {@link ProgramTransfers}' sibling for net.c: a {@code struct msghdr}
 * whose buffers, name and control data are the program's memory. The real {@code sendmsg}/{@code recvmsg} runs on
 * this JVM's copy of the program's socket with a msghdr of this JVM: what is sent crosses in before the call (data,
 * name, control data), what is received crosses out after it, before the CQE is posted; the name's and control
 * data's lengths and the flags are the call's, as {@code ____sys_recvmsg} writes them.
 *
 * <p>Descriptors in control data ({@code SCM_RIGHTS}) are the program's numbers: a sent one is this JVM's copy of
 * it. A received one would have to be installed in the program, which only a pending call of the program can do
 * ({@code SECCOMP_IOCTL_NOTIF_ADDFD}): it is closed, the control data ends before it, and the flags say
 * {@code MSG_CTRUNC}, as {@code scm_detach_fds} answers a descriptor it could not install.
 */
final class ProgramMessages {
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final long MSG_CONTROL = 32;
    /** {@code sizeof(struct cmsghdr)}: len (size_t), level, type; the data follows, 8-aligned. */
    static final long CMSG_HEADER = 16;
    /** {@code sysctl_optmem_max}'s default: more control data to send is -ENOBUFS ({@code sock_kmalloc}). */
    static final long MAX_CONTROL_BYTES = 20480;

    private ProgramMessages() {
    }

    /** The program's {@code count} iovecs at {@code uvec} as (base, length) pairs, or null where unreadable. */
    static long[] iovecs(ProgramMemory memory, long uvec, long count) {
        if (count < 0 || count > Rw.UIO_MAXIOV) {
            return null;
        }
        long[] iov = new long[(int) count * 2];
        if (count == 0) {
            return iov;
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment vec = call.allocate(16 * count, 8);
            if (!memory.copyIn(uvec, vec)) {
                return null;
            }
            for (int i = 0; i < iov.length; i++) {
                iov[i] = vec.getAtIndex(JAVA_LONG, i);
            }
        }
        return iov;
    }

    /** One receive into the program's {@code len} bytes at {@code address} (no name, no control data). */
    static int receive(ProgramMemory memory, int fd, long address, int len, int flags) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment msg = call.allocate(Net.MSGHDR_SIZE, 8);
            return message(memory, false, fd, msg, new long[] {address, Integer.toUnsignedLong(len)}, null, 0,
                    flags);
        }
    }

    /**
     * {@code sendmsg} ({@code send}) or {@code recvmsg} of {@code msg}, a copy of the program's msghdr whose name and
     * control pointers are the program's (its iovec fields are ignored: {@code iov} holds the program's (base,
     * length) pairs), on this JVM's descriptor {@code fd}. {@code name}, where not null, is SEND's destination as
     * prep copied it (this JVM's memory) in place of msg's. After a receive, msg's name length, control length and
     * flags are the call's. The bytes moved, or -errno.
     */
    static int message(ProgramMemory memory, boolean send, int fd, MemorySegment msg, long[] iov,
            MemorySegment name, int nameLen, int flags) {
        List<Integer> held = new ArrayList<>(0);
        try {
            return message(memory, send, fd, msg, iov, name, nameLen, flags, held);
        } finally {
            // scm_destroy: the references to the descriptors sent are put after the call
            held.forEach(ProgramTransfers::release);
        }
    }

    /** {@link #message}, with the references to the SCM_RIGHTS descriptors it sends taken into {@code held}. */
    private static int message(ProgramMemory memory, boolean send, int fd, MemorySegment msg, long[] iov,
            MemorySegment name, int nameLen, int flags, List<Integer> held) {
        MemorySegment buffer = ProgramTransfers.buffer();
        long total = ProgramTransfers.total(iov);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment local = call.allocate(Net.MSGHDR_SIZE, 8);
            MemorySegment vec = call.allocate(16, 8);
            vec.set(JAVA_LONG, 0, buffer.address());
            vec.set(JAVA_LONG, 8, total);
            local.set(JAVA_LONG, Net.MSG_IOV, vec.address());
            local.set(JAVA_LONG, Net.MSG_IOVLEN, 1);
            long uname = msg.get(JAVA_LONG, 0);
            int unameLen = uname == 0 ? 0 : Math.clamp(msg.get(JAVA_INT, Net.MSG_NAMELEN), 0, Net.SOCKADDR_STORAGE);
            MemorySegment localName = null;
            if (name != null) {
                local.set(JAVA_LONG, 0, name.address());
                local.set(JAVA_INT, Net.MSG_NAMELEN, nameLen);
            } else if (uname != 0) {
                localName = call.allocate(Net.SOCKADDR_STORAGE, 8);
                if (send && unameLen > 0 && !memory.copyIn(uname, localName.asSlice(0, unameLen))) {
                    return -EFAULT;
                }
                local.set(JAVA_LONG, 0, localName.address());
                local.set(JAVA_INT, Net.MSG_NAMELEN, unameLen);
            }
            long ucontrol = msg.get(JAVA_LONG, MSG_CONTROL);
            long controlLen = msg.get(JAVA_LONG, Net.MSG_CONTROLLEN);
            MemorySegment control = null;
            if (ucontrol != 0 && controlLen > 0) {
                // ____sys_sendmsg: control data beyond what sock_kmalloc gives -> -ENOBUFS (a receive takes any)
                if (send && Long.compareUnsigned(controlLen, MAX_CONTROL_BYTES) > 0) {
                    return -ENOBUFS;
                }
                control = call.allocate(Math.min(controlLen, ProgramTransfers.MAX_BYTES), 8);
                if (send) {
                    if (!memory.copyIn(ucontrol, control)) {
                        return -EFAULT;
                    }
                    int ret = descriptorsIn(control, held);
                    if (ret < 0) {
                        return ret;
                    }
                }
                local.set(JAVA_LONG, MSG_CONTROL, control.address());
                local.set(JAVA_LONG, Net.MSG_CONTROLLEN, control.byteSize());
            }
            if (send && !ProgramTransfers.cross(memory, iov, buffer, total, true)) {
                return -EFAULT;
            }
            if (send) {
                // the destination as the program's root and working directory name it
                MemorySegment to = name != null ? name : localName;
                try (UnixAddress address = UnixAddress.of(to, name != null ? nameLen : unameLen)) {
                    if (to != null) {
                        local.set(JAVA_LONG, 0, address.address().address());
                        local.set(JAVA_INT, Net.MSG_NAMELEN, address.length());
                    }
                    return (int) Linux.call(SYS_SENDMSG, fd, local.address(), flags);
                }
            }
            int n = (int) Linux.call(SYS_RECVMSG, fd, local.address(), flags);
            if (n < 0) {
                return n;
            }
            return received(memory, msg, local, iov, n, localName, unameLen, control);
        }
    }

    /** After a receive of {@code n} bytes: the data, name and control data out to the program; msg's lengths. */
    private static int received(ProgramMemory memory, MemorySegment msg, MemorySegment local, long[] iov, int n,
            MemorySegment localName, int unameLen, MemorySegment control) {
        // a datagram's MSG_TRUNC answer is its whole length: only what the buffers hold crosses
        long moved = Math.min(n, ProgramTransfers.total(iov));
        if (moved > 0 && !ProgramTransfers.cross(memory, iov, ProgramTransfers.buffer(), moved, false)) {
            return -EFAULT;
        }
        int gotName = local.get(JAVA_INT, Net.MSG_NAMELEN);
        // move_addr_to_user: at most the program's length is copied; the length written is the address's own
        int nameBytes = Math.min(gotName, unameLen);
        if (localName != null && nameBytes > 0
                && !memory.copyOut(localName.asSlice(0, nameBytes), msg.get(JAVA_LONG, 0))) {
            return -EFAULT;
        }
        int flags = local.get(JAVA_INT, Net.MSG_FLAGS);
        long controlLen = control == null ? 0 : local.get(JAVA_LONG, Net.MSG_CONTROLLEN);
        if (control != null) {
            long kept = descriptorsOut(control, controlLen);
            if (kept != controlLen) {
                controlLen = kept;
                flags |= Net.MSG_CTRUNC;
            }
            if (controlLen > 0 && !memory.copyOut(control.asSlice(0, controlLen), msg.get(JAVA_LONG, MSG_CONTROL))) {
                return -EFAULT;
            }
        }
        msg.set(JAVA_INT, Net.MSG_NAMELEN, localName == null ? msg.get(JAVA_INT, Net.MSG_NAMELEN) : gotName);
        msg.set(JAVA_LONG, Net.MSG_CONTROLLEN, controlLen);
        msg.set(JAVA_INT, Net.MSG_FLAGS, flags);
        return n;
    }

    /**
     * {@code ____sys_recvmsg}'s write-back into the program's msghdr at {@code umsg}: the name's length, the
     * control data's length and the flags, straight into its memory (before the CQE, as the kernel's).
     */
    static void writeBack(ProgramMemory memory, long umsg, MemorySegment msg) {
        memory.copyOut(msg.asSlice(Net.MSG_NAMELEN, 4), umsg + Net.MSG_NAMELEN);
        memory.copyOut(msg.asSlice(Net.MSG_CONTROLLEN, 8), umsg + Net.MSG_CONTROLLEN);
        memory.copyOut(msg.asSlice(Net.MSG_FLAGS, 4), umsg + Net.MSG_FLAGS);
    }

    /**
     * The SCM_RIGHTS descriptors of control data to send, the program's numbers, become this JVM's copies of them:
     * 0, or -EBADF for one the program has not open ({@code scm_fp_copy}); each copy is added to {@code held}. A
     * malformed header is left for the real call to refuse.
     */
    private static int descriptorsIn(MemorySegment control, List<Integer> held) {
        for (long off = 0; off + CMSG_HEADER <= control.byteSize();) {
            long len = control.get(JAVA_LONG, off);
            if (len < CMSG_HEADER || off + len > control.byteSize()) {
                return 0;
            }
            if (isRights(control, off)) {
                for (long at = off + CMSG_HEADER; at + 4 <= off + len; at += 4) {
                    int local = ProgramTransfers.hold(control.get(JAVA_INT, at));
                    if (local < 0) {
                        return local;
                    }
                    held.add(local);
                    control.set(JAVA_INT, at, local);
                }
            }
            off += (len + 7) & -8L;
        }
        return 0;
    }

    /**
     * Received control data up to its first SCM_RIGHTS message, whose descriptors (this JVM's) are closed: the
     * length the program gets.
     */
    private static long descriptorsOut(MemorySegment control, long controlLen) {
        for (long off = 0; off + CMSG_HEADER <= controlLen;) {
            long len = control.get(JAVA_LONG, off);
            if (len < CMSG_HEADER || off + len > controlLen) {
                return controlLen;
            }
            if (isRights(control, off)) {
                for (long at = off + CMSG_HEADER; at + 4 <= off + len; at += 4) {
                    Linux.close(control.get(JAVA_INT, at));
                }
                return off;
            }
            off += (len + 7) & -8L;
        }
        return controlLen;
    }

    private static boolean isRights(MemorySegment control, long off) {
        return control.get(JAVA_INT, off + 8) == SOL_SOCKET && control.get(JAVA_INT, off + 12) == SCM_RIGHTS;
    }
}

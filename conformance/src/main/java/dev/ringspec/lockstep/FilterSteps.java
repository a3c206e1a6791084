package dev.ringspec.lockstep;

import static dev.ringspec.lockstep.BpfPrograms.insn;
import static dev.ringspec.lockstep.BpfPrograms.stmt;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MISC;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_ST;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.IoUring.IORING_FILE_INDEX_ALLOC;
import static dev.ringspec.uapi.IoUring.IORING_OP_CONNECT;
import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_OPENAT2;
import static dev.ringspec.uapi.IoUring.IORING_OP_SOCKET;
import static dev.ringspec.uapi.IoUring.IOSQE_CQE_SKIP_SUCCESS;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_CMD_FILTER;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_DENY_REST;
import static dev.ringspec.uapi.IoUringBpfFilter.IO_URING_BPF_FILTER_SZ_STRICT;

import dev.ringspec.uapi.Filter;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link Generator}'s BPF filters (7.0+, {@code IORING_REGISTER_BPF_FILTER} on the ring and on the run's task)
 * and the requests they look at: SOCKET, OPENAT, OPENAT2 and CONNECT in the forms of the model's world
 * ({@code WORLD.md}), beside NOPs. The programs load the context words (user_data's halves, the word of opcode,
 * sqe_flags and pdu_size, the payload words) and compare them with values the requests really carry, so that
 * filters allow and deny alike; some are programs io_uring's checker or {@code bpf_check_classic} refuses.
 */
final class FilterSteps {
    /** The opcodes a filter is registered for: NOP most, the four with a context, others, and past the end. */
    private static final int[] OPCODES = {IORING_OP_NOP, IORING_OP_NOP, IORING_OP_NOP, IORING_OP_SOCKET,
        IORING_OP_OPENAT, IORING_OP_OPENAT2, IORING_OP_CONNECT, IORING_OP_SOCKET, IORING_OP_OPENAT,
        IORING_OP_CONNECT};
    private static final int[] OTHER_OPCODES = {1, 22, 64, 65, 66, 200, 1 << 20};
    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    private static final int[] FAMILIES = {AF_UNIX, AF_INET, AF_INET6};
    private static final int[] TYPES = {1, 2, 1 | 0x800, 2 | 0x800};
    /** open flags without O_CREAT, O_TRUNC and O_TMPFILE (io_openat_force_async: those go to io-wq). */
    private static final int[] OPEN_FLAGS = {0, 1, 2, 0x800, 0x10000, 0x20000, 0x200000, 0x80, 0x400, 0x4000,
        0x80000, 0x101000, 0x10000 | 0x20000};
    /**
     * Resolve bits: none, NO_XDEV, NO_MAGICLINKS, NO_SYMLINKS, and BENEATH with IN_ROOT (-EINVAL); BENEATH or
     * IN_ROOT alone depend on dfd, CACHED on the dentry cache: outside the model's world.
     */
    private static final long[] RESOLVES = {0, 0, 1, 2, 4, 0x18};
    private static final int[] PORTS = {0, 80, 0x1234};
    private static final int[] ADDRESSES = {0x7f000001, 0, 0xc0a80001};
    private static final int[] ADDR_LENS = {0, 1, 2, 8, 16, 16, 24, 28, 28, 110, 128, 129, -1};
    /** open_how sizes: the struct, too short (-EINVAL), longer with zeroes after it (at most the slot's room). */
    private static final int[] HOW_SIZES = {24, 24, 24, 24, 0, 8, 23, 32, FilterArgs.HOW_STRIDE};

    private final Generator g;

    FilterSteps(Generator g) {
        this.g = g;
    }

    /** How often a plan registers a ring filter: often where both backends have them, rarely (to see -EINVAL). */
    int ringFilterWeight(LockstepRunner r) {
        return r.bpfFilters() ? 5 : 1;
    }

    /** A filter on the ring, now and then followed at once by requests it looks at. */
    void ringFilter(LockstepRunner r) {
        Step.RegisterTaskBpfFilter f = filter();
        g.add(new Step.RegisterBpfFilter(f.nrArgs(), f.argForm(), f.cmdType(), f.cmdFlags(), f.resv(), f.opcode(),
                f.flags(), f.filterLen(), f.pduSize(), f.resvFlags(), f.program()));
        if (g.chance(35)) {
            requests(r);
        } else if (g.chance(50)) {
            linked(r, f.opcode());
        }
    }

    /**
     * A request of {@code opcode} (the filter's, where it is one of the generated ones) linked to a NOP, sometimes
     * behind a NOP that links to it: a deny inside a chain, which fails the rest of it (io_submit_fail_init).
     */
    private void linked(LockstepRunner r, int opcode) {
        if (r.sqEntries() < 3) {
            requests(r);
            return;
        }
        int tail = r.observation().sqTail();
        int count = 0;
        if (g.chance(30)) {
            g.add(Step.WriteSqe.nop(tail, IOSQE_IO_LINK, 0, 0, g.userData()));
            g.add(new Step.WriteArray(tail, tail & (r.sqEntries() - 1)));
            count++;
        }
        int position = tail + count;
        g.add(switch (r.writes(opcode) ? opcode : IORING_OP_NOP) {
            case IORING_OP_SOCKET -> socket(position, IOSQE_IO_LINK);
            case IORING_OP_OPENAT -> openat(r, position, IOSQE_IO_LINK);
            case IORING_OP_OPENAT2 -> openat2(r, position, IOSQE_IO_LINK);
            case IORING_OP_CONNECT -> connect(position, IOSQE_IO_LINK);
            default -> Step.WriteSqe.nop(position, IOSQE_IO_LINK, 0, 0, g.userData());
        });
        g.add(new Step.WriteArray(position, position & (r.sqEntries() - 1)));
        g.add(Step.WriteSqe.nop(position + 1, 0, 0, 0, g.userData()));
        g.add(new Step.WriteArray(position + 1, (position + 1) & (r.sqEntries() - 1)));
        g.publishAndEnter(r, count + 2);
    }

    /** A filter on the task: the arguments of {@link #filter}. */
    Step.RegisterTaskBpfFilter taskFilter() {
        return filter();
    }

    private Step.RegisterTaskBpfFilter filter() {
        int opcode = g.chance(92) ? OPCODES[g.pick(OPCODES.length)] : OTHER_OPCODES[g.pick(OTHER_OPCODES.length)];
        int flags = (g.chance(8) ? IO_URING_BPF_FILTER_DENY_REST : 0) | (g.chance(15) ? IO_URING_BPF_FILTER_SZ_STRICT : 0)
                | (g.chance(3) ? 1 << (2 + g.pick(30)) : 0);
        int pdu = BpfPrograms.pduSize(opcode);
        if (g.chance(15) || (flags & IO_URING_BPF_FILTER_SZ_STRICT) != 0 && g.chance(40)) {
            // smaller (accepted but under SZ_STRICT: -EMSGSIZE) or larger (-EMSGSIZE)
            pdu = g.chance(50) ? g.pick(pdu + 1) : pdu + 1 + g.pick(40);
        }
        long[] program = program(opcode);
        int filterLen = program.length;
        if (g.chance(5)) {
            filterLen = switch (g.pick(4)) {
                case 0 -> 0;
                case 1 -> Filter.BPF_MAXINSNS + 1;
                case 2 -> program.length + 1;
                default -> program.length - 1;
            };
        }
        return new Step.RegisterTaskBpfFilter(g.chance(96) ? 1 : g.pick(3), g.chance(95) ? 0 : 1 + g.pick(3),
                g.chance(96) ? IO_URING_BPF_CMD_FILTER : g.pick(3) * 2, g.chance(98) ? 0 : 1, g.chance(98) ? 0 : 1,
                opcode, flags, filterLen, pdu, g.chance(96) ? 0 : 1 + g.pick(3), program);
    }

    // ---- programs ----

    /** A program for a filter on {@code opcode}: mostly valid ones that compare, some each checker refuses. */
    long[] program(int opcode) {
        int x = g.pick(100);
        if (x < 55) {
            return compare(opcode);
        }
        if (x < 62) {
            return new long[] {stmt(BPF_RET | BPF_K, g.chance(50) ? 0 : g.chance(50) ? 1 : -1)};
        }
        if (x < 72) {
            return arithmetic(opcode);
        }
        if (x < 78) {
            return scratch(opcode);
        }
        if (x < 90) {
            return ioUringRefuses();
        }
        return classicRefuses();
    }

    private long ret(boolean allow) {
        return stmt(BPF_RET | BPF_K, allow ? (g.chance(80) ? 1 : 0x7fff0000) : 0);
    }

    /** {@code ld [k]; (and #m;) jCC #v, ...; ret; ret} with k a context word and v a value the requests use. */
    private long[] compare(int opcode) {
        int k = word(opcode);
        List<Long> p = new ArrayList<>();
        p.add(stmt(BPF_LD | BPF_W | BPF_ABS, k));
        int value = value(opcode, k);
        if (g.chance(20)) {
            int mask = g.chance(50) ? 0xff : 0xffff;
            p.add(stmt(BPF_ALU | Filter.BPF_AND | BPF_K, mask));
            value &= mask;
        }
        int op = switch (g.pick(6)) {
            case 0 -> Filter.BPF_JGT;
            case 1 -> Filter.BPF_JGE;
            case 2 -> Filter.BPF_JSET;
            default -> Filter.BPF_JEQ;
        };
        boolean allowOnTrue = g.chance(60);
        p.add(insn(BPF_JMP | op | BPF_K, 0, 1, value));
        p.add(ret(allowOnTrue));
        p.add(ret(!allowOnTrue));
        return toArray(p);
    }

    /** Two words combined by an ALU op through X (a division by a zero X ends the program: deny). */
    private long[] arithmetic(int opcode) {
        int[] ops = {Filter.BPF_ADD, Filter.BPF_SUB, Filter.BPF_MUL, Filter.BPF_DIV, Filter.BPF_AND, Filter.BPF_OR,
            Filter.BPF_XOR, Filter.BPF_LSH, Filter.BPF_RSH};
        List<Long> p = new ArrayList<>();
        p.add(stmt(BPF_LD | BPF_W | BPF_ABS, word(opcode)));
        p.add(stmt(BPF_MISC | Filter.BPF_TAX, 0));
        p.add(g.chance(20) ? stmt(BPF_LD | BPF_W | BPF_LEN, 0) : stmt(BPF_LD | BPF_W | BPF_ABS, word(opcode)));
        p.add(stmt(BPF_ALU | ops[g.pick(ops.length)] | BPF_X, 0));
        if (g.chance(20)) {
            p.add(stmt(BPF_ALU | Filter.BPF_NEG, 0));
        }
        if (g.chance(50)) {
            p.add(stmt(BPF_RET | Filter.BPF_A, 0));
        } else {
            p.add(insn(BPF_JMP | Filter.BPF_JGT | BPF_K, 0, 1, g.pick(64)));
            p.add(ret(true));
            p.add(ret(false));
        }
        return toArray(p);
    }

    /** A word through scratch memory and X: {@code ld [k]; st M[i]; ldx M[i]; txa; (ja +0;) jeq; ret; ret}. */
    private long[] scratch(int opcode) {
        int k = word(opcode);
        int m = g.pick(Filter.BPF_MEMWORDS);
        List<Long> p = new ArrayList<>();
        p.add(stmt(BPF_LD | BPF_W | BPF_ABS, k));
        p.add(stmt(BPF_ST, m));
        p.add(stmt(BPF_LD | BPF_IMM, g.pick(7)));
        p.add(stmt(BPF_LDX | BPF_W | BPF_MEM, m));
        p.add(stmt(BPF_MISC | Filter.BPF_TXA, 0));
        p.add(stmt(BPF_JMP | Filter.BPF_JA, 0));
        p.add(insn(BPF_JMP | Filter.BPF_JEQ | BPF_K, 0, 1, value(opcode, k)));
        p.add(ret(g.chance(60)));
        p.add(ret(g.chance(40)));
        return toArray(p);
    }

    /** Programs bpf_check_classic accepts and io_uring_check_cbpf_filter refuses. */
    private long[] ioUringRefuses() {
        long load = switch (g.pick(8)) {
            case 0 -> stmt(BPF_LD | BPF_W | BPF_ABS, 1 + g.pick(3) + 4 * g.pick(10)); // unaligned
            case 1 -> stmt(BPF_LD | BPF_W | BPF_ABS, 40 + 4 * g.pick(4)); // past the context
            case 2 -> stmt(BPF_LD | BPF_H | BPF_ABS, 2 * g.pick(20));
            case 3 -> stmt(BPF_LD | BPF_B | BPF_ABS, g.pick(40));
            case 4 -> stmt(BPF_LD | BPF_W | BPF_IND, 4 * g.pick(10));
            case 5 -> stmt(BPF_LDX | BPF_B | BPF_MSH, g.pick(40));
            case 6 -> stmt(BPF_ALU | Filter.BPF_MOD | BPF_K, 3);
            default -> stmt(BPF_LD | BPF_W | BPF_ABS, Filter.SKF_AD_OFF + 4 * g.pick(16)); // ancillary
        };
        return new long[] {stmt(BPF_LD | BPF_IMM, 1), load, stmt(BPF_RET | Filter.BPF_A, 0)};
    }

    /** Programs bpf_check_classic itself refuses. */
    private long[] classicRefuses() {
        return switch (g.pick(7)) {
            case 0 -> new long[] {stmt(BPF_LD | BPF_W | BPF_ABS, 0)}; // no return at the end
            case 1 -> new long[] {insn(BPF_JMP | Filter.BPF_JEQ | BPF_K, 5, 0, 0), ret(true)}; // jump past the end
            case 2 -> new long[] {stmt(BPF_LD | BPF_IMM, 7), stmt(BPF_ALU | Filter.BPF_DIV | BPF_K, 0),
                stmt(BPF_RET | Filter.BPF_A, 0)}; // division by a constant zero
            case 3 -> new long[] {stmt(BPF_LD | BPF_MEM, Filter.BPF_MEMWORDS + g.pick(4)),
                stmt(BPF_RET | Filter.BPF_A, 0)}; // scratch word out of range
            case 4 -> new long[] {stmt(BPF_LDX | BPF_W | BPF_MEM, g.pick(16)), stmt(BPF_RET | Filter.BPF_A, 0)};
            case 5 -> new long[] {stmt(0xffff, 0), ret(true)}; // no such instruction
            default -> new long[] {stmt(BPF_JMP | Filter.BPF_JA, 3), ret(true)};
        };
    }

    /** A context word's offset: user_data's halves, the opcode word, and the payload words. */
    private int word(int opcode) {
        int x = g.pick(10);
        if (x < 3) {
            return x < 2 ? 0 : 4;
        }
        if (x < 5) {
            return 8;
        }
        return 16 + 4 * g.pick(BpfPrograms.pduSize(opcode) >= 24 ? 6 : BpfPrograms.pduSize(opcode) > 0 ? 3 : 6);
    }

    /** A value the word at {@code k} holds in requests the generator writes. */
    private int value(int opcode, int k) {
        return switch (k) {
            case 0 -> (int) g.peekUserData() + g.pick(6);
            case 4 -> 0;
            case 8 -> opcode | (g.chance(25) ? IOSQE_IO_LINK : 0) << 8 | BpfPrograms.pduSize(opcode) << 16;
            default -> switch (opcode) {
                case IORING_OP_SOCKET -> k == 16 ? FAMILIES[g.pick(FAMILIES.length)]
                        : k == 20 ? TYPES[g.pick(TYPES.length)] : 0;
                case IORING_OP_OPENAT, IORING_OP_OPENAT2 -> k == 16 ? OPEN_FLAGS[g.pick(OPEN_FLAGS.length)] | 0x8000
                        : k == 32 ? (int) RESOLVES[g.pick(RESOLVES.length)] : 0;
                case IORING_OP_CONNECT -> switch (k) {
                    case 16 -> FAMILIES[g.pick(FAMILIES.length)];
                    case 20 -> Short.toUnsignedInt(Short.reverseBytes((short) PORTS[g.pick(PORTS.length)]));
                    default -> Integer.reverseBytes(ADDRESSES[g.pick(ADDRESSES.length)]);
                };
                default -> g.pick(3);
            };
        };
    }

    private static long[] toArray(List<Long> p) {
        long[] out = new long[p.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = p.get(i);
        }
        return out;
    }

    // ---- requests ----

    /** The opcode of each draw of {@link #requests}. */
    private static final int[] REQUEST_OPCODES = {IORING_OP_SOCKET, IORING_OP_SOCKET, IORING_OP_OPENAT,
        IORING_OP_OPENAT, IORING_OP_OPENAT2, IORING_OP_OPENAT2, IORING_OP_CONNECT, IORING_OP_CONNECT, IORING_OP_NOP};

    /**
     * 1 to 4 SQEs of SOCKET, OPENAT, OPENAT2, CONNECT or NOP, some linked to the next, published and entered; a NOP
     * in place of an opcode the run does not write ({@link LockstepRunner#writes}).
     */
    void requests(LockstepRunner r) {
        int count = 1 + g.pick(Math.min(r.sqEntries(), 4));
        int tail = r.observation().sqTail();
        for (int i = 0; i < count; i++) {
            int position = tail + i;
            int flags = (i < count - 1 && g.chance(20) ? IOSQE_IO_LINK : 0) | (g.chance(10) ? IOSQE_CQE_SKIP_SUCCESS : 0);
            int pick = g.pick(9);
            int opcode = REQUEST_OPCODES[pick];
            g.add(!r.writes(opcode) ? g.nop(r, position, flags) : switch (pick) {
                case 0, 1 -> socket(position, flags);
                case 2, 3 -> openat(r, position, flags);
                case 4, 5 -> openat2(r, position, flags);
                case 6, 7 -> connect(position, flags);
                default -> g.nop(r, position, flags);
            });
            g.add(new Step.WriteArray(position, position & (r.sqEntries() - 1)));
        }
        g.publishAndEnter(r, count);
    }

    /** Direct-descriptor sockets of families every backend has; plain ones only with arguments refused as such. */
    private Step.WriteSocket socket(int slot, int flags) {
        int family = FAMILIES[g.pick(FAMILIES.length)];
        int type = TYPES[g.pick(TYPES.length)];
        int protocol = 0;
        int fileIndex = g.chance(50) ? IORING_FILE_INDEX_ALLOC : 1 + g.pick(g.chance(90) ? 4 : 40);
        if (g.chance(35)) {
            fileIndex = 0;
            switch (g.pick(5)) {
                case 0 -> family = 64 + g.pick(200);
                case 1 -> type = 11 + g.pick(5);
                case 2 -> type |= 1 << (13 + g.pick(5));
                case 3 -> {
                    family = AF_UNIX;
                    protocol = 2 + g.pick(10);
                }
                default -> {
                    family = AF_UNIX;
                    type = 4 + 2 * g.pick(4); // SOCK_RDM, DCCP, 8, 10: no AF_UNIX type
                }
            }
        } else if (g.chance(5)) {
            type |= 0x80000; // SOCK_CLOEXEC with a file index
        }
        return new Step.WriteSocket(slot, flags, family, type, protocol, g.chance(4) ? 1 : 0, fileIndex,
                g.userData());
    }

    /** A path: mostly one under the absent directory; a NULL, unmapped or too long one fails in prep. */
    private int path(boolean lookups) {
        return lookups && g.chance(80) ? (g.chance(85) ? 0 : 5) : PREP_PATHS[g.pick(PREP_PATHS.length)];
    }

    /** The paths prep refuses: NULL and unmapped (-EFAULT), longer than PATH_MAX (-ENAMETOOLONG). */
    private static final int[] PREP_PATHS = {FilterArgs.NULL_PATH, FilterArgs.UNMAPPED_PATH, 3, 0, 5};

    private int dfd() {
        return g.chance(85) ? -100 : g.chance(50) ? -1 : 99_999;
    }

    private int fileIndex() {
        return g.chance(70) ? 0 : g.chance(50) ? IORING_FILE_INDEX_ALLOC : 1 + g.pick(4);
    }

    /**
     * An OPENAT. Where an absent path's lookup is not answered inline ({@link LockstepRunner#absentLookupsInline}),
     * only forms prep refuses: a bad path, IOSQE_FIXED_FILE (-EBADF), O_CLOEXEC with a file index (-EINVAL).
     */
    private Step.WriteOpenat openat(LockstepRunner r, int slot, int flags) {
        boolean lookups = r.absentLookupsInline();
        int path = path(lookups);
        int openFlags = OPEN_FLAGS[g.pick(OPEN_FLAGS.length)];
        int fileIndex = fileIndex();
        int sqeFlags = flags | (g.chance(4) ? IOSQE_FIXED_FILE : 0);
        if (!lookups && (path == 0 || path == 5) && (sqeFlags & IOSQE_FIXED_FILE) == 0) {
            if (g.chance(50)) {
                sqeFlags |= IOSQE_FIXED_FILE;
            } else {
                openFlags |= O_CLOEXEC;
                fileIndex = 1 + g.pick(4);
            }
        }
        return new Step.WriteOpenat(slot, sqeFlags, dfd(), path, openFlags, g.chance(90) ? 0 : 0644, fileIndex,
                g.userData());
    }

    /**
     * An OPENAT2; where lookups are not answered inline, only forms that fail before the lookup: in prep, or in
     * build_open_flags at issue (a mode without O_CREAT, O_PATH with other flags, BENEATH with IN_ROOT).
     */
    private Step.WriteOpenat2 openat2(LockstepRunner r, int slot, int flags) {
        boolean lookups = r.absentLookupsInline();
        int path = path(lookups);
        long howFlags = OPEN_FLAGS[g.pick(OPEN_FLAGS.length)];
        long mode = g.chance(92) ? 0 : 0644;
        long resolve = RESOLVES[g.pick(RESOLVES.length)];
        int howSize = HOW_SIZES[g.pick(HOW_SIZES.length)];
        if (!lookups && (path == 0 || path == 5) && howSize >= 24) {
            switch (g.pick(3)) {
                case 0 -> mode = 1 + g.pick(0777);
                case 1 -> resolve = 0x18;
                default -> howFlags = O_PATH | 2;
            }
        }
        return new Step.WriteOpenat2(slot, flags, dfd(), path, howFlags, mode, resolve, howSize, fileIndex(),
                g.userData());
    }

    private static final int O_CLOEXEC = 0x80000;
    private static final int O_PATH = 0x200000;

    /** CONNECT on fd -1, or a fixed slot past every table the generator registers (both -EBADF at issue). */
    private Step.WriteConnect connect(int slot, int flags) {
        boolean fixed = g.chance(30);
        int family = g.chance(85) ? FAMILIES[g.pick(FAMILIES.length)] : g.pick(3) * 17;
        return new Step.WriteConnect(slot, flags | (fixed ? IOSQE_FIXED_FILE : 0),
                fixed ? 16 + g.pick(4) : g.chance(90) ? -1 : 99_999, family, PORTS[g.pick(PORTS.length)],
                ADDRESSES[g.pick(ADDRESSES.length)], ADDR_LENS[g.pick(ADDR_LENS.length)], g.chance(4) ? 1 : 0,
                g.userData());
    }
}

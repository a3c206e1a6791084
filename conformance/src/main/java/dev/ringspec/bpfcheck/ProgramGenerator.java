package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_A;
import static dev.ringspec.uapi.Filter.BPF_ABS;
import static dev.ringspec.uapi.Filter.BPF_ADD;
import static dev.ringspec.uapi.Filter.BPF_ALU;
import static dev.ringspec.uapi.Filter.BPF_AND;
import static dev.ringspec.uapi.Filter.BPF_B;
import static dev.ringspec.uapi.Filter.BPF_DIV;
import static dev.ringspec.uapi.Filter.BPF_H;
import static dev.ringspec.uapi.Filter.BPF_IMM;
import static dev.ringspec.uapi.Filter.BPF_IND;
import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JEQ;
import static dev.ringspec.uapi.Filter.BPF_JGE;
import static dev.ringspec.uapi.Filter.BPF_JGT;
import static dev.ringspec.uapi.Filter.BPF_JMP;
import static dev.ringspec.uapi.Filter.BPF_JSET;
import static dev.ringspec.uapi.Filter.BPF_K;
import static dev.ringspec.uapi.Filter.BPF_LD;
import static dev.ringspec.uapi.Filter.BPF_LDX;
import static dev.ringspec.uapi.Filter.BPF_LEN;
import static dev.ringspec.uapi.Filter.BPF_LSH;
import static dev.ringspec.uapi.Filter.BPF_MAXINSNS;
import static dev.ringspec.uapi.Filter.BPF_MEM;
import static dev.ringspec.uapi.Filter.BPF_MEMWORDS;
import static dev.ringspec.uapi.Filter.BPF_MISC;
import static dev.ringspec.uapi.Filter.BPF_MOD;
import static dev.ringspec.uapi.Filter.BPF_MSH;
import static dev.ringspec.uapi.Filter.BPF_MUL;
import static dev.ringspec.uapi.Filter.BPF_NEG;
import static dev.ringspec.uapi.Filter.BPF_OR;
import static dev.ringspec.uapi.Filter.BPF_RET;
import static dev.ringspec.uapi.Filter.BPF_RSH;
import static dev.ringspec.uapi.Filter.BPF_ST;
import static dev.ringspec.uapi.Filter.BPF_STX;
import static dev.ringspec.uapi.Filter.BPF_SUB;
import static dev.ringspec.uapi.Filter.BPF_TAX;
import static dev.ringspec.uapi.Filter.BPF_TXA;
import static dev.ringspec.uapi.Filter.BPF_W;
import static dev.ringspec.uapi.Filter.BPF_X;
import static dev.ringspec.uapi.Filter.BPF_XOR;
import static dev.ringspec.uapi.Filter.SKF_AD_MAX;
import static dev.ringspec.uapi.Filter.SKF_AD_OFF;
import static dev.ringspec.uapi.Filter.SKF_LL_OFF;
import static dev.ringspec.uapi.Filter.SKF_NET_OFF;

import dev.ringspec.uapi.SockFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates classic programs and packets from a seed, biased to the edges the checker and the interpreter decide:
 * division and modulo by an X of zero and by constants, shifts by 32 and more, scratch reads with and without a
 * write on every path before them (and in code after a return), jumps to the last instruction and one past it,
 * loads at and past the packet's end (absolute, indirect with X + k wrapping, {@code LDX MSH}), {@code LEN},
 * {@code JSET}, large and negative constants, the socket filter's special offsets, codes the checker does not know,
 * and lengths from 0 to {@code BPF_MAXINSNS} + 1. About one program in five is made invalid on purpose; many more
 * are by chance. The same seed gives the same case ({@link #generate}), so a case is replayed by its seed.
 */
public final class ProgramGenerator {
    private static final int[] ALU_OPS = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
        BPF_MOD, BPF_XOR};
    private static final int[] JUMP_OPS = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
    private static final int[] SIZES = {BPF_W, BPF_H, BPF_B};
    private static final int[] EDGE_CONSTANTS = {0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 255, 256, 0x7fff,
        0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff};
    /** Codes near the allowed ones that the checker refuses: RET X, seccomp's LDX W ABS, NEG X, LD H LEN, ... */
    private static final int[] UNKNOWN_CODES = {BPF_RET | BPF_X, BPF_LDX | BPF_W | BPF_ABS, BPF_ALU | BPF_NEG | BPF_X,
        BPF_LD | BPF_H | BPF_LEN, BPF_LD | BPF_B | BPF_LEN, BPF_LDX | BPF_H | BPF_MSH, BPF_LDX | BPF_B | BPF_IND,
        BPF_JMP | BPF_JA | BPF_X, BPF_MISC | 0x40, BPF_ALU | 0xb0, BPF_JMP | 0x50, BPF_LD | 0x18, BPF_ST | BPF_X,
        BPF_RET | BPF_A | BPF_X, 0x100 | BPF_RET, 0xffff};

    private ProgramGenerator() {
    }

    /** The case of {@code seed}: always the same program and packet. */
    public static BpfCase generate(long seed) {
        return new Draw(new SplittableRandom(seed)).draw(seed);
    }

    /** The seed of case {@code index} of a run seeded {@code runSeed}. */
    public static long caseSeed(long runSeed, long index) {
        long z = runSeed * 0x9E3779B97F4A7C15L + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One draw: the random source and the packet's length, which the load offsets aim at. */
    private static final class Draw {
        private final SplittableRandom random;
        private int packetLength;
        private int length;
        private boolean[] written;

        Draw(SplittableRandom random) {
            this.random = random;
        }

        BpfCase draw(long seed) {
            byte[] packet = packet();
            packetLength = packet.length;
            length = programLength();
            List<SockFilter> program = new ArrayList<>(length);
            written = new boolean[BPF_MEMWORDS];
            for (int pc = 0; pc < length; pc++) {
                program.add(pc == length - 1 ? ret() : instruction(pc));
            }
            if (length > 0 && random.nextInt(5) == 0) {
                invalidate(program);
            }
            return new BpfCase(seed, program, packet);
        }

        private byte[] packet() {
            int n = switch (random.nextInt(20)) {
                case 0 -> 0;
                case 1, 2 -> random.nextInt(1, 5);
                case 3 -> random.nextInt(64, 1501);
                case 4 -> random.nextInt(20) == 0 ? random.nextInt(1501, 8193) : random.nextInt(14, 60);
                default -> random.nextInt(4, 64);
            };
            byte[] packet = new byte[n];
            switch (random.nextInt(4)) {
                case 0 -> { } // zeroes
                case 1 -> java.util.Arrays.fill(packet, (byte) 0xff);
                default -> random.nextBytes(packet);
            }
            return packet;
        }

        private int programLength() {
            return switch (random.nextInt(1000)) {
                case 0 -> 0;
                case 1 -> BPF_MAXINSNS + 1;
                case 2 -> BPF_MAXINSNS;
                case 3, 4, 5 -> random.nextInt(BPF_MAXINSNS - 64, BPF_MAXINSNS + 1);
                default -> {
                    int r = random.nextInt(100);
                    yield r < 10 ? random.nextInt(1, 4) : r < 80 ? random.nextInt(3, 24)
                            : r < 97 ? random.nextInt(24, 200) : random.nextInt(200, 1500);
                }
            };
        }

        private SockFilter instruction(int pc) {
            int r = random.nextInt(100);
            if (r < 22) {
                return load();
            } else if (r < 32) {
                return loadX();
            } else if (r < 40) {
                return store();
            } else if (r < 64) {
                return alu();
            } else if (r < 88) {
                return jump(pc);
            } else if (r < 93) {
                return SockFilter.stmt(BPF_MISC | (random.nextBoolean() ? BPF_TAX : BPF_TXA), constant());
            }
            return ret();
        }

        private SockFilter ret() {
            return random.nextInt(3) == 0 ? SockFilter.stmt(BPF_RET | BPF_A, constant())
                    : SockFilter.stmt(BPF_RET | BPF_K, random.nextInt(4) == 0 ? random.nextInt() : retConstant());
        }

        private int retConstant() {
            return switch (random.nextInt(6)) {
                case 0 -> 0;
                case 1 -> -1;
                case 2 -> packetLength + random.nextInt(-2, 3);
                default -> random.nextInt(0, 70000);
            };
        }

        private SockFilter load() {
            int size = SIZES[random.nextInt(SIZES.length)];
            return switch (random.nextInt(10)) {
                case 0, 1, 2 -> SockFilter.stmt(BPF_LD | size | BPF_ABS, absOffset(size));
                case 3, 4 -> SockFilter.stmt(BPF_LD | size | BPF_IND, indOffset());
                case 5 -> SockFilter.stmt(BPF_LD | BPF_W | BPF_LEN, constant());
                case 6, 7, 8 -> SockFilter.stmt(BPF_LD | BPF_IMM, constant());
                default -> SockFilter.stmt(BPF_LD | BPF_MEM, scratchRead());
            };
        }

        private SockFilter loadX() {
            return switch (random.nextInt(7)) {
                case 0, 1, 2 -> SockFilter.stmt(BPF_LDX | BPF_IMM, constant());
                case 3 -> SockFilter.stmt(BPF_LDX | BPF_W | BPF_LEN, constant());
                case 4, 5 -> SockFilter.stmt(BPF_LDX | BPF_B | BPF_MSH, absOffset(BPF_B));
                default -> SockFilter.stmt(BPF_LDX | BPF_MEM, scratchRead());
            };
        }

        private SockFilter store() {
            int slot = random.nextInt(BPF_MEMWORDS);
            written[slot] = true;
            return SockFilter.stmt(random.nextBoolean() ? BPF_ST : BPF_STX, slot);
        }

        /** A written slot mostly (in program order, which a jump may still skip), now and then any. */
        private int scratchRead() {
            List<Integer> slots = new ArrayList<>();
            for (int i = 0; i < written.length; i++) {
                if (written[i]) {
                    slots.add(i);
                }
            }
            return !slots.isEmpty() && random.nextInt(10) < 9 ? slots.get(random.nextInt(slots.size()))
                    : random.nextInt(BPF_MEMWORDS);
        }

        private SockFilter alu() {
            int op = random.nextInt(12) == 0 ? BPF_NEG : ALU_OPS[random.nextInt(ALU_OPS.length)];
            if (op == BPF_NEG) {
                return SockFilter.stmt(BPF_ALU | BPF_NEG, constant());
            }
            if (random.nextInt(3) == 0) {
                return SockFilter.stmt(BPF_ALU | op | BPF_X, constant());
            }
            int k = switch (op) {
                case BPF_DIV, BPF_MOD -> random.nextInt(8) == 0 ? constant() : nonZero();
                case BPF_LSH, BPF_RSH -> random.nextInt(10) == 0 ? constant() : random.nextInt(32);
                default -> constant();
            };
            return SockFilter.stmt(BPF_ALU | op | BPF_K, k);
        }

        private int nonZero() {
            int k = constant();
            return k == 0 ? 1 + random.nextInt(7) : k;
        }

        private SockFilter jump(int pc) {
            int last = length - 1;
            int toLast = last - pc - 1;
            if (random.nextInt(6) == 0) {
                return SockFilter.jump(BPF_JMP | BPF_JA, jumpTarget(toLast, Integer.MAX_VALUE), 0, 0);
            }
            int op = JUMP_OPS[random.nextInt(JUMP_OPS.length)];
            int src = random.nextInt(3) == 0 ? BPF_X : BPF_K;
            return SockFilter.jump(BPF_JMP | op | src, constant(), jumpTarget(toLast, 255), jumpTarget(toLast, 255));
        }

        /** An offset from the next instruction: 0, near, the last instruction, or any in range (all capped). */
        private int jumpTarget(int toLast, int cap) {
            int in = Math.max(0, Math.min(toLast, cap));
            return switch (random.nextInt(8)) {
                case 0, 1 -> 0;
                case 2 -> Math.min(1, in);
                case 3 -> in;
                default -> random.nextInt(in + 1);
            };
        }

        private int absOffset(int size) {
            int width = size == BPF_W ? 4 : size == BPF_H ? 2 : 1;
            return switch (random.nextInt(14)) {
                case 0, 1 -> Math.max(0, packetLength - width + random.nextInt(-1, 2));
                case 2 -> packetLength;
                case 3 -> 0;
                case 4 -> SKF_AD_OFF + (random.nextInt(4) == 0 ? random.nextInt(SKF_AD_MAX + 8)
                        : 4 * random.nextInt(SKF_AD_MAX / 4));
                case 5 -> (random.nextBoolean() ? SKF_NET_OFF : SKF_LL_OFF) + random.nextInt(0, 20);
                case 6 -> EDGE_CONSTANTS[random.nextInt(EDGE_CONSTANTS.length)];
                default -> random.nextInt(Math.max(1, packetLength + 2));
            };
        }

        private int indOffset() {
            return switch (random.nextInt(6)) {
                case 0 -> 0;
                case 1 -> -random.nextInt(1, 8);
                case 2 -> EDGE_CONSTANTS[random.nextInt(EDGE_CONSTANTS.length)];
                default -> random.nextInt(Math.max(1, packetLength + 2));
            };
        }

        private int constant() {
            return switch (random.nextInt(8)) {
                case 0, 1, 2 -> EDGE_CONSTANTS[random.nextInt(EDGE_CONSTANTS.length)];
                case 3 -> packetLength + random.nextInt(-4, 5);
                case 4 -> random.nextInt();
                default -> random.nextInt(0, 40);
            };
        }

        /** Breaks the program one way the checker must refuse (most of them; some land on a harmless spot). */
        private void invalidate(List<SockFilter> program) {
            int n = program.size();
            int pc = random.nextInt(n);
            SockFilter was = program.get(pc);
            SockFilter broken = switch (random.nextInt(10)) {
                case 0 -> SockFilter.stmt(UNKNOWN_CODES[random.nextInt(UNKNOWN_CODES.length)], was.k());
                case 1 -> new SockFilter(random.nextInt(0x10000), was.jt(), was.jf(), was.k());
                case 2 -> SockFilter.stmt(BPF_ALU | (random.nextBoolean() ? BPF_DIV : BPF_MOD) | BPF_K, 0);
                case 3 -> SockFilter.stmt(BPF_ALU | (random.nextBoolean() ? BPF_LSH : BPF_RSH) | BPF_K,
                        random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(32, 40));
                case 4 -> SockFilter.stmt(random.nextBoolean() ? BPF_ST : BPF_LD | BPF_MEM,
                        random.nextInt(4) == 0 ? -1 : random.nextInt(BPF_MEMWORDS, BPF_MEMWORDS + 4));
                case 5 -> SockFilter.jump(BPF_JMP | BPF_JA, random.nextInt(3) == 0 ? -1 : n - pc - 1, 0, 0);
                case 6 -> SockFilter.jump(BPF_JMP | JUMP_OPS[random.nextInt(4)], constant(),
                        random.nextBoolean() ? Math.min(255, n - pc - 1) : 0, Math.min(255, n - pc - 1));
                case 7 -> SockFilter.stmt(random.nextBoolean() ? BPF_LD | BPF_MEM : BPF_LDX | BPF_MEM,
                        random.nextInt(BPF_MEMWORDS));
                case 8 -> SockFilter.stmt(BPF_LD | SIZES[random.nextInt(3)] | BPF_ABS,
                        SKF_AD_OFF + SKF_AD_MAX + random.nextInt(0, 0x1000 - SKF_AD_MAX));
                default -> SockFilter.stmt(BPF_LD | BPF_IMM, constant());
            };
            program.set(random.nextInt(9) == 0 ? n - 1 : pc, broken);
        }
    }
}

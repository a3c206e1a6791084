package dev.ringspec.bpfcheck;

import static dev.ringspec.uapi.Filter.BPF_JA;
import static dev.ringspec.uapi.Filter.BPF_JMP;

import dev.ringspec.uapi.Filter;
import dev.ringspec.uapi.SockFilter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Shrinks a differing case to a small one that still differs the same way, as the ring lockstep's shrinker does
 * with steps: every candidate is checked from scratch on both sides, passes repeat until nothing changes or the
 * budget is spent, and candidates come in a fixed order, so the result is deterministic. Passes: delete chunks of
 * instructions (halves down to single ones), fixing every jump over a deleted instruction so it still lands on the
 * same one; simplify each instruction (K closer to zero, jump offsets to 0); shorten the packet and zero its bytes.
 */
public final class BpfShrinker {
    private final Predicate<BpfCase> stillDiffers;
    private final long budgetNanos;

    /** {@code stillDiffers} runs a candidate on both sides and says whether it differs as the original did. */
    public BpfShrinker(Predicate<BpfCase> stillDiffers, Duration budget) {
        this.stillDiffers = stillDiffers;
        this.budgetNanos = budget.toNanos();
    }

    /** The shrunk case, how many candidates it took, and whether the budget ran out. */
    public record Result(BpfCase shrunk, int candidates, boolean timedOut) {
    }

    public Result shrink(BpfCase original) {
        long start = System.nanoTime();
        BpfCase current = new BpfCase(0, original.program(), original.packet());
        int[] candidates = {0};
        boolean changed = true;
        while (changed && !expired(start)) {
            changed = false;
            // Pass 1: delete chunks of instructions, halves first, down to single ones.
            for (int size = Math.max(1, current.program().size() / 2); size >= 1 && !expired(start); size /= 2) {
                int i = 0;
                while (i < current.program().size() && !expired(start)) {
                    BpfCase candidate = current.withProgram(deleteRange(current.program(), i, size));
                    if (accept(candidate, candidates)) {
                        current = candidate;
                        changed = true;
                    } else {
                        i += size;
                    }
                }
            }
            // Pass 2: simplify each instruction.
            for (int pc = 0; pc < current.program().size() && !expired(start); pc++) {
                for (SockFilter simpler : simplifications(current.program().get(pc))) {
                    List<SockFilter> program = new ArrayList<>(current.program());
                    program.set(pc, simpler);
                    BpfCase candidate = current.withProgram(program);
                    if (accept(candidate, candidates)) {
                        current = candidate;
                        changed = true;
                        break;
                    }
                }
            }
            // Pass 3: a shorter packet, then fewer non-zero bytes.
            for (byte[] packet : shorterPackets(current.packet())) {
                if (expired(start)) {
                    break;
                }
                BpfCase candidate = current.withPacket(packet);
                if (accept(candidate, candidates)) {
                    current = candidate;
                    changed = true;
                    break;
                }
            }
        }
        return new Result(current, candidates[0], expired(start));
    }

    private boolean accept(BpfCase candidate, int[] candidates) {
        candidates[0]++;
        return stillDiffers.test(candidate);
    }

    private boolean expired(long start) {
        return System.nanoTime() - start > budgetNanos;
    }

    /** {@code program} without instructions {@code from} to {@code from + count - 1}, jumps over them fixed. */
    static List<SockFilter> deleteRange(List<SockFilter> program, int from, int count) {
        List<SockFilter> out = program;
        for (int d = Math.min(program.size(), from + count) - 1; d >= from; d--) {
            out = delete(out, d);
        }
        return out;
    }

    /**
     * {@code program} without instruction {@code d}: a jump before it whose target lies after it is shortened by
     * one, so it lands on the same instruction (a target one past the end stays one past the end); a jump to
     * {@code d} itself now lands on what followed it. JA offsets that point nowhere (beyond one past the end) are
     * left as they are, as are jumps after {@code d}.
     */
    static List<SockFilter> delete(List<SockFilter> program, int d) {
        int n = program.size();
        List<SockFilter> out = new ArrayList<>(n - 1);
        for (int pc = 0; pc < n; pc++) {
            if (pc == d) {
                continue;
            }
            SockFilter insn = program.get(pc);
            if (pc < d && Filter.bpfClass(insn.code()) == BPF_JMP) {
                if (Filter.bpfOp(insn.code()) == BPF_JA) {
                    long target = pc + 1 + Integer.toUnsignedLong(insn.k());
                    if (target > d && target <= n) {
                        insn = SockFilter.jump(insn.code(), insn.k() - 1, insn.jt(), insn.jf());
                    }
                } else {
                    int jt = pc + 1 + insn.jt() > d ? insn.jt() - 1 : insn.jt();
                    int jf = pc + 1 + insn.jf() > d ? insn.jf() - 1 : insn.jf();
                    insn = new SockFilter(insn.code(), jt, jf, insn.k());
                }
            }
            out.add(insn);
        }
        return out;
    }

    /** Simpler forms of one instruction, simplest first: K closer to zero, then each jump offset 0. */
    static List<SockFilter> simplifications(SockFilter insn) {
        List<SockFilter> out = new ArrayList<>();
        for (int k : smaller(insn.k())) {
            out.add(new SockFilter(insn.code(), insn.jt(), insn.jf(), k));
        }
        if (insn.jt() != 0) {
            out.add(new SockFilter(insn.code(), 0, insn.jf(), insn.k()));
        }
        if (insn.jf() != 0) {
            out.add(new SockFilter(insn.code(), insn.jt(), 0, insn.k()));
        }
        return out;
    }

    /** 32-bit values closer to zero (as signed numbers) than {@code k}, closest first. */
    static List<Integer> smaller(int k) {
        Set<Integer> out = new LinkedHashSet<>(List.of(0, 1, -1, k / 2, k > 0 ? k - 1 : k + 1));
        out.removeIf(x -> Math.abs((long) x) >= Math.abs((long) k));
        return List.copyOf(out);
    }

    /** Shorter packets (empty, half, one byte less), then the packet with its first or second half zeroed. */
    static List<byte[]> shorterPackets(byte[] packet) {
        List<byte[]> out = new ArrayList<>();
        int n = packet.length;
        for (int length : new LinkedHashSet<>(List.of(0, n / 2, n - 1))) {
            if (length >= 0 && length < n) {
                out.add(Arrays.copyOf(packet, length));
            }
        }
        for (int[] half : new int[][] {{0, n / 2}, {n / 2, n}}) {
            byte[] zeroed = packet.clone();
            Arrays.fill(zeroed, half[0], half[1], (byte) 0);
            if (!Arrays.equals(zeroed, packet)) {
                out.add(zeroed);
            }
        }
        for (int i = 0; i < n && out.size() < 64; i++) {
            if (packet[i] != 0) {
                byte[] zeroed = packet.clone();
                zeroed[i] = 0;
                out.add(zeroed);
            }
        }
        return out;
    }
}

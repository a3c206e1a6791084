package dev.ringspec.lockstep;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shrinks a diverging sequence to a small one that still diverges the same way (the same kind of step and the same
 * field, {@link Divergence#signature()}). Every candidate is run from scratch on both backends. Passes: delete
 * chunks (halves down to single steps), then simplify each step's arguments (smaller rings, fewer flags, smaller
 * counts, small user_data), until nothing changes or the time budget is spent. Candidates are tried in a fixed
 * order, so the result is deterministic for deterministic backends.
 */
final class Shrinker {
    /** Pairs of distant steps are tried for deletion only below this length (quadratic). */
    private static final int PAIR_LIMIT = 40;

    private final LockstepRunner runner;
    private final long budgetNanos;

    Shrinker(LockstepRunner runner, Duration budget) {
        this.runner = runner;
        this.budgetNanos = budget.toNanos();
    }

    /** The shrunk case: its steps, its divergence, how many runs it took, and whether the budget ran out. */
    record Result(List<Op> ops, Divergence divergence, int candidates, boolean timedOut, long nanos) {
    }

    Result shrink(List<Op> ops, Divergence original) {
        long start = System.nanoTime();
        String signature = original.signature();
        List<Op> current = List.copyOf(ops.subList(0, original.step() + 1));
        Divergence divergence = original;
        int candidates = 0;
        boolean changed = true;
        while (changed && !expired(start)) {
            changed = false;
            // Pass 1: delete chunks, halves first, down to single steps.
            for (int size = Math.max(1, current.size() / 2); size >= 1 && !expired(start); size /= 2) {
                int i = 0;
                while (i < current.size() && !expired(start)) {
                    List<Op> candidate = new ArrayList<>(current.subList(0, i));
                    candidate.addAll(current.subList(Math.min(current.size(), i + size), current.size()));
                    candidates++;
                    LockstepRunner.Outcome o = candidate.isEmpty() ? null : runner.run(candidate, null);
                    if (o != null && o.diverged() && o.divergence().signature().equals(signature)) {
                        current = o.ops();
                        divergence = o.divergence();
                        changed = true;
                    } else {
                        i += size;
                    }
                }
            }
            // Pass 1b: merge adjacent counter moves (publishTail +a, +b -> +(a+b)), then delete pairs of steps
            // that only matter together (a publish and the enter that consumes it).
            for (int i = 0; i + 1 < current.size() && !expired(start); i++) {
                Op merged = merge(current.get(i), current.get(i + 1));
                if (merged == null) {
                    continue;
                }
                List<Op> candidate = new ArrayList<>(current.subList(0, i));
                candidate.add(merged);
                candidate.addAll(current.subList(i + 2, current.size()));
                candidates++;
                LockstepRunner.Outcome o = runner.run(candidate, null);
                if (o.diverged() && o.divergence().signature().equals(signature)) {
                    current = o.ops();
                    divergence = o.divergence();
                    changed = true;
                    i--;
                }
            }
            if (current.size() <= PAIR_LIMIT) {
                pairs:
                for (int i = 0; i < current.size(); i++) {
                    for (int j = i + 2; j < current.size(); j++) {
                        if (expired(start)) {
                            break pairs;
                        }
                        List<Op> candidate = new ArrayList<>(current);
                        candidate.remove(j);
                        candidate.remove(i);
                        candidates++;
                        LockstepRunner.Outcome o = candidate.isEmpty() ? null : runner.run(candidate, null);
                        if (o != null && o.diverged() && o.divergence().signature().equals(signature)) {
                            current = o.ops();
                            divergence = o.divergence();
                            changed = true;
                            j = i + 1;
                        }
                    }
                }
            }
            // Pass 2: simplify each step's arguments.
            for (int i = 0; i < current.size() && !expired(start); i++) {
                boolean improved = true;
                while (improved && i < current.size() && !expired(start)) {
                    improved = false;
                    for (Op simpler : simplifications(current.get(i))) {
                        if (expired(start)) {
                            break;
                        }
                        List<Op> candidate = new ArrayList<>(current);
                        candidate.set(i, simpler);
                        candidates++;
                        LockstepRunner.Outcome o = runner.run(candidate, null);
                        if (o.diverged() && o.divergence().signature().equals(signature)) {
                            current = o.ops();
                            divergence = o.divergence();
                            changed = true;
                            improved = true;
                            break;
                        }
                    }
                }
            }
            // Pass 3: renumber user_data to 1, 2, 3... in order of first appearance.
            List<Op> renumbered = renumberUserData(current);
            if (!renumbered.equals(current) && !expired(start)) {
                candidates++;
                LockstepRunner.Outcome o = runner.run(renumbered, null);
                if (o.diverged() && o.divergence().signature().equals(signature)) {
                    current = o.ops();
                    divergence = o.divergence();
                }
            }
        }
        return new Result(current, divergence, candidates, expired(start), System.nanoTime() - start);
    }

    /** Two adjacent steps as one, or null: counter moves add up. */
    static Op merge(Op a, Op b) {
        return switch (a) {
            case Op.PublishTail(int x) when b instanceof Op.PublishTail(int y) -> new Op.PublishTail(x + y);
            case Op.MoveCqHead(int x) when b instanceof Op.MoveCqHead(int y) -> new Op.MoveCqHead(x + y);
            case Op.MoveSqHead(int x) when b instanceof Op.MoveSqHead(int y) -> new Op.MoveSqHead(x + y);
            case Op.ConsumeCqes(int x, boolean p) when b instanceof Op.ConsumeCqes(int y, boolean q) && p == q ->
                new Op.ConsumeCqes(x + y, p);
            default -> null;
        };
    }

    private boolean expired(long start) {
        return System.nanoTime() - start > budgetNanos;
    }

    static List<Op> renumberUserData(List<Op> ops) {
        Map<Long, Long> map = new HashMap<>();
        List<Op> out = new ArrayList<>(ops.size());
        for (Op op : ops) {
            if (op instanceof Op.WriteSqe w) {
                long ud = map.computeIfAbsent(w.userData(), k -> (long) map.size() + 1);
                out.add(new Op.WriteSqe(w.slot(), w.opcode(), w.flags(), w.ioprio(), w.fd(), w.off(), w.addr(),
                        w.len(), w.opFlags(), ud, w.bufIndex(), w.personality()));
            } else {
                out.add(op);
            }
        }
        return out;
    }

    /** Simpler variants of one step, simplest first. */
    static List<Op> simplifications(Op op) {
        List<Op> out = new ArrayList<>();
        switch (op) {
            case Op.Setup s -> {
                for (int e : smaller(s.entries())) {
                    out.add(new Op.Setup(e, s.flags(), s.cqEntries()));
                }
                for (int f : fewerBits(s.flags())) {
                    out.add(new Op.Setup(s.entries(), f, s.cqEntries()));
                }
                for (int c : smaller(s.cqEntries())) {
                    out.add(new Op.Setup(s.entries(), s.flags(), c));
                }
            }
            case Op.WriteSqe w -> {
                for (int slot : smaller(w.slot())) {
                    out.add(new Op.WriteSqe(slot, w.opcode(), w.flags(), w.ioprio(), w.fd(), w.off(), w.addr(),
                            w.len(), w.opFlags(), w.userData(), w.bufIndex(), w.personality()));
                }
                if (w.opcode() != 0) {
                    out.add(with(w, 0, w.flags(), w.ioprio(), w.fd(), w.off(), w.addr(), w.len(), w.opFlags(),
                            w.bufIndex(), w.personality()));
                }
                for (int f : fewerBits(w.flags())) {
                    out.add(with(w, w.opcode(), f, w.ioprio(), w.fd(), w.off(), w.addr(), w.len(), w.opFlags(),
                            w.bufIndex(), w.personality()));
                }
                for (int f : fewerBits(w.opFlags())) {
                    out.add(with(w, w.opcode(), w.flags(), w.ioprio(), w.fd(), w.off(), w.addr(), w.len(), f,
                            w.bufIndex(), w.personality()));
                }
                if (w.ioprio() != 0) {
                    out.add(with(w, w.opcode(), w.flags(), 0, w.fd(), w.off(), w.addr(), w.len(), w.opFlags(),
                            w.bufIndex(), w.personality()));
                }
                for (int fd : smaller(w.fd())) {
                    out.add(with(w, w.opcode(), w.flags(), w.ioprio(), fd, w.off(), w.addr(), w.len(), w.opFlags(),
                            w.bufIndex(), w.personality()));
                }
                if (w.off() != 0 || w.addr() != 0) {
                    out.add(with(w, w.opcode(), w.flags(), w.ioprio(), w.fd(), 0, 0, w.len(), w.opFlags(),
                            w.bufIndex(), w.personality()));
                }
                for (int len : smaller(w.len())) {
                    out.add(with(w, w.opcode(), w.flags(), w.ioprio(), w.fd(), w.off(), w.addr(), len, w.opFlags(),
                            w.bufIndex(), w.personality()));
                }
                for (int b : smaller(w.bufIndex())) {
                    out.add(with(w, w.opcode(), w.flags(), w.ioprio(), w.fd(), w.off(), w.addr(), w.len(),
                            w.opFlags(), b, w.personality()));
                }
                if (w.personality() != 0) {
                    out.add(with(w, w.opcode(), w.flags(), w.ioprio(), w.fd(), w.off(), w.addr(), w.len(),
                            w.opFlags(), w.bufIndex(), 0));
                }
            }
            case Op.WriteArray a -> {
                for (int p : smaller(a.position())) {
                    out.add(new Op.WriteArray(p, a.value()));
                }
                for (int v : smaller(a.value())) {
                    out.add(new Op.WriteArray(a.position(), v));
                }
            }
            case Op.PublishTail p -> {
                for (int d : smaller(p.delta())) {
                    out.add(new Op.PublishTail(d));
                }
            }
            case Op.Enter e -> {
                for (int t : smaller(e.toSubmit())) {
                    out.add(new Op.Enter(t, e.minComplete(), e.flags()));
                }
                for (int m : smaller(e.minComplete())) {
                    out.add(new Op.Enter(e.toSubmit(), m, e.flags()));
                }
                for (int f : fewerBits(e.flags())) {
                    out.add(new Op.Enter(e.toSubmit(), e.minComplete(), f));
                }
            }
            case Op.ConsumeCqes c -> {
                for (int n : smaller(c.count())) {
                    out.add(new Op.ConsumeCqes(n, c.perSlot()));
                }
                if (c.perSlot()) {
                    out.add(new Op.ConsumeCqes(c.count()));
                }
            }
            case Op.MoveCqHead m -> {
                for (int d : smaller(m.delta())) {
                    out.add(new Op.MoveCqHead(d));
                }
            }
            case Op.MoveSqHead m -> {
                for (int d : smaller(m.delta())) {
                    out.add(new Op.MoveSqHead(d));
                }
            }
            case Op.RegisterFiles r -> {
                for (int n : smaller(r.count())) {
                    out.add(new Op.RegisterFiles(n, r.sparse(), r.pattern()));
                }
                if (r.pattern() != 0) {
                    out.add(new Op.RegisterFiles(r.count(), r.sparse(), 0));
                }
            }
            case Op.UpdateFiles u -> {
                for (int o : smaller(u.offset())) {
                    out.add(new Op.UpdateFiles(o, u.count(), u.pattern()));
                }
                for (int n : smaller(u.count())) {
                    out.add(new Op.UpdateFiles(u.offset(), n, u.pattern()));
                }
                if (u.pattern() != 0) {
                    out.add(new Op.UpdateFiles(u.offset(), u.count(), 0));
                }
            }
            case Op.RegisterBuffers b -> {
                for (int n : smaller(b.count())) {
                    out.add(new Op.RegisterBuffers(n, b.lengthBytes()));
                }
                for (int n : smaller(b.lengthBytes())) {
                    out.add(new Op.RegisterBuffers(b.count(), n));
                }
            }
            case Op.Resize r -> {
                for (int n : smaller(r.sqEntries())) {
                    out.add(new Op.Resize(n, r.cqEntries(), r.flags()));
                }
                for (int n : smaller(r.cqEntries())) {
                    out.add(new Op.Resize(r.sqEntries(), n, r.flags()));
                }
                for (int f : fewerBits(r.flags())) {
                    out.add(new Op.Resize(r.sqEntries(), r.cqEntries(), f));
                }
            }
            case Op.Probe pr -> {
                for (int n : smaller(pr.nrArgs())) {
                    out.add(new Op.Probe(n));
                }
            }
            case Op.OnOtherThread o -> {
                out.add(o.op());
                for (Op inner : simplifications(o.op())) {
                    out.add(new Op.OnOtherThread(inner));
                }
            }
            case Op.UnregisterFiles u -> {
            }
            case Op.UnregisterBuffers u -> {
            }
            case Op.EnableRings e -> {
            }
        }
        return out;
    }

    private static Op.WriteSqe with(Op.WriteSqe w, int opcode, int flags, int ioprio, int fd, long off, long addr,
            int len, int opFlags, int bufIndex, int personality) {
        return new Op.WriteSqe(w.slot(), opcode, flags, ioprio, fd, off, addr, len, opFlags, w.userData(), bufIndex,
                personality);
    }

    /** Values closer to zero than {@code v}, closest to zero first. */
    static List<Integer> smaller(int v) {
        Set<Integer> out = new LinkedHashSet<>();
        if (v == 0) {
            return List.of();
        }
        out.add(0);
        if (v > 0) {
            out.add(1);
            out.add(v / 2);
            out.add(v - 1);
        } else if (v != Integer.MIN_VALUE) {
            out.add(-1);
            out.add(v / 2);
            out.add(v + 1);
        } else {
            out.add(-1);
        }
        out.remove(v);
        out.removeIf(x -> Math.abs((long) x) >= Math.abs((long) v));
        return List.copyOf(out);
    }

    /** {@code flags} with one set bit cleared, lowest bit first. */
    static List<Integer> fewerBits(int flags) {
        List<Integer> out = new ArrayList<>();
        for (int bit = 0; bit < 32; bit++) {
            if ((flags & (1 << bit)) != 0) {
                out.add(flags & ~(1 << bit));
            }
        }
        return out;
    }
}

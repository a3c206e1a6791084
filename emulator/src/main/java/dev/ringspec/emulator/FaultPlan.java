package dev.ringspec.emulator;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which faults an emulator injects, and when: each {@link Point} either with a probability per chance
 * ({@code short-read=0.25}) or at chosen chances, counted from 1 ({@code enter-eagain@2+5}: the second and fifth
 * enter). Written as one comma-separated string, for example
 * {@code "seed=7,cq-overflow=0.1,short-read@1,enter-eintr=0.5"}; {@link #parse} says exactly what is wrong with a
 * bad one. Every fault is something the kernel may do or a library must survive; none breaks a ring rule.
 */
public record FaultPlan(long seed, Map<Point, Rate> rates) {

    /** Where a fault can be injected. */
    public enum Point {
        /** {@code io_uring_enter} answers -EAGAIN and submits nothing (no request could be allocated). */
        ENTER_EAGAIN("enter-eagain"),
        /** A GETEVENTS wait is interrupted by a signal: -EINTR, or the submitted count if it submitted any. */
        ENTER_EINTR("enter-eintr"),
        /** An enter submits fewer SQEs than asked (at least one), as when allocation fails part-way. */
        PARTIAL_SUBMIT("partial-submit"),
        /** A read or receive transfers fewer bytes than it could (at least one). */
        SHORT_READ("short-read"),
        /** A write or send transfers fewer bytes than it could (at least one). */
        SHORT_WRITE("short-write"),
        /** A CQE finds no slot, as on a full CQ: it overflows, and the library must flush the overflow list. */
        CQ_OVERFLOW("cq-overflow"),
        /** A completion from another thread (io-wq, a poll, a timer) reaches the ring one enter later. */
        DELAY_COMPLETION("delay"),
        /** Completions from other threads that are ready together reach the ring in a shuffled order. */
        REORDER_COMPLETIONS("reorder");

        private final String key;

        Point(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    /** A probability per chance, and chosen chances (1-based). */
    public record Rate(double probability, Set<Long> at) {
        public Rate {
            at = Set.copyOf(at);
        }
    }

    /** No faults. */
    public static final FaultPlan NONE = new FaultPlan(0, Map.of());

    public FaultPlan {
        rates = Map.copyOf(rates);
    }

    public boolean isEmpty() {
        return rates.isEmpty();
    }

    /**
     * Parses {@code "seed=N,point=probability,point@n+n,..."}; the empty string is {@link #NONE}.
     *
     * @throws IllegalArgumentException naming the bad part and what would be right
     */
    public static FaultPlan parse(String text) {
        Objects.requireNonNull(text, "text");
        long seed = 0;
        Map<Point, Rate> rates = new EnumMap<>(Point.class);
        for (String raw : text.split(",")) {
            String part = raw.trim();
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            int atSign = part.indexOf('@');
            String key = part.substring(0, eq >= 0 ? eq : atSign >= 0 ? atSign : part.length()).trim()
                    .toLowerCase(Locale.ROOT);
            if (key.equals("seed")) {
                seed = number(part, eq, "seed=N (a whole number)");
                continue;
            }
            Point point = point(key, part);
            if (rates.containsKey(point)) {
                throw new IllegalArgumentException("fault '" + key + "' is given twice in \"" + text + "\"");
            }
            if (eq >= 0) {
                double p = probability(part.substring(eq + 1).trim(), part);
                rates.put(point, new Rate(p, Set.of()));
            } else if (atSign >= 0) {
                Set<Long> at = new TreeSet<>();
                for (String n : part.substring(atSign + 1).split("\\+")) {
                    long v = number(n.trim(), -1, key + "@N[+N...] (chances counted from 1)");
                    if (v < 1) {
                        throw new IllegalArgumentException("'" + part + "': chances are counted from 1");
                    }
                    at.add(v);
                }
                rates.put(point, new Rate(0, at));
            } else {
                throw new IllegalArgumentException("'" + part + "' needs a probability (" + key + "=0.1) or chances ("
                        + key + "@1+3)");
            }
        }
        return new FaultPlan(seed, rates);
    }

    private static Point point(String key, String part) {
        for (Point p : Point.values()) {
            if (p.key().equals(key)) {
                return p;
            }
        }
        StringBuilder known = new StringBuilder("seed");
        for (Point p : Point.values()) {
            known.append(", ").append(p.key());
        }
        throw new IllegalArgumentException("unknown fault '" + key + "' in '" + part + "'; known: " + known);
    }

    private static long number(String part, int eq, String form) {
        String n = eq >= 0 ? part.substring(eq + 1).trim() : part;
        try {
            return Long.parseLong(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + part + "' is not " + form, e);
        }
    }

    private static double probability(String n, String part) {
        double p;
        try {
            p = Double.parseDouble(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + part + "': a probability is a number from 0 to 1", e);
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("'" + part + "': a probability is a number from 0 to 1");
        }
        return p;
    }

    /** The plan as {@link #parse} reads it. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("seed=").append(seed);
        for (Point p : Point.values()) {
            Rate r = rates.get(p);
            if (r == null) {
                continue;
            }
            s.append(',').append(p.key());
            if (r.at().isEmpty()) {
                s.append('=').append(r.probability());
            } else {
                s.append('@').append(String.join("+", new TreeSet<>(r.at()).stream().map(String::valueOf).toList()));
            }
        }
        return s.toString();
    }
}

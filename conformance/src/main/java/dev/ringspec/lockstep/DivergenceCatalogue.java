package dev.ringspec.lockstep;

import static dev.ringspec.uapi.IoUring.IORING_CQE_F_32;
import static dev.ringspec.uapi.IoUring.IORING_SQ_CQ_OVERFLOW;
import static dev.ringspec.uapi.IoUring.IORING_SQ_TASKRUN;

import dev.ringspec.seam.RingObservation;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import dev.ringspec.invariants.RingInvariant;
import dev.ringspec.invariants.Violation;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.U32;
import dev.ringspec.uapi.Errno;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every confirmed difference between the kernel and the intended semantics, recorded once (TigerBeetle style),
 * in {@code divergence-catalogue.json}. A divergence whose signature matches an entry is reported as catalogued;
 * any other is new. Nothing is ever skipped silently: catalogued divergences are still reported, apart.
 */
public record DivergenceCatalogue(List<Entry> entries) {
    public static final String RESOURCE = "/divergence-catalogue.json";

    public DivergenceCatalogue {
        entries = List.copyOf(entries);
        for (Entry e : entries) {
            if (e.matcher() != null && !MATCHERS.containsKey(e.matcher())) {
                throw new IllegalArgumentException("catalogue entry " + e.id() + " names an unknown matcher '"
                        + e.matcher() + "'; known: " + MATCHERS.keySet());
            }
        }
    }

    /**
     * One confirmed difference.
     *
     * @param id a short stable name
     * @param signature the {@link Divergence#signature()} it matches (kind of step and field); alternatives are
     *     separated by {@code |}; {@code *} matches any (for an entry whose matcher alone is precise)
     * @param kernelVersions the kernel releases that show it, for example {@code "6.18.0 - 6.18.44"}
     * @param observed what the kernel does
     * @param intended what the specification says
     * @param evidence where this was established (kernel source, commit, man page, experiment)
     * @param replay the minimal replay file name
     * @param wrongSide {@code "kernel"} or {@code "model"}
     * @param why why that side is judged wrong
     * @param whenReferenceSqFlags if set, the entry matches only where these bits are set in the reference
     *     ring's SQ flags before or after the step (for example {@code IORING_SQ_CQ_OVERFLOW}: an overflow list that
     *     a GETEVENTS flush empties in the same step counts), so a broad signature does not hide other divergences
     * @param whenOnlySubjectShows if set, the entry matches only where the subject's value contains this text
     *     and the reference's does not (for example {@code "big ["}: a 32-byte CQE payload only the kernel shows)
     * @param matcher if set, the name of one more condition written in code ({@link #MATCHERS}), for a difference
     *     that only the ring states tell apart from others with the same signature
     * @param carryOver if set, the ring words ({@code SqFlags}, {@code CqFlags}) the engine copies from the subject
     *     into the reference when this entry matches, after which it compares the step again and the run goes on:
     *     what follows a known difference is still checked. Empty or null: the run ends at the difference.
     * @param invariants the stated invariants ({@link RingInvariant}) the kernel breaks when it shows this entry's
     *     behaviour, each {@code NAME} or {@code NAME~regex}, the regex to be found in the violation's detail
     */
    public record Entry(String id, String signature, String kernelVersions, String observed, String intended,
            String evidence, String replay, String wrongSide, String why, Integer whenReferenceSqFlags,
            String whenOnlySubjectShows, String matcher, List<String> carryOver, List<String> invariants) {
        public Entry {
            carryOver = carryOver == null ? List.of() : List.copyOf(carryOver);
            invariants = invariants == null ? List.of() : List.copyOf(invariants);
            for (String invariant : invariants) {
                RingInvariant.valueOf(invariant.split("~", 2)[0]);
            }
            for (String word : carryOver) {
                if (!CARRIABLE_WORDS.contains(word)) {
                    throw new IllegalArgumentException("catalogue entry " + id + " carries over '" + word
                            + "', which the engine cannot copy; it can copy " + CARRIABLE_WORDS);
                }
            }
        }

        /** An entry that names no invariant. */
        public Entry(String id, String signature, String kernelVersions, String observed, String intended,
                String evidence, String replay, String wrongSide, String why, Integer whenReferenceSqFlags,
                String whenOnlySubjectShows, String matcher, List<String> carryOver) {
            this(id, signature, kernelVersions, observed, intended, evidence, replay, wrongSide, why,
                    whenReferenceSqFlags, whenOnlySubjectShows, matcher, carryOver, null);
        }

        /**
         * Whether the kernel breaking {@code v} is this entry's behaviour: one of its {@code invariants} names it
         * (and its regex, if any, is found in the detail), and, for the {@code kernelUsesStaleCqeCache} matcher,
         * the reference model had seen the kernel use its stale CQE range on the ring by then (for
         * {@code drainStalledBySequence}: had seen a 6.1 or 6.12 drain passed by the CQ tail, where the kernel
         * stalls).
         */
        boolean explains(Violation v, Set<String> referenceNotes) {
            if ("kernelUsesStaleCqeCache".equals(matcher)
                    && !referenceNotes.contains(LockstepRunner.KERNEL_USES_STALE_CQE_CACHE)) {
                return false;
            }
            if (LockstepRunner.DRAIN_STALLED_BY_SEQUENCE.equals(matcher)
                    && !referenceNotes.contains(LockstepRunner.DRAIN_STALLED_BY_SEQUENCE)) {
                return false;
            }
            for (String invariant : invariants) {
                String[] parts = invariant.split("~", 2);
                if (parts[0].equals(v.invariant().name())
                        && (parts.length == 1 || Pattern.compile(parts[1]).matcher(v.detail()).find())) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The first entry whose {@code invariants} explain a violation the kernel showed. */
    public Optional<Entry> matchInvariant(Violation v, Set<String> referenceNotes) {
        return entries.stream().filter(e -> e.explains(v, referenceNotes)).findFirst();
    }

    /** The ring words a catalogue entry may carry over. */
    static final List<String> CARRIABLE_WORDS = List.of("SqFlags", "CqFlags");

    /**
     * Conditions too specific for the entry fields, by name. {@code kernelUsesStaleCqeCache}: the reference model
     * saw the kernel take a CQE slot from the stale cached range Linux 6.18 keeps after a failed refill (see
     * {@link Divergence#referenceNotes()}). The others are described where they are defined.
     */
    static final Map<String, Predicate<Divergence>> MATCHERS = Map.of(
            "kernelUsesStaleCqeCache",
            d -> d.referenceNotes().contains(LockstepRunner.KERNEL_USES_STALE_CQE_CACHE),
            "bigCqeOnlyTheKernelShows",
            DivergenceCatalogue::bigCqeOnlyTheKernelShows,
            "pendingEntriesStraddleTheCounterWrap",
            DivergenceCatalogue::pendingEntriesStraddleTheCounterWrap,
            "sqArrayZeroAfterResize",
            DivergenceCatalogue::sqArrayZeroAfterResize,
            "sqHeadTheApplicationWrote",
            DivergenceCatalogue::sqHeadTheApplicationWrote,
            "bigCqeWrapsTheResizedRing",
            DivergenceCatalogue::bigCqeWrapsTheResizedRing,
            LockstepRunner.DRAIN_STALLED_BY_SEQUENCE,
            DivergenceCatalogue::drainStalledBySequence,
            LockstepRunner.EVENTFD_SIGNAL_LOST,
            DivergenceCatalogue::eventfdSignalLost,
            LockstepRunner.SPLICE_RESTART_IN_CQE,
            DivergenceCatalogue::spliceRestartInCqe);

    /** The kernel's internal ERESTARTSYS (include/linux/errno.h), which no CQE should hold. */
    private static final int ERESTARTSYS = 512;

    /**
     * {@code spliceRestartInCqe}: the reference ended an interrupted io-wq SPLICE or TEE -EINTR on this ring where
     * the kernel (after 6.12) puts the call's -ERESTARTSYS in the CQE, and the CQEs differ only there: the same
     * CQEs in the same order, each pair equal or the reference's -EINTR where the subject's is -512.
     */
    private static boolean spliceRestartInCqe(Divergence d) {
        if (!d.referenceNotes().contains(LockstepRunner.SPLICE_RESTART_IN_CQE) || !"CQEs".equals(d.field())) {
            return false;
        }
        List<Cqe> r = Divergence.visibleCqes(d.reference());
        List<Cqe> s = Divergence.visibleCqes(d.subject());
        if (r.size() != s.size()) {
            return false;
        }
        boolean restart = false;
        for (int i = 0; i < r.size(); i++) {
            Cqe a = r.get(i);
            Cqe b = s.get(i);
            if (a.equals(b)) {
                continue;
            }
            if (a.userData() != b.userData() || a.flags() != b.flags() || a.res() != -Errno.EINTR
                    || b.res() != -ERESTARTSYS) {
                return false;
            }
            restart = true;
        }
        return restart;
    }

    /**
     * {@code drainStalledBySequence}: the referee saw a 6.1 or 6.12 drain passed by the CQ tail on this ring (where
     * the kernel stalls and the model runs the drain once the requests before it are freed), and the reference
     * posted CQEs the subject did not: its CQ tail is ahead with the heads equal, or it overflowed more, or only it
     * flags an overflow or task work (the released drain, waiting on a DEFER_TASKRUN ring for its enter).
     */
    private static boolean drainStalledBySequence(Divergence d) {
        if (!d.referenceNotes().contains(LockstepRunner.DRAIN_STALLED_BY_SEQUENCE)) {
            return false;
        }
        RingObservation r = d.reference();
        RingObservation s = d.subject();
        return switch (d.field()) {
            case "CqTail" -> r.cqHead() == s.cqHead() && U32.distance(r.cqTail(), s.cqTail()) > 0;
            case "CqOverflow" -> Integer.compareUnsigned(r.cqOverflow(), s.cqOverflow()) > 0;
            case "SqFlags" -> (s.sqFlags() & ~r.sqFlags()) == 0 && (r.sqFlags() & ~s.sqFlags()) != 0
                    && (r.sqFlags() & ~s.sqFlags() & ~(IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN)) == 0;
            default -> false;
        };
    }

    /**
     * {@code eventfdSignalLost}: the reference deferred an eventfd signal on this ring that 6.12 to 7.0 drop (its
     * second or later from inside an eventfd's wakeup), and the difference is what the dropped signal leaves: the
     * application's read of the world's eventfd finds a larger count on the reference (a {@code Result}: the count,
     * or -EAGAIN where the kernel's is 0), or only the reference posted CQEs (a request waiting on the eventfd that the
     * signal woke): its CQ tail ahead with the heads equal.
     */
    private static boolean eventfdSignalLost(Divergence d) {
        if (!d.referenceNotes().contains(LockstepRunner.EVENTFD_SIGNAL_LOST)) {
            return false;
        }
        RingObservation r = d.reference();
        RingObservation s = d.subject();
        return switch (d.field()) {
            case "Result" -> d.op().effective() instanceof Step.Outside o && o.action() == Step.Outside.READ
                    && o.target() == OutsideWorld.EVENTFD && r.result() > s.result();
            case "CqTail" -> r.cqHead() == s.cqHead() && U32.distance(r.cqTail(), s.cqTail()) > 0;
            default -> false;
        };
    }

    /**
     * {@code bigCqeWrapsTheResizedRing}: for a {@code Result} difference, the reference refused a resize with
     * -EOVERFLOW where the subject resized, and the subject's new ring holds a pending 32-byte CQE (F_32) that starts
     * in its last slot, so it wraps.
     */
    private static boolean bigCqeWrapsTheResizedRing(Divergence d) {
        RingObservation s = d.subject();
        if (!d.field().equals("Result") || d.reference().result() != -Errno.EOVERFLOW || s.result() < 0) {
            return false;
        }
        int last = s.cqEntries() - 1;
        for (int counter = s.cqHead(); counter != s.cqTail(); counter++) {
            if ((counter & last) == last && (s.cqSlots().get(last).flags() & IORING_CQE_F_32) != 0
                    && counter + 1 != s.cqTail()) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code sqHeadTheApplicationWrote}: after a resize the subject's sq.head is not the reference's (which is the
     * kernel's own head), and for a {@code Result} difference the subject answered -EOVERFLOW where the reference
     * resized, with more SQEs between its sq.head and the tail than the new SQ holds: the kernel measured the
     * pending SQEs from the sq.head the application wrote.
     */
    private static boolean sqHeadTheApplicationWrote(Divergence d) {
        RingObservation r = d.reference();
        RingObservation s = d.subject();
        if (r.sqHead() == s.sqHead()) {
            return false;
        }
        if (d.field().equals("Result")) {
            return s.result() == -Errno.EOVERFLOW && r.result() == 0
                    && U32.distance(s.sqTail(), s.sqHead()) > r.sqEntries();
        }
        return d.field().equals("SqHead");
    }

    /**
     * {@code sqArrayZeroAfterResize}: a {@code PendingSqes} difference on a ring with an SQ array, where every pending
     * position's entry in the subject's new SQ array is 0: the array a resize left zeroed, so that every pending
     * entry names SQE 0.
     */
    private static boolean sqArrayZeroAfterResize(Divergence d) {
        List<Integer> sub = Comparison.pendingArray(d.subject());
        return d.field().equals("PendingSqes") && !sub.isEmpty() && sub.stream().allMatch(i -> i == 0);
    }

    /**
     * {@code pendingEntriesStraddleTheCounterWrap}: for a {@code CQEs} difference, the CQ head is numerically above
     * the tail on both sides (the pending range crosses 2^32), the counters agree, and every pending CQE the subject
     * shows is all zero bytes, as in a fresh ring nothing was copied into; for a {@code PendingSqes} difference, the
     * same of the SQ head and tail, with every pending SQE the subject shows zero (opcode 0, flags 0, user_data 0).
     */
    private static boolean pendingEntriesStraddleTheCounterWrap(Divergence d) {
        RingObservation r = d.reference();
        RingObservation s = d.subject();
        if (d.field().equals("PendingSqes")) {
            return Integer.compareUnsigned(r.sqHead(), r.sqTail()) > 0 && r.sqHead() == s.sqHead()
                    && r.sqTail() == s.sqTail()
                    && d.subjectValue().matches("\\[(\\{pos \\d+: opcode 0, flags 0x0, ud 0\\}(, )?)+\\]");
        }
        return Integer.compareUnsigned(r.cqHead(), r.cqTail()) > 0 && r.cqHead() == s.cqHead()
                && r.cqTail() == s.cqTail() && !Divergence.visibleCqes(s).isEmpty()
                && Divergence.visibleCqes(s).stream().allMatch(c -> c.userData() == 0 && c.res() == 0 && c.flags() == 0
                        && c.big0() == 0 && c.big1() == 0);
    }

    /**
     * {@code bigCqeOnlyTheKernelShows}: some CQE carries a 32-byte payload on the subject where the reference's CQE
     * in the same place, otherwise equal, carries none; every other CQE is equal.
     */
    private static boolean bigCqeOnlyTheKernelShows(Divergence d) {
        List<Cqe> ref = Divergence.visibleCqes(d.reference());
        List<Cqe> sub = Divergence.visibleCqes(d.subject());
        if (ref.size() != sub.size()) {
            return false;
        }
        boolean found = false;
        for (int i = 0; i < ref.size(); i++) {
            Cqe r = ref.get(i);
            Cqe s = sub.get(i);
            if (r.equals(s)) {
                continue;
            }
            boolean payloadOnly = r.userData() == s.userData() && r.res() == s.res() && r.flags() == s.flags()
                    && r.big0() == 0 && r.big1() == 0 && (s.big0() != 0 || s.big1() != 0);
            if (!payloadOnly) {
                return false;
            }
            found = true;
        }
        return found;
    }

    /**
     * The entries that can apply to a subject that is not a kernel (the emulator): those that blame the model.
     * An entry that blames the kernel describes a kernel's bug, which the emulator (following the model's intent,
     * as the model does) does not have; there a difference of that shape is the emulator's own, and new.
     */
    public DivergenceCatalogue withoutKernelBugs() {
        return new DivergenceCatalogue(entries.stream().filter(e -> !"kernel".equals(e.wrongSide())).toList());
    }

    public static DivergenceCatalogue empty() {
        return new DivergenceCatalogue(List.of());
    }

    /** The catalogue shipped with ringspec. */
    public static DivergenceCatalogue load() {
        try (InputStream in = DivergenceCatalogue.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the divergence catalogue " + RESOURCE + " is missing");
            }
            return new ObjectMapper().readValue(in, DivergenceCatalogue.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the divergence catalogue", e);
        }
    }

    public static DivergenceCatalogue load(Path file) {
        try {
            return new ObjectMapper().readValue(file.toFile(), DivergenceCatalogue.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the divergence catalogue " + file, e);
        }
    }

    public Optional<Entry> match(Divergence divergence) {
        return entries.stream()
                .filter(e -> e.signature().equals("*")
                        || List.of(e.signature().split("\\|")).contains(divergence.signature()))
                .filter(e -> e.whenReferenceSqFlags() == null
                        || (divergence.referenceSqFlagsBefore() & e.whenReferenceSqFlags()) == e.whenReferenceSqFlags()
                        || (divergence.reference().sqFlags() & e.whenReferenceSqFlags()) == e.whenReferenceSqFlags())
                .filter(e -> e.matcher() == null || MATCHERS.get(e.matcher()).test(divergence))
                .filter(e -> e.whenOnlySubjectShows() == null
                        || (divergence.subjectValue().contains(e.whenOnlySubjectShows())
                                && !divergence.referenceValue().contains(e.whenOnlySubjectShows())))
                .findFirst();
    }
}

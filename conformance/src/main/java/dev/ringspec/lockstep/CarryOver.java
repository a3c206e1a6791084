package dev.ringspec.lockstep;

/**
 * Carries a catalogued difference over so the run goes on: where a step's divergence matches a catalogue entry
 * with {@link DivergenceCatalogue.Entry#carryOver() carryOver} words, the subject's values of those words are
 * copied into the reference's ring (the application owns both flag words' memory), after which the step is
 * compared again. What follows a known difference is then still checked.
 */
final class CarryOver {
    private final DivergenceCatalogue catalogue;

    CarryOver(DivergenceCatalogue catalogue) {
        this.catalogue = catalogue;
    }

    /** The entry that {@code d} matches, whether or not the run may go on past it; or null. */
    DivergenceCatalogue.Entry catalogued(Divergence d) {
        return catalogue.match(d).orElse(null);
    }

    /** The entry that lets the run go on past {@code d}, having copied its words into the reference; or null. */
    DivergenceCatalogue.Entry apply(Divergence d, Side reference, Side subject) {
        DivergenceCatalogue.Entry entry = catalogue.match(d).orElse(null);
        if (entry == null || entry.carryOver().isEmpty() || !reference.hasRing() || !subject.hasRing()) {
            return null;
        }
        Counters s = subject.observeCounters();
        for (String field : entry.carryOver()) {
            switch (Counters.Word.byField(field)) {
                case SQ_FLAGS -> reference.sq.writeOnceFlags(s.sqFlags());
                case CQ_FLAGS -> reference.cq.writeOnceFlags(s.cqFlags());
                default -> throw new IllegalStateException("cannot carry over " + field);
            }
        }
        return entry;
    }
}

package dev.ringspec.seam;

/**
 * The CQE slots of one CQ ring, read by slot index ({@code index = counter & mask}): the live ring
 * ({@link CqRingView}) or a copy taken after a step ({@link RingObservation}). {@link CqeReader} reads CQEs
 * through it, so the rule for how many slots a CQE takes lives in one place.
 */
public interface CqeSlots {

    long userData(int index);

    int res(int index);

    int flags(int index);

    /**
     * {@code big_cqe[word]} of the 32-byte CQE starting at slot {@code index}: on a {@code CQE32} ring the slot's
     * own second half, on a {@code CQE_MIXED} ring the bytes of the next 16-byte slot.
     */
    long bigCqe(int index, int word);
}

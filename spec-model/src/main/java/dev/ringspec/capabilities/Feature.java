package dev.ringspec.capabilities;

/** The named io_uring features ringspec reports, with the release that brought each. */
public enum Feature {
    SQE128("5.19", "128-byte SQEs (IORING_SETUP_SQE128)"),
    CQE32("5.19", "32-byte CQEs (IORING_SETUP_CQE32)"),
    NO_SQARRAY("6.6", "rings without the SQ index array (IORING_SETUP_NO_SQARRAY)"),
    RESIZE_RINGS("6.13", "IORING_REGISTER_RESIZE_RINGS"),
    CQE_MIXED("6.18", "16- and 32-byte CQEs in one ring, with skip CQEs (IORING_SETUP_CQE_MIXED)"),
    QUERY("6.18", "IORING_REGISTER_QUERY"),
    SQE_MIXED("6.19", "64- and 128-byte SQEs in one ring (IORING_SETUP_SQE_MIXED)"),
    SQ_REWIND("7.0", "SQ rewind: every submit starts at SQE 0 (IORING_SETUP_SQ_REWIND)"),
    BPF_FILTER("7.0", "classic-BPF request filters (IORING_REGISTER_BPF_FILTER)"),
    TASK_RESTRICTIONS("7.0", "per-task restrictions (IORING_REGISTER_RESTRICTIONS on fd -1)");

    private final String since;
    private final String description;

    Feature(String since, String description) {
        this.since = since;
        this.description = description;
    }

    /** The first mainline release that has it. */
    public String since() {
        return since;
    }

    public String description() {
        return description;
    }
}

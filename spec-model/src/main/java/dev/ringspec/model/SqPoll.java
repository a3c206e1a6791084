package dev.ringspec.model;

import java.util.function.BooleanSupplier;

/**
 * The SQ thread of an IORING_SETUP_SQPOLL ring (io_uring/sqpoll.c), which the model does not run itself: a backend
 * with threads starts one per ring and calls {@link ModelIoUring#sqThreadPass}, {@link ModelIoUring#sqThreadIdle}
 * and {@link ModelIoUring#sqThreadAwake} from it, the way {@code io_sq_thread} runs {@code __io_sq_thread}, raises
 * IORING_SQ_NEED_WAKEUP and sleeps. {@code io_uring_enter} on such a ring submits nothing itself: it calls
 * {@link #wakeUp} for IORING_ENTER_SQ_WAKEUP and {@link #waitSq} for IORING_ENTER_SQ_WAIT, then returns
 * {@code to_submit} (with the GETEVENTS part as on any ring). Without one, an enter on an SQPOLL ring throws
 * UnsupportedOperationException.
 */
public interface SqPoll {

    /** {@code wake_up(&sqd->wait)}: the ring's SQ thread looks at its rings again. */
    void wakeUp(int ringFd);

    /**
     * {@code io_sqpoll_wait_sq}: blocks while {@code sqFull} holds (the SQ ring has no free entry), until the SQ
     * thread consumed some or a signal arrives.
     */
    void waitSq(int ringFd, BooleanSupplier sqFull);

    /**
     * {@code io_sq_offload_create} with IORING_SETUP_SQ_AFF: whether {@code cpu} is below {@code nr_cpu_ids},
     * online, and in the cpuset of the task setting the ring up ({@code cpuset_cpus_allowed}); otherwise -EINVAL.
     */
    boolean cpuAllowed(int cpu);
}

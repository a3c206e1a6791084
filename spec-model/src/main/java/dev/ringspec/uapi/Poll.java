package dev.ringspec.uapi;

/**
 * Poll event bits ({@code include/uapi/asm-generic/poll.h} and {@code eventpoll.h}), as {@code IORING_OP_POLL_ADD}'s
 * {@code poll32_events}, a poll CQE's result and epoll take them.
 */
public final class Poll {
    public static final int POLLIN = 0x0001;
    public static final int POLLPRI = 0x0002;
    public static final int POLLOUT = 0x0004;
    public static final int POLLERR = 0x0008;
    public static final int POLLHUP = 0x0010;
    public static final int POLLNVAL = 0x0020;
    public static final int POLLRDNORM = 0x0040;
    public static final int POLLRDBAND = 0x0080;
    public static final int POLLWRNORM = 0x0100;
    public static final int POLLWRBAND = 0x0200;
    public static final int POLLMSG = 0x0400;
    public static final int POLLREMOVE = 0x1000;
    public static final int POLLRDHUP = 0x2000;
    /** {@code EPOLLEXCLUSIVE}. */
    public static final int EPOLLEXCLUSIVE = 1 << 28;
    /** {@code EPOLLWAKEUP}. */
    public static final int EPOLLWAKEUP = 1 << 29;
    /** {@code EPOLLONESHOT}: one event, then the registration is disarmed. */
    public static final int EPOLLONESHOT = 1 << 30;
    /** {@code EPOLLET}: edge-triggered. */
    public static final int EPOLLET = 1 << 31;

    private Poll() {
    }
}

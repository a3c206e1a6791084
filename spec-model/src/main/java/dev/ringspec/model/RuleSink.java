package dev.ringspec.model;

/**
 * Where a ring's parts report rules: the ring's descriptor and its listener, checked once per site
 * ({@link #fire}), so reporting costs one branch when nobody listens.
 */
final class RuleSink {
    private final int ringFd;
    private RuleListener listener = RuleListener.NONE;
    private boolean listening;

    RuleSink(int ringFd, RuleListener listener) {
        this.ringFd = ringFd;
        listen(listener);
    }

    void listen(RuleListener newListener) {
        this.listener = newListener;
        this.listening = newListener != RuleListener.NONE;
    }

    void fire(Rule rule, long detail) {
        if (listening) {
            listener.fired(rule, ringFd, detail);
        }
    }

    boolean listening() {
        return listening;
    }
}

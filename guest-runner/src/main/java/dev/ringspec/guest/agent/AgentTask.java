package dev.ringspec.guest.agent;

/**
 * What an {@code OP_TASK} request does to the agent's task that serves the calling host thread (the numbers of
 * {@code ringspec-agent.c}). Each host thread is served by a thread of its own in the agent, which is a kernel
 * task: per-task restrictions, no_new_privs and a SINGLE_ISSUER ring's owner are properties of that task.
 */
public enum AgentTask {
    /** {@code prctl(PR_SET_NO_NEW_PRIVS, 1)} in the serving task. */
    NO_NEW_PRIVS(1),
    /**
     * The serving task creates a child task (a thread: {@code copy_process} copies the io_uring restrictions,
     * no_new_privs and the credentials), which serves the host thread from now on; with the value set the child
     * gives up CAP_SYS_ADMIN first. The parent ends.
     */
    FORK(2),
    /** The serving task ends; the host thread's next call is served by a new task that inherits nothing. */
    FRESH(3);

    private final int number;

    AgentTask(int number) {
        this.number = number;
    }

    int number() {
        return number;
    }
}

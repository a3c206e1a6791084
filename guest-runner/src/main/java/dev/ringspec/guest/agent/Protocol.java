package dev.ringspec.guest.agent;

/** The numbers of the agent protocol, as {@code ringspec-agent.c} defines them (see the package description). */
final class Protocol {
    static final byte[] HELLO = {'R', 'S', 'A', 'G', 'E', 'N', 'T', '1'};
    static final int MAX_FRAME_BYTES = 64 << 20;

    static final int OP_SETUP = 1;
    static final int OP_ENTER = 2;
    static final int OP_REGISTER = 3;
    static final int OP_CLOSE = 4;
    static final int OP_UNAME = 5;
    static final int OP_RUN = 6;
    static final int OP_THREAD_END = 7;
    static final int OP_WRITE_FILE = 8;
    static final int OP_PING = 9;
    static final int OP_FILES = 10;
    static final int OP_TASK = 11;
    static final int OP_KMSG = 12;

    static final int FD_PIPE_READ = 1;
    static final int FD_PIPE_WRITE = 2;
    static final int FD_EVENTFD = 3;
    static final int FD_OTHER = 4;

    static final int MEM_MIRROR_ADD = 1;
    static final int MEM_MIRROR_DROP = 2;
    static final int MEM_MIRROR_DIFF = 3;
    static final int MEM_TRANSIENT_ADD = 4;
    static final int MEM_REGION_DIFF = 5;
    static final int MEM_RING_PAGES = 6;

    static final int STATUS_OK = 0;
    static final int STATUS_ERROR = 1;

    private Protocol() {
    }

    /** "a setup call", "an enter call". */
    static String aCall(int op) {
        String name = opName(op);
        return ("aeiou".indexOf(name.charAt(0)) >= 0 ? "an " : "a ") + name + " call";
    }

    static String opName(int op) {
        return switch (op) {
            case OP_SETUP -> "setup";
            case OP_ENTER -> "enter";
            case OP_REGISTER -> "register";
            case OP_CLOSE -> "close";
            case OP_UNAME -> "uname";
            case OP_RUN -> "run";
            case OP_THREAD_END -> "thread-end";
            case OP_WRITE_FILE -> "write-file";
            case OP_PING -> "ping";
            case OP_FILES -> "files";
            case OP_TASK -> "task";
            case OP_KMSG -> "kmsg";
            default -> "op " + op;
        };
    }
}

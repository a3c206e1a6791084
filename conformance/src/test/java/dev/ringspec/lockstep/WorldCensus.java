package dev.ringspec.lockstep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What this process holds that could outlive a lockstep run, counted from /proc: descriptors by kind, threads by
 * name (the kernel's io-wq workers are threads of the process, {@code iou-wrk-<tid>}), the JVM's live threads by
 * name, the network namespace's TCP sockets by state, and the kernel's allocated io_uring requests
 * ({@code io_kiocb} in /proc/slabinfo, readable by root only). One line, for {@code -Dworld.census=true}.
 */
final class WorldCensus {
    private WorldCensus() {
    }

    /** TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h). */
    private static final String[] TCP_STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};

    static String line() {
        return "fds " + descriptors() + " tasks " + tasks() + " jvm " + javaThreads() + " tcp " + tcp() + " kiocb "
                + kiocbs();
    }

    private static Map<String, Integer> descriptors() {
        Map<String, Integer> kinds = new TreeMap<>();
        java.util.Set<String> inodes = new java.util.HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // the listing's own descriptor, closed by now
                }
                String kind = target.startsWith("socket:") ? "socket" : target.startsWith("pipe:") ? "pipe"
                        : target.startsWith("anon_inode:") ? target.substring("anon_inode:".length())
                        : target.contains("ringspec-world") ? "world" : target.endsWith(".jar") ? "jar" : "other";
                kinds.merge(kind, 1, Integer::sum);
                if (kind.equals("pipe") || kind.equals("socket")) {
                    inodes.add(target);
                }
            }
            kinds.put("distinct", inodes.size());
        } catch (IOException e) {
            kinds.put("unreadable", 1);
        }
        return kinds;
    }

    private static Map<String, Integer> tasks() {
        Map<String, Integer> names = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String comm = Files.readString(t.resolve("comm")).trim();
                    names.merge(comm.startsWith("iou-") ? comm.substring(0, 7) : "other", 1, Integer::sum);
                } catch (IOException e) {
                    names.merge("gone", 1, Integer::sum); // a thread that ended while listed
                }
            }
        } catch (IOException e) {
            names.put("unreadable", 1);
        }
        return names;
    }

    private static Map<String, Integer> javaThreads() {
        Map<String, Integer> names = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            names.merge(t.getName().replaceAll("[0-9]+", "N"), 1, Integer::sum);
        }
        names.keySet().removeIf(n -> n.startsWith("C2 ") || n.startsWith("C1 ") || n.startsWith("surefire")
                || n.equals("Reference Handler") || n.equals("Finalizer") || n.equals("Signal Dispatcher")
                || n.equals("Common-Cleaner") || n.equals("Notification Thread") || n.startsWith("Attach")
                || n.equals("main"));
        return names;
    }

    private static Map<String, Integer> tcp() {
        Map<String, Integer> states = new TreeMap<>();
        for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                for (String l : Files.readAllLines(Path.of(file)).stream().skip(1).toList()) {
                    int s = Integer.parseInt(l.trim().split("\\s+")[3], 16);
                    states.merge(s < TCP_STATES.length ? TCP_STATES[s] : "?", 1, Integer::sum);
                }
            } catch (IOException | RuntimeException e) {
                states.merge("unreadable", 1, Integer::sum);
            }
        }
        return states;
    }

    private static String kiocbs() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/slabinfo"))) {
                if (l.startsWith("io_kiocb ")) {
                    return l.trim().split("\\s+")[1];
                }
            }
            return "none";
        } catch (IOException e) {
            return "unreadable";
        }
    }
}

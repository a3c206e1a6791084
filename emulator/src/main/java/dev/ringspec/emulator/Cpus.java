package dev.ringspec.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

/**
 * The CPUs an SQ_AFF setup may name ({@code io_sq_offload_create}): below {@code nr_cpu_ids} (the possible CPUs),
 * online, and in the cpuset of the task setting the ring up ({@code cpuset_cpus_allowed}: its cgroup's effective
 * cpuset, not its own affinity mask). Read from sysfs and procfs at each setup; a cpuset that cannot be read counts
 * as every online CPU.
 */
final class Cpus {
    private static final Path CPU = Path.of("/sys/devices/system/cpu");
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");

    private Cpus() {
    }

    /** Whether {@code cpu} is possible, online and in the cpuset of task {@code procTask} ("self" or a tid). */
    static boolean allowed(int cpu, String procTask) {
        if (cpu < 0) {
            return false; // an unsigned sq_thread_cpu this large is never below nr_cpu_ids
        }
        BitSet possible = list(CPU.resolve("possible"));
        BitSet online = list(CPU.resolve("online"));
        if (possible == null || online == null || !possible.get(cpu) || !online.get(cpu)) {
            return false;
        }
        BitSet cpuset = cpuset(procTask);
        return cpuset == null || cpuset.get(cpu);
    }

    /** The effective cpuset of the task's cgroup (v1 cpuset hierarchy or v2), or null where none is readable. */
    private static BitSet cpuset(String procTask) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc", procTask, "cgroup"));
        } catch (IOException gone) {
            return null;
        }
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            String dir = f[2].startsWith("/") ? f[2].substring(1) : f[2];
            BitSet found = null;
            if (f[1].equals("cpuset")) {
                Path v1 = CGROUP.resolve("cpuset").resolve(dir);
                found = list(v1.resolve("cpuset.effective_cpus"));
                if (found == null) {
                    found = list(v1.resolve("cpuset.cpus"));
                }
            } else if (f[0].equals("0") && f[1].isEmpty()) {
                found = list(CGROUP.resolve(dir).resolve("cpuset.cpus.effective"));
            }
            if (found != null && !found.isEmpty()) {
                return found;
            }
        }
        return null;
    }

    /** A kernel CPU list ("0-3,8,10-11") read from {@code file}, or null where it cannot be read or parsed. */
    static BitSet list(Path file) {
        String text;
        try {
            text = Files.readString(file).trim();
        } catch (IOException | SecurityException unreadable) {
            return null;
        }
        return parse(text);
    }

    /** A kernel CPU list ("0-3,8,10-11"), or null where it is not one. */
    static BitSet parse(String text) {
        BitSet cpus = new BitSet();
        if (text.isEmpty()) {
            return cpus;
        }
        try {
            for (String part : text.split(",")) {
                int dash = part.indexOf('-');
                int from = Integer.parseInt(part.substring(0, dash < 0 ? part.length() : dash).trim());
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1).trim());
                if (from < 0 || to < from) {
                    return null;
                }
                cpus.set(from, to + 1);
            }
        } catch (NumberFormatException notAList) {
            return null;
        }
        return cpus;
    }
}

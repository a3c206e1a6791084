package dev.ringspec.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where ringspec reads and writes outside its jar. It reads the replays that ship with it from the class path, so
 * the working directory never matters; it writes new findings (and, to come, the reports) in a directory the user
 * owns, never in the source tree: {@code --out DIR}, else {@code $XDG_STATE_HOME/ringspec}, else
 * {@code ~/.local/state/ringspec} (the XDG base directory specification's place for state that outlives a run).
 */
final class Places {
    /** Under the output directory: new ring findings, with their reproducers. */
    static final String REPLAYS = "replays";
    /** Under the output directory: new cBPF findings, with their reproducers. */
    static final String BPF_REPLAYS = "bpf-replays";

    private Places() {
    }

    /** The output directory, absolute: {@code out} if given, else the user's state directory. */
    static Path out(Path out) {
        return out(out, System.getenv(), System.getProperty("user.home"));
    }

    static Path out(Path out, Map<String, String> env, String home) {
        if (out != null) {
            return out.toAbsolutePath().normalize();
        }
        String state = env.get("XDG_STATE_HOME");
        // the specification ignores a relative XDG_STATE_HOME
        if (state != null && Path.of(state).isAbsolute()) {
            return Path.of(state, "ringspec");
        }
        return Path.of(home, ".local", "state", "ringspec").toAbsolutePath();
    }

    /** Why {@code --replay-dir} cannot be read, in one sentence, or empty (also when it was not given). */
    static Optional<String> badReplayDirectory(Path dir) {
        if (dir == null || Files.isDirectory(dir)) {
            return Optional.empty();
        }
        return Optional.of((Files.exists(dir) ? "the replay directory " + dir.toAbsolutePath() + " is not a directory"
                : "no such replay directory: " + dir.toAbsolutePath()) + " (without --replay-dir, the replays that "
                + "ship with ringspec run)");
    }

    /** Why {@code --out} cannot be an output directory, in one sentence, or empty (it is created when needed). */
    static Optional<String> badOut(Path dir) {
        if (dir == null || !Files.exists(dir) || Files.isDirectory(dir)) {
            return Optional.empty();
        }
        return Optional.of("--out " + dir.toAbsolutePath() + " is a file, not a directory");
    }
}

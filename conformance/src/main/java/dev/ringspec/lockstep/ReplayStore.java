package dev.ringspec.lockstep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Replay files in one directory, read in file-name order (proptest's regression files, as JSON). The replays that
 * ship with ringspec are the resource directory {@value #SHIPPED} ({@code conformance/src/main/resources/replays}),
 * found on the class path wherever ringspec runs; new findings are saved in a directory of the user's.
 */
public final class ReplayStore {
    /** The resource directory of the replays that ship with ringspec. */
    public static final String SHIPPED = "replays";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path directory;

    public ReplayStore(Path directory) {
        this.directory = directory;
    }

    /** The replays that ship with ringspec, on the class path; empty in a build without them. */
    public static Optional<ReplayStore> shipped() {
        return ReplayFiles.shipped(SHIPPED).map(ReplayStore::new);
    }

    public Path directory() {
        return directory;
    }

    /** A replay file and what it holds. */
    public record Entry(Path file, ReplayCase replayCase) {
    }

    /** The replays; a file that is no replay ends the load (for tests, whose replays are their own). */
    public List<Entry> load() {
        return load(problem -> {
            throw new IllegalArgumentException(problem);
        });
    }

    /**
     * The replays in file-name order; none when the directory does not exist. A file that is no ring replay (empty,
     * not JSON, an unknown step, no steps) is skipped and named to {@code problems} in one sentence; the others load.
     */
    public List<Entry> load(Consumer<String> problems) {
        List<Entry> out = new ArrayList<>();
        for (Path f : ReplayFiles.jsonFiles(directory, "ring replays", problems)) {
            try {
                out.add(new Entry(f, read(f)));
            } catch (IOException | RuntimeException e) {
                problems.accept(f.toUri().getScheme().equals("file") ? f.toAbsolutePath() + " is not a ring replay ("
                        + ReplayFiles.reason(e) + "); skipped" : f + " is not a ring replay (" + ReplayFiles.reason(e)
                        + "); skipped");
            }
        }
        return out;
    }

    /** Reads one replay; an {@link IOException} or {@link IllegalArgumentException} says why it is none. */
    public static ReplayCase read(Path file) throws IOException {
        ReplayCase c;
        try (InputStream in = Files.newInputStream(file)) {
            c = MAPPER.readValue(in, ReplayCase.class);
        }
        if (c == null) {
            throw new IllegalArgumentException("the file holds null, not a replay object");
        }
        return c;
    }

    /** Writes the case (and its reproducers beside it); returns the JSON file. */
    public Path save(ReplayCase replayCase, String cSource, String junitBody) throws IOException {
        Files.createDirectories(directory);
        Path json = directory.resolve(replayCase.fileName());
        Files.writeString(json, MAPPER.writeValueAsString(replayCase));
        String base = replayCase.fileName().replaceAll("\\.json$", "");
        Files.writeString(directory.resolve(base + ".c.txt"), cSource);
        Files.writeString(directory.resolve(base + ".junit.txt"), junitBody);
        return json;
    }

    static String toJson(ReplayCase replayCase) {
        try {
            return MAPPER.writeValueAsString(replayCase);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ReplayCase fromJson(String json) {
        try {
            return MAPPER.readValue(json, ReplayCase.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

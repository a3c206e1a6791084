package dev.ringspec.lockstep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Replay files in one directory, read in file-name order (proptest's regression files, as JSON). */
public final class ReplayStore {
    /**
     * Where replays live in the source tree; every run replays them first. The {@code ringspec} script names the
     * project's root ({@code -Dringspec.root}), so a check started from another directory still finds them.
     */
    public static final Path DEFAULT_DIRECTORY = defaultDirectory(System.getProperty("ringspec.root"));

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path directory;

    public ReplayStore(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    /** A replay file and what it holds. */
    public record Entry(Path file, ReplayCase replayCase) {
    }

    public List<Entry> load() {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.add(new Entry(f, read(f)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list replays in " + directory, e);
        }
        return out;
    }

    public static ReplayCase read(Path file) {
        try {
            return MAPPER.readValue(file.toFile(), ReplayCase.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read replay " + file, e);
        }
    }

    /** Writes the case (and its reproducers beside it); returns the JSON file. */
    public Path save(ReplayCase replayCase, String cSource, String junitBody) {
        try {
            Files.createDirectories(directory);
            Path json = directory.resolve(replayCase.fileName());
            MAPPER.writeValue(json.toFile(), replayCase);
            String base = replayCase.fileName().replaceAll("\\.json$", "");
            Files.writeString(directory.resolve(base + ".c.txt"), cSource);
            Files.writeString(directory.resolve(base + ".junit.txt"), junitBody);
            return json;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save replay in " + directory, e);
        }
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

    static Path defaultDirectory(String root) {
        Path inTree = Path.of("conformance", "src", "test", "resources", "replays");
        return root == null || root.isEmpty() ? inTree : Path.of(root).resolve(inTree);
    }
}

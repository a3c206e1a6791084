package dev.ringspec.lockstep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the ring replays ({@link ReplayStore}) and the cBPF replays share: the JSON files of a directory in name order,
 * a directory shipped on the class path (in the jar, or {@code target/classes} in a build), and one sentence that
 * says why a file is no replay.
 */
public final class ReplayFiles {
    private ReplayFiles() {
    }

    /**
     * The {@code .json} files of {@code directory} in name order; none when it does not exist. A directory that
     * cannot be listed is named to {@code problems} in one sentence.
     */
    public static List<Path> jsonFiles(Path directory, String what, Consumer<String> problems) {
        if (directory == null || !Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            problems.accept("cannot list the " + what + " in " + directory + ": " + e.getMessage());
            return List.of();
        }
    }

    /**
     * The resource directory {@code name} on the class path as a path that can be listed (a directory of a build,
     * or the directory inside the jar), or empty when there is none.
     */
    public static Optional<Path> shipped(String name) {
        URL url = ReplayFiles.class.getResource("/" + name);
        if (url == null) {
            return Optional.empty();
        }
        try {
            URI uri = url.toURI();
            if (!uri.getScheme().equals("jar")) {
                return Optional.of(Path.of(uri));
            }
            try {
                return Optional.of(FileSystems.getFileSystem(uri).provider().getPath(uri));
            } catch (FileSystemNotFoundException e) {
                try {
                    FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException raced) {
                    // another thread opened it first: the same file system
                }
                return Optional.of(Path.of(uri));
            }
        } catch (URISyntaxException | IOException e) {
            return Optional.empty();
        }
    }

    /** Why reading {@code file} failed, in words for one sentence: what is wrong, and where in the file. */
    public static String reason(Exception e) {
        return switch (e) {
            case NoSuchFileException n -> "it does not exist";
            case MismatchedInputException m when m.getMessage().startsWith("No content to map") -> "the file is empty";
            case InvalidTypeIdException t when t.getTypeId() == null -> "a step has no \"op\"" + where(t);
            case InvalidTypeIdException t -> "unknown step \"" + t.getTypeId() + "\"" + where(t);
            case ValueInstantiationException v when v.getCause() != null -> v.getCause().getMessage() + where(v);
            case JsonMappingException m -> firstLine(m.getOriginalMessage()) + where(m);
            case JsonProcessingException p -> "not JSON: " + firstLine(p.getOriginalMessage())
                    + (p.getLocation() == null ? "" : " (line " + p.getLocation().getLineNr() + ")");
            case IOException io -> "it cannot be read: " + io.getMessage();
            default -> firstLine(String.valueOf(e.getMessage()));
        };
    }

    private static String where(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining()).replaceFirst("^\\.", "");
        return path.isEmpty() ? "" : " at " + path;
    }

    private static String firstLine(String m) {
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}

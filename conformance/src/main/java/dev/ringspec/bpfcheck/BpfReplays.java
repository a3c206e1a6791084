package dev.ringspec.bpfcheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringspec.lockstep.ReplayStore;
import dev.ringspec.uapi.SockFilter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Shrunk differences saved as regression cases, replayed first on every {@code bpf-check}: one JSON file per case
 * (its seed, its instructions, its packet in hex, the difference in words) with its C reproducer beside it, in a
 * directory of their own next to the ring lockstep's replays.
 */
public final class BpfReplays {
    /** {@code conformance/src/test/resources/bpf-replays}, beside {@link ReplayStore#DEFAULT_DIRECTORY}. */
    public static final Path DEFAULT_DIRECTORY = ReplayStore.DEFAULT_DIRECTORY.resolveSibling("bpf-replays");

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path directory;

    public BpfReplays(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    /** The saved cases in file-name order; none when the directory does not exist. */
    public List<BpfCase> load() {
        return load(problem -> {
            throw new IllegalArgumentException(problem);
        });
    }

    /**
     * The saved cases in file-name order; none when the directory does not exist. A file that is not a cBPF replay
     * (unreadable, not JSON, fields missing or out of range) is skipped and named to {@code problems} in one
     * sentence; the others still load.
     */
    public List<BpfCase> load(Consumer<String> problems) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<BpfCase> out = new ArrayList<>();
        List<Path> names;
        try (Stream<Path> files = Files.list(directory)) {
            names = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            problems.accept("cannot list the cBPF replays in " + directory + ": " + e.getMessage());
            return out;
        }
        for (Path f : names) {
            try {
                out.add(fromJson(MAPPER.readTree(f.toFile())));
            } catch (IOException | RuntimeException e) {
                problems.accept(f + " is not a cBPF replay (" + firstLine(e) + "); skipped");
            }
        }
        return out;
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Saves {@code c} as {@code name}.json with {@code cSource} as {@code name}.c; returns the JSON file. */
    public Path save(String name, BpfCase c, String difference, String cSource) {
        try {
            Files.createDirectories(directory);
            ObjectNode json = toJson(c);
            json.put("difference", difference);
            Path file = directory.resolve(name + ".json");
            MAPPER.writeValue(file.toFile(), json);
            Files.writeString(directory.resolve(name + ".c"), cSource);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save a cBPF replay in " + directory, e);
        }
    }

    static ObjectNode toJson(BpfCase c) {
        ObjectNode json = MAPPER.createObjectNode();
        json.put("seed", c.seed());
        ArrayNode program = json.putArray("program");
        for (SockFilter insn : c.program()) {
            program.addObject().put("code", insn.code()).put("jt", insn.jt()).put("jf", insn.jf()).put("k", insn.k());
        }
        json.put("packet", HexFormat.of().formatHex(c.packet()));
        return json;
    }

    static BpfCase fromJson(JsonNode json) {
        if (!json.path("seed").isIntegralNumber() || !json.path("program").isArray()
                || !json.path("packet").isTextual()) {
            throw new IllegalArgumentException("a replay is an object with a numeric seed, a program array and a hex "
                    + "packet");
        }
        List<SockFilter> program = new ArrayList<>();
        for (JsonNode insn : json.path("program")) {
            for (String field : List.of("code", "jt", "jf", "k")) {
                if (!insn.path(field).isIntegralNumber()) {
                    throw new IllegalArgumentException("instruction " + program.size() + " lacks a numeric " + field);
                }
            }
            program.add(new SockFilter(insn.path("code").asInt(), insn.path("jt").asInt(), insn.path("jf").asInt(),
                    insn.path("k").asInt()));
        }
        return new BpfCase(json.path("seed").asLong(), program, HexFormat.of().parseHex(json.path("packet").asText()));
    }
}

package dev.ringspec.bpfcheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringspec.lockstep.ReplayFiles;
import dev.ringspec.lockstep.ReplayStore;
import dev.ringspec.uapi.SockFilter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Shrunk differences saved as regression cases, replayed first on every {@code bpf-check}: one JSON file per case
 * (its seed, its instructions, its packet in hex, the difference in words) with its C reproducer beside it, in a
 * directory of their own next to the ring lockstep's replays.
 */
public final class BpfReplays {
    /** The resource directory of the cBPF replays that ship with ringspec, beside {@link ReplayStore#SHIPPED}. */
    public static final String SHIPPED = "bpf-replays";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path directory;

    public BpfReplays(Path directory) {
        this.directory = directory;
    }

    /** The cBPF replays that ship with ringspec, on the class path; empty when there are none. */
    public static Optional<BpfReplays> shipped() {
        return ReplayFiles.shipped(SHIPPED).map(BpfReplays::new);
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
        List<BpfCase> out = new ArrayList<>();
        for (Path f : ReplayFiles.jsonFiles(directory, "cBPF replays", problems)) {
            try (InputStream in = Files.newInputStream(f)) {
                out.add(fromJson(MAPPER.readTree(in)));
            } catch (IOException | RuntimeException e) {
                problems.accept(f + " is not a cBPF replay (" + ReplayFiles.reason(e) + "); skipped");
            }
        }
        return out;
    }

    /** Saves {@code c} as {@code name}.json with {@code cSource} as {@code name}.c; returns the JSON file. */
    public Path save(String name, BpfCase c, String difference, String cSource) throws IOException {
        Files.createDirectories(directory);
        ObjectNode json = toJson(c);
        json.put("difference", difference);
        Path file = directory.resolve(name + ".json");
        Files.writeString(file, MAPPER.writeValueAsString(json));
        Files.writeString(directory.resolve(name + ".c"), cSource);
        return file;
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

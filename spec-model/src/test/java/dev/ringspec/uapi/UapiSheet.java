package dev.ringspec.uapi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tables of the fact sheet {@code uapi.md}, read as text: nothing is converted to a number here, so a malformed
 * cell fails the check of its own row instead of the whole parse.
 *
 * <p>Constant tables are the tables under {@code ## Constants} whose first column is {@code name}; a row counts
 * when its first cell is a backticked identifier. Struct tables follow a {@code #### struct NAME — sizeof S,
 * alignof A} heading under {@code ## Struct layouts}. Anything in those places that cannot be read is a
 * {@link #problems() problem}, never skipped silently.
 */
record UapiSheet(List<ConstantRow> constants, List<StructSection> structs, List<String> problems) {

    /** One constant; {@code dec} is null in a table that gives only a hex {@code value}. */
    record ConstantRow(int line, String table, String name, String dec, String hex, String bit) {
    }

    /** One member of a struct; {@code name} may be dotted ({@code socket.family}) or flexible ({@code ops[]}). */
    record FieldRow(int line, String name, String offset, String size) {
    }

    record StructSection(int line, String name, long sizeBytes, long alignBytes, List<FieldRow> fields) {
    }

    static final String FLEXIBLE = "flexible/zero-length";

    private static final Pattern BACKTICKED_IDENTIFIER = Pattern.compile("`([A-Za-z_][A-Za-z0-9_]*)`");
    private static final Pattern BACKTICKED_FIELD = Pattern.compile("`([a-z_][a-z0-9_.]*(\\[])?)`");
    private static final Pattern STRUCT_HEADING =
            Pattern.compile("#### struct (\\S+) \u2014 sizeof (\\d+), alignof (\\d+)");

    private enum Section { CONSTANTS, STRUCTS, OTHER }

    static UapiSheet read(String resource) {
        try (InputStream in = UapiSheet.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " not found next to " + UapiSheet.class);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static UapiSheet parse(String markdown) {
        List<ConstantRow> constants = new ArrayList<>();
        List<StructSection> structs = new ArrayList<>();
        List<String> problems = new ArrayList<>();

        Section section = Section.OTHER;
        String table = "";
        List<String> header = List.of();
        List<FieldRow> fields = null;
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNumber = i + 1;
            String line = lines[i].strip();
            if (line.startsWith("#")) {
                header = List.of();
                fields = null;
                if (line.startsWith("## ")) {
                    section = line.startsWith("## Constants") ? Section.CONSTANTS
                            : line.startsWith("## Struct layouts") ? Section.STRUCTS
                            : Section.OTHER;
                } else if (section == Section.STRUCTS && line.startsWith("#### ")) {
                    Matcher m = STRUCT_HEADING.matcher(line);
                    if (m.matches()) {
                        fields = new ArrayList<>();
                        structs.add(new StructSection(lineNumber, m.group(1), Long.parseLong(m.group(2)),
                                Long.parseLong(m.group(3)), fields));
                    } else {
                        problems.add("line " + lineNumber + ": unreadable struct heading: " + line);
                    }
                }
                table = line.replaceFirst("^#+\\s*", "");
                continue;
            }
            if (!line.startsWith("|")) {
                continue;
            }
            List<String> cells = cells(line);
            if (cells.stream().allMatch(cell -> cell.matches(":?-+:?"))) {
                continue;
            }
            if (cells.getFirst().equals("name") || cells.getFirst().equals("field")) {
                header = cells;
                continue;
            }
            switch (section) {
                case CONSTANTS -> readConstant(lineNumber, table, header, cells, constants, problems);
                case STRUCTS -> {
                    if (fields != null) {
                        readField(lineNumber, header, cells, fields, problems);
                    }
                }
                case OTHER -> {
                }
            }
        }
        return new UapiSheet(List.copyOf(constants), List.copyOf(structs), List.copyOf(problems));
    }

    private static void readConstant(int line, String table, List<String> header, List<String> cells,
            List<ConstantRow> constants, List<String> problems) {
        Matcher name = BACKTICKED_IDENTIFIER.matcher(cells.getFirst());
        if (!name.matches()) {
            return;
        }
        int dec = header.indexOf("value (dec)");
        int hex = dec >= 0 ? header.indexOf("hex") : header.indexOf("value");
        int bit = header.indexOf("bit");
        if (hex < 0 || cells.size() != header.size()) {
            problems.add("line " + line + ": constant row does not fit its table header " + header);
            return;
        }
        constants.add(new ConstantRow(line, table, name.group(1), dec >= 0 ? cells.get(dec) : null,
                cells.get(hex), bit >= 0 ? cells.get(bit) : null));
    }

    private static void readField(int line, List<String> header, List<String> cells, List<FieldRow> fields,
            List<String> problems) {
        Matcher name = BACKTICKED_FIELD.matcher(cells.getFirst());
        if (!header.equals(List.of("field", "offset", "size")) || cells.size() != 3 || !name.matches()) {
            problems.add("line " + line + ": unreadable field row " + cells + " under header " + header);
            return;
        }
        fields.add(new FieldRow(line, name.group(1), cells.get(1), cells.get(2)));
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
        return Arrays.stream(inner.split("\\|", -1)).map(String::strip).toList();
    }
}

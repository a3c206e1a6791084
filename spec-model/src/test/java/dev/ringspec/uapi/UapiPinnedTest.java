package dev.ringspec.uapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.ringspec.uapi.UapiSheet.ConstantRow;
import dev.ringspec.uapi.UapiSheet.FieldRow;
import dev.ringspec.uapi.UapiSheet.StructSection;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Pins every constant and every struct layout of this package to {@code uapi.md}, the numbers a C program printed
 * from the Linux 7.1 uapi header (a verbatim copy of {@code shared/reference/uapi.md} in the test resources).
 *
 * <p>The sheet is parsed, not transcribed: no expected number is typed into Java. Each constant row, struct and
 * member is its own test. The checks return their complaints as text so that {@link #checksCatchATypoInTheSheet()}
 * can show that each of them fails when it should.
 */
class UapiPinnedTest {
    private static final UapiSheet SHEET = UapiSheet.read("uapi.md");
    private static final List<Class<?>> CONSTANT_CLASSES = List.of(IoUring.class, IoUringQuery.class,
            IoUringBpfFilter.class);
    /** The one struct class not named after its struct: {@code IoUringBpfFilter} holds the header's constants. */
    private static final Map<String, String> RENAMED_STRUCT_CLASSES =
            Map.of("io_uring_bpf_filter", "IoUringBpfFilterStruct");

    @Test
    void sheetIsReadWhole() {
        assertThat(SHEET.problems()).isEmpty();
        assertThat(SHEET.constants()).hasSizeGreaterThan(250);
        assertThat(SHEET.structs()).hasSizeGreaterThan(40);
        assertThat(SHEET.structs()).allSatisfy(struct -> assertThat(struct.fields()).isNotEmpty());
    }

    @TestFactory
    Stream<DynamicNode> everyConstantOfTheSheetIsOneFieldWithItsValue() {
        Map<String, List<Field>> fields = constantFields();
        Map<String, List<ConstantRow>> byTable = SHEET.constants().stream()
                .collect(Collectors.groupingBy(ConstantRow::table, LinkedHashMap::new, Collectors.toList()));
        return byTable.entrySet().stream().map(table -> dynamicContainer(table.getKey(), table.getValue().stream()
                .map(row -> dynamicTest(row.name() + " = " + (row.dec() != null ? row.dec() : row.hex())
                                + " (line " + row.line() + ")",
                        () -> assertThat(checkConstant(row, fields)).as("%s, uapi.md line %d", row.name(), row.line())
                                .isEmpty()))));
    }

    @TestFactory
    Stream<DynamicNode> everyConstantFieldIsInTheSheet() {
        Set<String> named = SHEET.constants().stream().map(ConstantRow::name).collect(Collectors.toSet());
        return constantFields().values().stream().flatMap(List::stream)
                .map(field -> dynamicTest(field.getDeclaringClass().getSimpleName() + "." + field.getName(),
                        () -> assertThat(named).as("constants of uapi.md").contains(field.getName())));
    }

    @TestFactory
    Stream<DynamicNode> everyStructOfTheSheetHasItsLayout() {
        return SHEET.structs().stream().map(struct -> {
            Optional<GroupLayout> layout = layoutNamed(struct.name());
            Stream<DynamicNode> shape = Stream.of(dynamicTest(
                    "sizeof " + struct.sizeBytes() + ", alignof " + struct.alignBytes(),
                    () -> assertThat(checkStruct(struct, layout)).as("struct %s", struct.name()).isEmpty()));
            Stream<DynamicNode> members = struct.fields().stream().map(field -> dynamicTest(
                    field.name() + " at " + field.offset() + ", size " + field.size() + " (line " + field.line() + ")",
                    () -> assertThat(checkField(struct, field, layout))
                            .as("%s.%s, uapi.md line %d", struct.name(), field.name(), field.line()).isEmpty()));
            return dynamicContainer("struct " + struct.name(), Stream.concat(shape, members));
        });
    }

    @TestFactory
    Stream<DynamicNode> everyStructLayoutIsInTheSheet() {
        Set<String> named = SHEET.structs().stream().map(StructSection::name).collect(Collectors.toSet());
        return Structs.ALL.stream().map(layout -> dynamicTest("struct " + layout.name().orElseThrow(),
                () -> assertThat(named).as("structs of uapi.md").contains(layout.name().orElseThrow())));
    }

    /**
     * The struct classes: one per struct, named after it, whose {@code SIZE_BYTES} and {@code *_OFFSET} constants
     * agree with the sheet. Constants for members the sheet does not list (the sheet names only some members of the
     * sqe's flags union) must at least name a member.
     */
    @TestFactory
    Stream<DynamicNode> everyStructClassCarriesTheSheetsOffsets() {
        return SHEET.structs().stream().map(struct -> {
            String className = structClassName(struct.name());
            Stream<DynamicNode> whole = Stream.of(
                    dynamicTest("LAYOUT and SIZE_BYTES", () -> {
                        Class<?> type = Class.forName(UapiPinnedTest.class.getPackageName() + "." + className);
                        assertThat(type.getField("LAYOUT").get(null)).as("%s.LAYOUT", className)
                                .isSameAs(Structs.byName(struct.name()));
                        assertThat(type.getField("SIZE_BYTES").getLong(null)).as("%s.SIZE_BYTES", className)
                                .isEqualTo(struct.sizeBytes());
                    }),
                    dynamicTest("every *_OFFSET names a member", () -> assertThat(checkOffsetConstants(struct))
                            .as("offset constants of %s", className).isEmpty()));
            Stream<DynamicNode> members = struct.fields().stream().map(field -> dynamicTest(
                    offsetConstantName(memberPath(field)) + " = " + field.offset(),
                    () -> {
                        Class<?> type = Class.forName(UapiPinnedTest.class.getPackageName() + "." + className);
                        Field constant = type.getField(offsetConstantName(memberPath(field)));
                        assertThat(constant.getLong(null))
                                .as("%s.%s, uapi.md line %d", className, constant.getName(), field.line())
                                .isEqualTo(Long.parseLong(field.offset()));
                    }));
            return dynamicContainer(className + " (struct " + struct.name() + ")", Stream.concat(whole, members));
        });
    }

    /** Each check must be able to fail: a sheet with typos makes each one complain, and a correct row passes. */
    @Test
    void checksCatchATypoInTheSheet() {
        UapiSheet typos = UapiSheet.parse("""
                ## Constants
                ### IORING_SETUP_* (io_uring_params.flags)
                | name | value (dec) | hex | bit |
                |---|---|---|---|
                | `IORING_SETUP_SQPOLL` | 2 | 0x2 | 1 |
                | `IORING_SETUP_CQSIZE` | 16 | 0x10 | 4 |
                | `IORING_SETUP_CLAMP` | 17 | 0x10 | 4 |
                | `IORING_SETUP_ATTACH_WQ` | 32 | 0x20 | 6 |
                | `IORING_SETUP_NO_SUCH_FLAG` | 1 | 0x1 | 0 |
                ### NOP flags
                | name | value | bit | meaning |
                |---|---|---|---|
                | `IORING_NOP_FILE` | 0x4 | 2 | look up sqe->fd |
                ## Struct layouts
                #### struct io_uring_cqe — sizeof 32, alignof 8
                | field | offset | size |
                |---|---|---|
                | `res` | 8 | 4 |
                | `flags` | 8 | 4 |
                | `user_data` | 0 | 4 |
                | `big_cqe[]` | 16 | 16 |
                | `no_such_member` | 0 | 8 |
                """);
        assertThat(typos.problems()).isEmpty();
        Map<String, List<Field>> fields = constantFields();
        Map<String, List<String>> constants = typos.constants().stream()
                .collect(Collectors.toMap(ConstantRow::name, row -> checkConstant(row, fields)));
        assertThat(constants.get("IORING_SETUP_SQPOLL")).isEmpty();
        assertThat(constants.get("IORING_SETUP_CQSIZE")).singleElement().asString()
                .contains("IoUring has 0x8, uapi.md says 16");
        assertThat(constants.get("IORING_SETUP_CLAMP")).singleElement().asString().contains("dec 17 is not hex 0x10");
        assertThat(constants.get("IORING_SETUP_ATTACH_WQ")).singleElement().asString().contains("is not 1 << 6");
        assertThat(constants.get("IORING_SETUP_NO_SUCH_FLAG")).singleElement().asString().contains("in 0 classes");
        assertThat(constants.get("IORING_NOP_FILE")).singleElement().asString().contains("IoUring has 0x2");

        StructSection cqe = typos.structs().getFirst();
        Optional<GroupLayout> layout = layoutNamed(cqe.name());
        assertThat(checkStruct(cqe, layout)).singleElement().asString().contains("sizeof is 16");
        Map<String, List<String>> members = cqe.fields().stream()
                .collect(Collectors.toMap(FieldRow::name, field -> checkField(cqe, field, layout)));
        assertThat(members.get("res")).isEmpty();
        assertThat(members.get("flags")).singleElement().asString().contains("offset is 12");
        assertThat(members.get("user_data")).singleElement().asString().contains("size is 8");
        assertThat(members.get("big_cqe[]")).singleElement().asString()
                .contains("must have size " + UapiSheet.FLEXIBLE);
        assertThat(members.get("no_such_member")).singleElement().asString()
                .contains("io_uring_cqe", "no_such_member");
        assertThat(checkStruct(cqe, layoutNamed("no_such_struct"))).singleElement().asString()
                .contains("no layout named");
    }

    static List<String> checkConstant(ConstantRow row, Map<String, List<Field>> fields) {
        List<String> problems = new ArrayList<>();
        if (!row.hex().matches("0x[0-9a-f]+")) {
            return List.of("hex " + row.hex() + " is not a hex number");
        }
        long bits = Long.parseUnsignedLong(row.hex().substring(2), 16);
        boolean negative = false;
        if (row.dec() != null) {
            if (!row.dec().matches("-?[0-9]+")) {
                return List.of("dec " + row.dec() + " is not a decimal number");
            }
            negative = row.dec().startsWith("-");
            long dec = negative ? Long.parseLong(row.dec()) : Long.parseUnsignedLong(row.dec());
            if (dec != bits) {
                problems.add("dec " + row.dec() + " is not hex " + row.hex());
            }
        }
        if (row.bit() != null && row.bit().matches("[0-9]+") && bits != 1L << Integer.parseInt(row.bit())) {
            problems.add(row.hex() + " is not 1 << " + row.bit());
        } else if (row.bit() != null && !row.bit().matches("[0-9]+|-")) {
            problems.add("bit " + row.bit() + " is neither a number nor -");
        }
        List<Field> named = fields.getOrDefault(row.name(), List.of());
        if (named.size() != 1) {
            problems.add(row.name() + " is a constant in " + named.size() + " classes: " + named);
            return problems;
        }
        Field field = named.getFirst();
        long actual;
        try {
            actual = switch (field.get(null)) {
                case Integer value -> negative ? value : Integer.toUnsignedLong(value);
                case Long value -> value;
                case Object value -> {
                    problems.add(field + " is neither int nor long but " + value.getClass());
                    yield bits;
                }
            };
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
        if (actual != bits) {
            String shown = negative ? Long.toString(actual) : "0x" + Long.toHexString(actual);
            problems.add(field.getDeclaringClass().getSimpleName() + " has " + shown + ", uapi.md says "
                    + (row.dec() != null ? row.dec() + " (" + row.hex() + ")" : row.hex()));
        }
        return problems;
    }

    static List<String> checkStruct(StructSection struct, Optional<GroupLayout> found) {
        if (found.isEmpty()) {
            return List.of("no layout named " + struct.name() + " in Structs.ALL");
        }
        GroupLayout layout = found.get();
        List<String> problems = new ArrayList<>();
        if (layout.byteSize() != struct.sizeBytes()) {
            problems.add("sizeof is " + layout.byteSize() + ", uapi.md says " + struct.sizeBytes());
        }
        if (layout.byteAlignment() != struct.alignBytes()) {
            problems.add("alignof is " + layout.byteAlignment() + ", uapi.md says " + struct.alignBytes());
        }
        return problems;
    }

    static List<String> checkField(StructSection struct, FieldRow field, Optional<GroupLayout> found) {
        if (found.isEmpty()) {
            return List.of("no layout named " + struct.name() + " in Structs.ALL");
        }
        GroupLayout layout = found.get();
        String path = memberPath(field);
        List<String> problems = new ArrayList<>();
        long offset;
        MemoryLayout member;
        try {
            offset = Layouts.offsetOf(layout, path);
            member = Layouts.memberOf(layout, path);
        } catch (IllegalArgumentException e) {
            return List.of(e.getMessage());
        }
        if (!field.offset().matches("[0-9]+") || offset != Long.parseLong(field.offset())) {
            problems.add("offset is " + offset + ", uapi.md says " + field.offset());
        }
        boolean flexibleInSheet = field.size().equals(UapiSheet.FLEXIBLE);
        boolean flexibleInLayout = member instanceof SequenceLayout sequence && sequence.elementCount() == 0;
        if (field.name().endsWith("[]") && !flexibleInSheet) {
            problems.add("uapi.md: a flexible array member must have size " + UapiSheet.FLEXIBLE);
        } else if (flexibleInSheet && !field.name().endsWith("[]")) {
            problems.add("uapi.md: size " + UapiSheet.FLEXIBLE + " needs a name ending in []");
        } else if (flexibleInSheet != flexibleInLayout) {
            problems.add((flexibleInLayout ? "flexible array member " : "member of " + member.byteSize() + " bytes ")
                    + member + ", uapi.md says " + field.size());
        } else if (!flexibleInSheet
                && (!field.size().matches("[0-9]+") || member.byteSize() != Long.parseLong(field.size()))) {
            problems.add("size is " + member.byteSize() + ", uapi.md says " + field.size());
        }
        return problems;
    }

    /** Every {@code *_OFFSET} constant of a struct class names a member and, where the sheet lists it, agrees. */
    static List<String> checkOffsetConstants(StructSection struct) throws ReflectiveOperationException {
        Class<?> type = Class.forName(UapiPinnedTest.class.getPackageName() + "." + structClassName(struct.name()));
        GroupLayout layout = Structs.byName(struct.name());
        List<String> problems = new ArrayList<>();
        Map<String, String> pathByConstant = new LinkedHashMap<>();
        for (String path : memberPaths(layout, "")) {
            String previous = pathByConstant.put(offsetConstantName(path), path);
            if (previous != null) {
                problems.add(previous + " and " + path + " both map to " + offsetConstantName(path));
            }
        }
        Map<String, String> sheetOffsets = struct.fields().stream()
                .collect(Collectors.toMap(UapiPinnedTest::memberPath, FieldRow::offset));
        for (Field constant : type.getFields()) {
            if (!constant.getName().endsWith("_OFFSET")) {
                continue;
            }
            String path = pathByConstant.get(constant.getName());
            if (path == null) {
                problems.add(constant.getName() + " names no member of " + struct.name());
                continue;
            }
            long expected = sheetOffsets.containsKey(path)
                    ? Long.parseLong(sheetOffsets.get(path))
                    : Layouts.offsetOf(layout, path);
            if (constant.getLong(null) != expected) {
                problems.add(constant.getName() + " is " + constant.getLong(null) + ", " + path + " is at " + expected);
            }
        }
        return problems;
    }

    /** Member paths as C spells them: anonymous groups flattened, named nested groups dotted. */
    private static List<String> memberPaths(GroupLayout group, String prefix) {
        List<String> paths = new ArrayList<>();
        for (MemoryLayout member : group.memberLayouts()) {
            String name = member.name().orElse("");
            if (name.startsWith("anon") && member instanceof GroupLayout anonymous) {
                paths.addAll(memberPaths(anonymous, prefix));
            } else if (!name.isEmpty()) {
                paths.add(prefix + name);
                if (member instanceof GroupLayout nested) {
                    paths.addAll(memberPaths(nested, prefix + name + "."));
                }
            }
        }
        return paths;
    }

    private static String memberPath(FieldRow field) {
        return field.name().replace("[]", "");
    }

    /** {@code socket.family} becomes {@code SOCKET_FAMILY_OFFSET}, {@code __pad1} becomes {@code PAD1_OFFSET}. */
    private static String offsetConstantName(String path) {
        return Arrays.stream(path.split("\\.")).map(name -> name.replaceFirst("^_+", "").toUpperCase())
                .collect(Collectors.joining("_")) + "_OFFSET";
    }

    /** The CamelCase of the C name: {@code io_sqring_offsets} is {@code IoSqringOffsets}. */
    private static String structClassName(String cName) {
        String renamed = RENAMED_STRUCT_CLASSES.get(cName);
        if (renamed != null) {
            return renamed;
        }
        return Arrays.stream(cName.replaceFirst("^_+", "").split("_"))
                .map(word -> Character.toUpperCase(word.charAt(0)) + word.substring(1))
                .collect(Collectors.joining());
    }

    private static Optional<GroupLayout> layoutNamed(String name) {
        return Structs.ALL.stream().filter(layout -> layout.name().orElseThrow().equals(name)).findFirst();
    }

    /** The public static final fields of the constant classes, by name (a name in two classes maps to two). */
    private static Map<String, List<Field>> constantFields() {
        return CONSTANT_CLASSES.stream()
                .flatMap(type -> Arrays.stream(type.getDeclaredFields()))
                .filter(field -> Modifier.isPublic(field.getModifiers()) && Modifier.isStatic(field.getModifiers())
                        && Modifier.isFinal(field.getModifiers()))
                .collect(Collectors.groupingBy(Field::getName, LinkedHashMap::new, Collectors.toList()));
    }
}

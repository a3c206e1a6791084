package dev.ringspec.guest.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitramfsTest {
    @TempDir
    Path dir;

    /** One member as read back by a reader written from the newc format's description, not from the writer. */
    record Member(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) {
    }

    static List<Member> parse(byte[] archive) {
        List<Member> members = new ArrayList<>();
        int at = 0;
        while (true) {
            String header = new String(archive, at, 110, StandardCharsets.US_ASCII);
            assertThat(header).startsWith("070701");
            int[] field = new int[13];
            for (int i = 0; i < 13; i++) {
                field[i] = (int) Long.parseLong(header.substring(6 + 8 * i, 14 + 8 * i), 16);
            }
            int nameSize = field[11];
            String name = new String(archive, at + 110, nameSize - 1, StandardCharsets.UTF_8);
            assertThat(archive[at + 110 + nameSize - 1]).as("NUL after %s", name).isZero();
            int dataStart = align4(at + 110 + nameSize);
            byte[] data = Arrays.copyOfRange(archive, dataStart, dataStart + field[6]);
            at = align4(dataStart + field[6]);
            if (name.equals("TRAILER!!!")) {
                assertThat(archive.length % 512).as("archive padded to 512 bytes").isZero();
                for (int i = at; i < archive.length; i++) {
                    assertThat(archive[i]).isZero();
                }
                return members;
            }
            members.add(new Member(name, field[1], field[4], field[9], field[10], data));
        }
    }

    private static int align4(int offset) {
        return (offset + 3) & ~3;
    }

    private static Member member(List<Member> members, String name) {
        return members.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + members.stream().map(Member::name)
                        .toList()));
    }

    @Test
    void holdsInitModulesInLoadOrderAndConsole() throws IOException {
        Path init = Files.write(dir.resolve("agent"), new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3});
        Path ring = Files.write(dir.resolve("virtio_ring.ko"), "ring-module".getBytes(StandardCharsets.US_ASCII));
        Path console = Files.write(dir.resolve("virtio_console.ko.xz"), new byte[] {9, 8, 7});
        Initramfs initramfs = Initramfs.of(init, List.of(ring, console));
        initramfs.file("usr/bin/program", "#!x".getBytes(StandardCharsets.US_ASCII), 0700);

        List<Member> members = parse(initramfs.toByteArray());

        Member initMember = member(members, "init");
        assertThat(initMember.mode()).isEqualTo(0100755);
        assertThat(initMember.data()).containsExactly(0x7f, 'E', 'L', 'F', 1, 2, 3);
        assertThat(new String(member(members, "modules.list").data(), StandardCharsets.US_ASCII))
                .isEqualTo("/modules/virtio_ring.ko\n/modules/virtio_console.ko.xz\n");
        assertThat(member(members, "modules/virtio_ring.ko").data())
                .isEqualTo("ring-module".getBytes(StandardCharsets.US_ASCII));
        assertThat(member(members, "modules/virtio_console.ko.xz").data()).containsExactly(9, 8, 7);
        Member dev = member(members, "dev/console");
        assertThat(dev.mode()).isEqualTo(020600);
        assertThat(dev.rdevMajor()).isEqualTo(5);
        assertThat(dev.rdevMinor()).isEqualTo(1);
        assertThat(member(members, "usr").mode()).isEqualTo(040755);
        assertThat(member(members, "usr/bin/program").mode()).isEqualTo(0100700);
        List<String> names = members.stream().map(Member::name).toList();
        assertThat(names.indexOf("usr")).isLessThan(names.indexOf("usr/bin"));
        assertThat(names.indexOf("usr/bin")).isLessThan(names.indexOf("usr/bin/program"));
        assertThat(names.indexOf("dev")).isLessThan(names.indexOf("dev/console"));
        assertThat(names).contains("proc", "sys", "tmp");
    }

    @Test
    void oddLengthNamesAndDataArePaddedToFourBytes() {
        Initramfs initramfs = Initramfs.of();
        for (int length = 1; length <= 9; length++) {
            initramfs.file("f".repeat(length), new byte[length], 0644);
        }
        List<Member> members = parse(initramfs.toByteArray());
        for (int length = 1; length <= 9; length++) {
            assertThat(member(members, "f".repeat(length)).data()).hasSize(length);
        }
    }

    @Test
    void gzipAndPlainHoldTheSameArchive() throws IOException {
        Path init = Files.write(dir.resolve("init"), new byte[1000]);
        Initramfs initramfs = Initramfs.of(init, List.of());
        initramfs.write(dir.resolve("plain.cpio"), false);
        initramfs.write(dir.resolve("packed.cpio.gz"), true);
        byte[] plain = Files.readAllBytes(dir.resolve("plain.cpio"));
        byte[] unpacked;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(
                Files.readAllBytes(dir.resolve("packed.cpio.gz"))))) {
            unpacked = in.readAllBytes();
        }
        assertThat(unpacked).isEqualTo(plain);
        assertThat(parse(plain)).extracting(Member::name).contains("init", "modules.list");
    }

    @Test
    void refusesPathsThatLeaveTheRootOrClash() throws IOException {
        Initramfs initramfs = Initramfs.of(Files.write(dir.resolve("init"), new byte[1]), List.of());
        assertThatThrownBy(() -> initramfs.file("../etc/passwd", new byte[1], 0644))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../etc/passwd");
        assertThatThrownBy(() -> initramfs.file("dev", new byte[1], 0644))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("directory");
        assertThatThrownBy(() -> initramfs.file("bin/x", new byte[1], 01000000))
                .isInstanceOf(IllegalArgumentException.class);
        Path twin = Files.createDirectories(dir.resolve("other")).resolve("virtio.ko");
        Files.write(twin, new byte[1]);
        Path first = Files.write(dir.resolve("virtio.ko"), new byte[1]);
        assertThatThrownBy(() -> Initramfs.of(first, List.of(first, twin)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("virtio.ko");
    }
}

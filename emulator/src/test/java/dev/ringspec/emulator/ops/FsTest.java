package dev.ringspec.emulator.ops;

import static dev.ringspec.emulator.ops.FileWorld.AT_FDCWD;
import static dev.ringspec.emulator.ops.FileWorld.O_RDONLY;
import static dev.ringspec.emulator.ops.FileWorld.ring;
import static dev.ringspec.emulator.ops.FileWorld.sameOnBoth;
import static dev.ringspec.emulator.ops.RwTest.UNMAPPED;
import static dev.ringspec.emulator.ops.RwTest.rw;
import static dev.ringspec.uapi.IoUring.IORING_OP_LINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_MKDIRAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_RENAMEAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_SYMLINKAT;
import static dev.ringspec.uapi.IoUring.IORING_OP_UNLINKAT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * fs.c's MKDIRAT, RENAMEAT, LINKAT, SYMLINKAT and UNLINKAT on the emulator against the kernel: the same CQEs and the
 * same directory afterwards, from AT_FDCWD (absolute paths) and from a directory descriptor (relative ones).
 */
@Tag("kernel")
class FsTest {
    static final int AT_REMOVEDIR = 0x200;

    /** An fs.c SQE: {@code dfd}, {@code path} (addr), {@code path2} (addr2), {@code len}, flags. */
    private static long fs(RingDriver d, int opcode, int dfd, long path, long path2, int len, int flags, long ud) {
        long at = rw(d, opcode, dfd, path, len, path2, ud);
        Sqe.opFlags(d.sqes(), at, flags);
        return at;
    }

    private static long path(UserMemory memory, String path) {
        return memory.allocateFrom(path).address();
    }

    /** The directory's entries, each with its kind (d, l, f), sorted; then it is removed. */
    private static String listAndRemove(Path dir) throws IOException {
        String listing;
        try (Stream<Path> s = Files.list(dir)) {
            listing = s.map(p -> (Files.isSymbolicLink(p) ? "l:" : Files.isDirectory(p) ? "d:" : "f:")
                    + p.getFileName()).sorted().collect(Collectors.joining(" "));
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        return listing;
    }

    @Test
    void pathOpcodesChangeTheDirectoryFromAtFdcwdAndFromADescriptor() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            Path dir = Files.createTempDirectory("ringspec-fs");
            int dfd = world.open(dir, O_RDONLY);
            RingDriver d = ring(kernel, memory, 8);
            fs(d, IORING_OP_MKDIRAT, AT_FDCWD, path(memory, dir + "/made"), 0, 0755, 0, 1);
            fs(d, IORING_OP_SYMLINKAT, dfd, path(memory, "made"), path(memory, "link"), 0, 0, 2);
            world.finish(kernel, d, 2).forEach(c -> assertThat(c.res()).as("CQE " + c.userData()).isZero());
            Files.writeString(dir.resolve("file"), "x");
            d = ring(kernel, memory, 8);
            fs(d, IORING_OP_LINKAT, dfd, path(memory, "file"), path(memory, "hard"), dfd, 0, 3);
            fs(d, IORING_OP_RENAMEAT, dfd, path(memory, "made"), path(memory, "moved"), dfd, 0, 4);
            List<Cqe> first = world.finishInAnyOrder(kernel, d, 2);
            d = ring(kernel, memory, 8);
            fs(d, IORING_OP_UNLINKAT, dfd, path(memory, "file"), 0, 0, 0, 5);
            fs(d, IORING_OP_UNLINKAT, AT_FDCWD, path(memory, dir + "/moved"), 0, 0, AT_REMOVEDIR, 6);
            List<Cqe> second = world.finishInAnyOrder(kernel, d, 2);
            return new FileWorld.Outcome(Stream.concat(first.stream(), second.stream()).toList(),
                    listAndRemove(dir));
        });
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(0, 0, 0, 0);
        assertThat(o.effects()).isEqualTo("f:hard l:link");
    }

    @Test
    void badPathsFlagsAndFixedFilesAnswerTheKernelsErrnos() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            Path dir = Files.createTempDirectory("ringspec-fs");
            RingDriver d = ring(kernel, memory, 16);
            fs(d, IORING_OP_MKDIRAT, AT_FDCWD, path(memory, ""), 0, 0755, 0, 1);
            fs(d, IORING_OP_MKDIRAT, AT_FDCWD, UNMAPPED, 0, 0755, 0, 2);
            fs(d, IORING_OP_UNLINKAT, AT_FDCWD, path(memory, dir + "/x"), 0, 0, 0x400, 3);
            fs(d, IORING_OP_UNLINKAT, AT_FDCWD, path(memory, dir + "/missing"), 0, 0, 0, 4);
            fs(d, IORING_OP_MKDIRAT, AT_FDCWD, path(memory, dir + "/a"), 0, 0755, 1, 5);
            fs(d, IORING_OP_RENAMEAT, AT_FDCWD, path(memory, dir + "/missing"), path(memory, dir + "/b"),
                    AT_FDCWD, 0, 6);
            fs(d, IORING_OP_MKDIRAT, 12345, path(memory, "relative"), 0, 0755, 0, 7);
            fs(d, IORING_OP_SYMLINKAT, AT_FDCWD, path(memory, "t"), path(memory, dir + "/l"), 0, 0, 8);
            long fixed = d.nextSqe();
            Sqe.opcode(d.sqes(), fixed, IORING_OP_MKDIRAT);
            Sqe.addr(d.sqes(), fixed, path(memory, dir + "/f"));
            Sqe.flags(d.sqes(), fixed, IOSQE_FIXED_FILE);
            Sqe.userData(d.sqes(), fixed, 9);
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 9), listAndRemove(dir));
        });
        // the kernel's answers, which the emulator's matched: only the symlink was made
        assertThat(o.cqes()).hasSize(9).filteredOn(c -> c.res() == 0).extracting(Cqe::userData).containsExactly(8L);
        assertThat(o.effects()).isEqualTo("l:l");
    }

    @Test
    void unlinkatLooksAtAddr3AndPad2OnlyFrom72() throws Exception {
        FileWorld.Outcome o = sameOnBoth((kernel, memory, world) -> {
            Path dir = Files.createTempDirectory("ringspec-fs");
            RingDriver d = ring(kernel, memory, 4);
            long missing = path(memory, dir + "/missing");
            for (int word = 48; word <= 56; word += 8) {
                long at = fs(d, IORING_OP_UNLINKAT, AT_FDCWD, missing, 0, 0, 0, word);
                d.sqes().set(JAVA_LONG, at + word, 0x1234L);
            }
            return new FileWorld.Outcome(world.finishInAnyOrder(kernel, d, 2), listAndRemove(dir));
        });
        // the missing path's -ENOENT before 7.2 (the fuzz's emulator answered -EINVAL on 6.18), -EINVAL from 7.2
        int first = o.cqes().getFirst().res();
        assertThat(first).isIn(-2, -22);
        assertThat(o.cqes()).extracting(Cqe::res).containsExactly(first, first);
    }
}

package dev.ringspec.guest.machine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * The guest's initial root file system: a newc cpio archive (the format the kernel unpacks into its rootfs,
 * Documentation/driver-api/early-userspace/buffer-format.rst), written here without cpio or busybox.
 *
 * <pre>
 * /init           the caller's static binary (the agent), mode 0755
 * /modules.list   modules to load before the port appears, one archive path a line, in load order
 * /modules/NAME   each such module, as the package ships it (.ko, or .ko.xz/.ko.zst for finit_module's
 *                 MODULE_INIT_COMPRESSED_FILE)
 * /dev/console    character device 5:1, so that /init starts with stdin, stdout and stderr on the console
 * /dev /proc /sys /tmp   empty mount points
 * extra files     anything else the caller adds (for {@code ringspec run}: a user's static program)
 * </pre>
 *
 * <p>Each entry is a 110-byte ASCII header ({@code 070701} and thirteen 8-digit hexadecimal fields), the name with
 * its NUL padded to a multiple of four bytes counting the header, then the data padded to four bytes; a
 * {@code TRAILER!!!} entry ends the archive. The kernel creates entries in archive order, so a directory comes
 * before what it holds.
 */
public final class Initramfs {
    /** The file the agent reads to learn which modules to load, in order. */
    public static final String MODULES_LIST = "modules.list";

    static final String MAGIC = "070701";
    static final String TRAILER = "TRAILER!!!";
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFCHR = 0020000;

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** One archive member: a directory, a regular file or a character device. */
    record Entry(String name, int mode, byte[] data, int rdevMajor, int rdevMinor) {
    }

    private Initramfs() {
    }

    /** An empty archive, for callers that lay out the whole root themselves. */
    public static Initramfs of() {
        return new Initramfs();
    }

    /**
     * An initramfs whose /init is {@code init} and which loads {@code modules} in the order given (an empty list
     * where the kernel has the virtio-serial drivers built in).
     */
    public static Initramfs of(Path init, List<Path> modules) throws IOException {
        Initramfs initramfs = new Initramfs();
        for (String dir : List.of("dev", "proc", "sys", "tmp", "modules")) {
            initramfs.directory(dir);
        }
        initramfs.entries.put("dev/console", new Entry("dev/console", S_IFCHR | 0600, new byte[0], 5, 1));
        initramfs.file("init", Files.readAllBytes(init), 0755);
        StringBuilder list = new StringBuilder();
        for (Path module : modules) {
            String name = "modules/" + module.getFileName();
            if (initramfs.entries.containsKey(name)) {
                throw new IllegalArgumentException("two modules named " + module.getFileName());
            }
            initramfs.file(name, Files.readAllBytes(module), 0644);
            list.append('/').append(name).append('\n');
        }
        initramfs.file(MODULES_LIST, list.toString().getBytes(StandardCharsets.US_ASCII), 0644);
        return initramfs;
    }

    /** Adds a directory (and its missing parents) at {@code path}, relative to the root. */
    public Initramfs directory(String path) {
        String name = normalise(path);
        int slash = name.lastIndexOf('/');
        if (slash > 0) {
            directory(name.substring(0, slash));
        }
        Entry existing = entries.get(name);
        if (existing != null && (existing.mode & 0170000) != S_IFDIR) {
            throw new IllegalArgumentException(name + " is already a file in the initramfs");
        }
        entries.putIfAbsent(name, new Entry(name, S_IFDIR | 0755, new byte[0], 0, 0));
        return this;
    }

    /** Adds a regular file at {@code path} with the given permission bits, creating its parent directories. */
    public Initramfs file(String path, byte[] content, int permissions) {
        String name = normalise(path);
        if ((permissions & ~07777) != 0) {
            throw new IllegalArgumentException("permissions 0" + Integer.toOctalString(permissions)
                    + " have bits beyond 07777");
        }
        int slash = name.lastIndexOf('/');
        if (slash > 0) {
            directory(name.substring(0, slash));
        }
        Entry existing = entries.get(name);
        if (existing != null && (existing.mode & 0170000) == S_IFDIR) {
            throw new IllegalArgumentException(name + " is already a directory in the initramfs");
        }
        entries.put(name, new Entry(name, S_IFREG | permissions, content.clone(), 0, 0));
        return this;
    }

    /** Adds the file at {@code source} as {@code path}, keeping whether it is executable. */
    public Initramfs copy(Path source, String path) throws IOException {
        return file(path, Files.readAllBytes(source), Files.isExecutable(source) ? 0755 : 0644);
    }

    /** The archive names in the order they are written. */
    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    /** Writes the archive to {@code target}, gzip-compressed when {@code gzip} (the kernel reads both). */
    public void write(Path target, boolean gzip) throws IOException {
        try (OutputStream file = Files.newOutputStream(target)) {
            if (gzip) {
                try (GZIPOutputStream compressed = new GZIPOutputStream(file, 1 << 16)) {
                    writeTo(compressed);
                }
            } else {
                writeTo(file);
            }
        }
    }

    /** The uncompressed archive. */
    public byte[] toByteArray() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeTo(out);
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return out.toByteArray();
    }

    private void writeTo(OutputStream out) throws IOException {
        int ino = 1;
        long offset = 0;
        for (Entry entry : entries.values()) {
            offset = writeEntry(out, offset, ino++, entry.mode, (entry.mode & 0170000) == S_IFDIR ? 2 : 1,
                    entry.name, entry.data, entry.rdevMajor, entry.rdevMinor);
        }
        offset = writeEntry(out, offset, 0, 0, 1, TRAILER, new byte[0], 0, 0);
        // The kernel reads the archive in blocks; pad the end to 512 bytes as cpio does.
        out.write(new byte[(int) ((512 - offset % 512) % 512)]);
    }

    private static long writeEntry(OutputStream out, long offset, int ino, int mode, int nlink, String name,
            byte[] data, int rdevMajor, int rdevMinor) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder header = new StringBuilder(110).append(MAGIC);
        long[] fields = {ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBytes.length + 1, 0};
        for (long field : fields) {
            header.append(String.format("%08x", field));
        }
        out.write(header.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(nameBytes);
        out.write(0);
        long position = offset + 110 + nameBytes.length + 1;
        position += pad(out, position);
        out.write(data);
        position += data.length;
        position += pad(out, position);
        return position;
    }

    private static int pad(OutputStream out, long position) throws IOException {
        int padding = (int) ((4 - position % 4) % 4);
        out.write(new byte[padding]);
        return padding;
    }

    private static String normalise(String path) {
        String name = path.startsWith("/") ? path.substring(1) : path;
        if (name.isEmpty() || name.endsWith("/") || name.contains("//") || List.of(name.split("/")).contains("..")
                || List.of(name.split("/")).contains(".")) {
            throw new IllegalArgumentException("not a plain path inside the initramfs: " + path);
        }
        return name;
    }
}

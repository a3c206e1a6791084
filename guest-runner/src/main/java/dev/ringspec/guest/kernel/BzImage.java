package dev.ringspec.guest.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The x86 boot protocol's header, read to tell a bootable kernel from anything else before QEMU is started
 * (Documentation/arch/x86/boot.rst, "The real-mode kernel header"):
 *
 * <pre>
 * 0x1f1  u8   setup_sects     real-mode setup code, in 512-byte sectors (0 means 4)
 * 0x1f4  u32  syssize         protected-mode code, in 16-byte paragraphs
 * 0x1fe  u16  boot_flag       0xAA55
 * 0x202  u32  header          "HdrS"
 * 0x206  u16  version         boot protocol version
 * 0x20e  u16  kernel_version  pointer to a NUL-terminated version string, minus 0x200
 * </pre>
 *
 * @param protocolVersion the boot protocol version, e.g. 0x020f
 * @param version         the kernel's version string ({@code 6.1.0-56-cloud-amd64 (debian-kernel@...) #1 SMP ...})
 */
public record BzImage(int protocolVersion, String version) {
    private static final int HEADER_END = 0x268;

    /** The release, the version string's first word ({@code uname -r} in the guest). */
    public String release() {
        int space = version.indexOf(' ');
        return space < 0 ? version : version.substring(0, space);
    }

    /** Reads and checks the header of {@code image}. */
    public static BzImage read(Path image) throws KernelImageException {
        if (!Files.isRegularFile(image)) {
            throw new KernelImageException(image + " is not a file: name a bzImage or vmlinuz, or debian:6.1,"
                    + " debian:6.12, debian:7.2 or debian:7.3.");
        }
        try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ)) {
            long size = file.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER_END).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && file.read(header, header.position()) > 0) {
                // keep reading: a short file leaves the rest zero
            }
            if (size < HEADER_END || (header.getShort(0x1fe) & 0xffff) != 0xaa55
                    || header.getInt(0x202) != 0x53726448) {
                throw new KernelImageException(image + " is not an x86 kernel image (it has no bzImage boot"
                        + " header): name a bzImage or vmlinuz.");
            }
            int protocol = header.getShort(0x206) & 0xffff;
            if (protocol < 0x0200) {
                throw new KernelImageException(image + " uses boot protocol " + Integer.toHexString(protocol)
                        + ", older than 2.00, which QEMU cannot load.");
            }
            int setupSectors = header.get(0x1f1) & 0xff;
            long expected = (long) ((setupSectors == 0 ? 4 : setupSectors) + 1) * 512
                    + (header.getInt(0x1f4) & 0xffffffffL) * 16;
            if (size < expected) {
                throw new KernelImageException(image + " is truncated: its header announces " + expected
                        + " bytes but the file has " + size + ".");
            }
            int versionPointer = header.getShort(0x20e) & 0xffff;
            String version = "";
            if (versionPointer != 0 && versionPointer + 0x200 < size) {
                ByteBuffer text = ByteBuffer.allocate(256);
                file.read(text, versionPointer + 0x200L);
                byte[] bytes = text.array();
                int end = 0;
                while (end < text.position() && bytes[end] != 0) {
                    end++;
                }
                version = new String(bytes, 0, end, StandardCharsets.US_ASCII);
            }
            return new BzImage(protocol, version);
        } catch (IOException e) {
            throw new KernelImageException(image + " cannot be read: " + e.getMessage());
        }
    }
}

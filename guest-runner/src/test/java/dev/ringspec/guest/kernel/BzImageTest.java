package dev.ringspec.guest.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BzImageTest {
    @TempDir
    Path dir;

    /** A file laid out as boot.rst describes: 2 setup sectors after the boot sector, then 100 paragraphs. */
    private static byte[] fakeBzImage(String version) {
        int setupSectors = 2;
        int paragraphs = 100;
        ByteBuffer image = ByteBuffer.allocate((setupSectors + 1) * 512 + paragraphs * 16)
                .order(ByteOrder.LITTLE_ENDIAN);
        image.put(0x1f1, (byte) setupSectors);
        image.putInt(0x1f4, paragraphs);
        image.putShort(0x1fe, (short) 0xaa55);
        image.put(0x202, "HdrS".getBytes(StandardCharsets.US_ASCII));
        image.putShort(0x206, (short) 0x020f);
        image.putShort(0x20e, (short) 0x300);
        image.put(0x500, (version + "\0").getBytes(StandardCharsets.US_ASCII));
        return image.array();
    }

    @Test
    void readsTheVersionStringOfAKernelImage() throws Exception {
        Path image = Files.write(dir.resolve("bzImage"),
                fakeBzImage("6.19.0-test (me@host) #1 SMP PREEMPT_DYNAMIC"));
        BzImage header = BzImage.read(image);
        assertThat(header.protocolVersion()).isEqualTo(0x020f);
        assertThat(header.release()).isEqualTo("6.19.0-test");
    }

    @Test
    void randomBytesAreNotAKernel() throws IOException {
        byte[] noise = new byte[8192];
        new Random(1).nextBytes(noise);
        Path image = Files.write(dir.resolve("noise"), noise);
        assertThatThrownBy(() -> BzImage.read(image)).isInstanceOf(KernelImageException.class)
                .hasMessageContaining("is not an x86 kernel image");
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        assertThatThrownBy(() -> BzImage.read(empty)).isInstanceOf(KernelImageException.class)
                .hasMessageContaining("is not an x86 kernel image");
    }

    @Test
    void aTruncatedImageIsRefusedBeforeBooting() throws IOException {
        byte[] whole = fakeBzImage("6.19.0-test");
        Path image = Files.write(dir.resolve("cut"), Arrays.copyOf(whole, whole.length - 1));
        assertThatThrownBy(() -> BzImage.read(image)).isInstanceOf(KernelImageException.class)
                .hasMessageContaining("truncated").hasMessageContaining(Integer.toString(whole.length));
    }

    @Test
    void aDirectoryOrMissingFileIsNamed() {
        assertThatThrownBy(() -> BzImage.read(dir)).isInstanceOf(KernelImageException.class)
                .hasMessageContaining("is not a file");
        assertThatThrownBy(() -> BzImage.read(dir.resolve("absent"))).isInstanceOf(KernelImageException.class)
                .hasMessageContaining("absent");
    }
}

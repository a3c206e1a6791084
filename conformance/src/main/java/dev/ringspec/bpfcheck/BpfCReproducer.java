package dev.ringspec.bpfcheck;

import dev.ringspec.nativerunner.SocketFilterKernel;
import dev.ringspec.uapi.SockFilter;
import java.util.List;

/**
 * Writes a standalone C program for one case: it attaches the program to one end of an {@code AF_UNIX} datagram
 * pair with {@code SO_ATTACH_FILTER}, sends the packet from the other end, receives without waiting, and prints
 * each of the kernel's answers beside the model's, then the same for the instrumented program where there is one.
 * It depends on nothing but libc: {@code struct sock_filter} and {@code struct sock_fprog} are declared in it.
 *
 * <p>Its lines: {@code attach: kernel R model R'}, {@code deliver: kernel N} (the original program's receive
 * result, for reading), and {@code instrumented: kernel N model N'}; then {@code agrees} or {@code differs}.
 */
public final class BpfCReproducer {
    private BpfCReproducer() {
    }

    /**
     * The program for {@code c}.
     *
     * @param modelAttach the model's attach result: 0 or {@code -errno}
     * @param instrumented the instrumented program, or null where the model rejects the program
     * @param modelReceive the receive result the instrumented program must give ({@code -EAGAIN} for a drop)
     * @param modelSays the model's verdict and run in words, for the comment
     */
    public static String generate(String title, BpfCase c, int modelAttach, List<SockFilter> instrumented,
            long modelReceive, String modelSays) {
        StringBuilder b = new StringBuilder();
        b.append("/* ringspec bpf-check reproducer: ").append(clean(title)).append("\n * The model: ")
                .append(clean(modelSays)).append("\n * Build: cc -O1 -o repro repro.c    Run: ./repro\n")
                .append(" * Attaches the program as a socket filter, sends the packet, and prints the kernel's answers")
                .append(" beside the model's. */\n");
        b.append("""
                #include <errno.h>
                #include <stdio.h>
                #include <sys/socket.h>
                #include <unistd.h>

                #ifndef SO_ATTACH_FILTER
                #define SO_ATTACH_FILTER 26
                #endif

                struct filter_insn { unsigned short code; unsigned char jt; unsigned char jf; unsigned int k; };
                struct filter_prog { unsigned short len; struct filter_insn *filter; };

                static int attach(int fd, struct filter_insn *insns, unsigned short len) {
                    struct filter_prog prog = { len, insns };
                    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0 ? 0 : -errno;
                }

                static long deliver(const int sv[2], const unsigned char *packet, unsigned long length) {
                    unsigned char buffer[%d];
                    if (send(sv[0], packet, length, 0) != (long) length) {
                        perror("send");
                        return -1000;
                    }
                    long r = recv(sv[1], buffer, sizeof(buffer), MSG_DONTWAIT);
                    return r < 0 ? -errno : r;
                }

                """.formatted(SocketFilterKernel.MAX_DATAGRAM_BYTES + 1));
        array(b, "program", c.program());
        if (instrumented != null) {
            array(b, "instrumented", instrumented);
        }
        byte[] packet = c.packet();
        b.append("static const unsigned char packet[").append(Math.max(1, packet.length)).append("] = {");
        for (int i = 0; i < packet.length; i++) {
            b.append(i % 16 == 0 ? "\n    " : " ").append(String.format("0x%02x,", packet[i] & 0xff));
        }
        b.append(packet.length == 0 ? "0" : "\n").append("};\n\n");
        b.append("int main(void) {\n");
        b.append("    int sv[2];\n");
        b.append("    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) { perror(\"socketpair\"); return 2; }\n");
        b.append("    int differs = 0;\n");
        b.append("    int r = attach(sv[1], program, ").append(c.program().size()).append(");\n");
        b.append("    printf(\"attach: kernel %d model %d\\n\", r, ").append(modelAttach).append(");\n");
        b.append("    differs |= r != ").append(modelAttach).append(";\n");
        b.append("    if (r == 0) {\n");
        b.append("        printf(\"deliver: kernel %ld\\n\", deliver(sv, packet, ").append(packet.length)
                .append("));\n");
        b.append("    }\n");
        if (instrumented != null) {
            b.append("    r = attach(sv[1], instrumented, ").append(instrumented.size()).append(");\n");
            b.append("    long got = r == 0 ? deliver(sv, packet, ").append(packet.length).append(") : r;\n");
            b.append("    printf(\"instrumented: kernel %ld model %ld\\n\", got, ").append(modelReceive)
                    .append("L);\n");
            b.append("    differs |= got != ").append(modelReceive).append("L;\n");
        }
        b.append("    puts(differs ? \"differs\" : \"agrees\");\n");
        b.append("    close(sv[0]);\n    close(sv[1]);\n    return 0;\n}\n");
        return b.toString();
    }

    private static void array(StringBuilder b, String name, List<SockFilter> program) {
        b.append("static struct filter_insn ").append(name).append('[').append(Math.max(1, program.size()))
                .append("] = {\n");
        for (SockFilter insn : program) {
            b.append(String.format("    { 0x%02x, %d, %d, 0x%08xu },%n", insn.code(), insn.jt(), insn.jf(), insn.k()));
        }
        if (program.isEmpty()) {
            b.append("    { 0, 0, 0, 0 }, /* not passed: the length is 0 */\n");
        }
        b.append("};\n");
    }

    private static String clean(String text) {
        return text.replace("*/", "* /").replace("\n", " ");
    }
}

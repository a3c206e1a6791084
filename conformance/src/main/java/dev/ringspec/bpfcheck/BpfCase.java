package dev.ringspec.bpfcheck;

import dev.ringspec.uapi.SockFilter;
import java.util.HexFormat;
import java.util.List;

/**
 * One generated case: a classic program and the datagram it filters.
 *
 * @param seed the seed that generated it ({@link ProgramGenerator#generate}); 0 for a case made by hand or shrunk
 * @param program the instructions, as many as the kernel is handed (0 to {@code BPF_MAXINSNS} + 1)
 * @param packet the datagram's bytes, the packet the loads read
 */
public record BpfCase(long seed, List<SockFilter> program, byte[] packet) {
    public BpfCase {
        program = List.copyOf(program);
        packet = packet.clone();
    }

    @Override
    public byte[] packet() {
        return packet.clone();
    }

    /** The packet's length without a copy. */
    public int packetLength() {
        return packet.length;
    }

    public BpfCase withProgram(List<SockFilter> other) {
        return new BpfCase(seed, other, packet);
    }

    public BpfCase withPacket(byte[] other) {
        return new BpfCase(seed, program, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BpfCase c && c.seed == seed && c.program.equals(program)
                && java.util.Arrays.equals(c.packet, packet);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seed) * 31 + program.hashCode() * 17 + java.util.Arrays.hashCode(packet);
    }

    /** The program one instruction a line, then the packet in hex. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < program.size(); i++) {
            b.append(String.format("  %4d: %s%n", i, program.get(i)));
        }
        b.append("  packet (").append(packet.length).append(" bytes): ").append(HexFormat.of().formatHex(packet));
        return b.toString();
    }

    @Override
    public String toString() {
        return "BpfCase[seed " + seed + ", " + program.size() + " instructions, " + packet.length + "-byte packet]";
    }
}

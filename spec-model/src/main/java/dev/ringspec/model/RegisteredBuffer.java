package dev.ringspec.model;

/**
 * One slot of a ring's registered-buffer table ({@code struct io_mapped_ubuf}): the user memory it pins, as
 * registered. What a fixed read or write ({@code READ_FIXED}, {@code WRITE_FIXED}) checks its range against.
 *
 * @param address {@code iov_base}
 * @param length {@code iov_len}
 */
public record RegisteredBuffer(long address, long length) {
}

package dev.ringspec.lockstep;

import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.UserMemory;
import java.util.function.Function;

/**
 * One side of a lockstep run: a name and how to open the backend over the user memory that side's arguments come
 * from (the model resolves addresses inside arguments through it; the kernel needs none of it).
 */
public record Backend(String name, Function<UserMemory, IoUringKernel> factory) {

    public IoUringKernel open(UserMemory memory) {
        return factory.apply(memory);
    }
}

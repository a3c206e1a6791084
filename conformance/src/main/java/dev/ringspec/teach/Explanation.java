package dev.ringspec.teach;

import java.util.List;

/**
 * A lesson or replay, run: its title, what to know before reading it, the sides' names, the frames, and the question
 * it ends with.
 *
 * @param source the lesson file's name or the replay's path
 * @param notes sentences shown before the first step (a side skipped and why, a catalogue entry's text)
 * @param modelName the model's backend name, or {@code null} if the model did not run
 * @param kernelName the kernel's backend name, or {@code null} if no kernel ran
 * @param partedAt the number of the first frame where the sides differ, or 0
 */
public record Explanation(String source, String title, List<String> notes, String modelName, String kernelName,
        List<Frame> frames, String question, int partedAt) {

    public Explanation {
        notes = List.copyOf(notes);
        frames = List.copyOf(frames);
    }
}

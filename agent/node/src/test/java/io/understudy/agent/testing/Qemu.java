package io.understudy.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** qemu-img and qemu-io, the oracle of every image test: they make the images and judge ours. */
public final class Qemu {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a finished process said. */
    public record Run(int exit, String out, String err) {}

    private Qemu() {}

    public static Run exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            var out = p.getInputStream().readAllBytes();
            var err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + command);
            }
            return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.get(0) + " (install qemu-utils: bin/test-all does)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs a command that must succeed; returns its stdout. */
    public static String ok(String... command) {
        Run r = exec(List.of(command));
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + r.exit() + "): " + r.err() + r.out());
        }
        return r.out();
    }

    /** {@code qemu-img ARGS}, which must succeed. */
    public static String img(String... args) {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        return ok(cmd.toArray(String[]::new));
    }

    /** Runs qemu-io commands (e.g. "write -P 0xaa 0 64k") against an image of the given format. */
    public static void ioAs(String format, Path image, String... commands) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", format));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(image.toString());
        Run r = exec(cmd);
        if (r.exit() != 0 || r.out().contains("failed") || r.err().contains("failed")) {
            throw new AssertionError("qemu-io " + String.join(" ; ", commands) + " failed: " + r.err() + r.out());
        }
    }

    /** Runs qemu-io commands against a qcow2 image. */
    public static void io(Path image, String... commands) {
        ioAs("qcow2", image, commands);
    }

    /** True when qemu-img compare finds the guest contents identical (it fails the test on an error). */
    public static boolean identical(Path a, Path b) {
        Run r = exec(List.of("qemu-img", "compare", a.toString(), b.toString()));
        if (r.exit() > 1) {
            throw new AssertionError("qemu-img compare failed: " + r.err());
        }
        return r.exit() == 0;
    }

    /** qemu-img check's verdict as JSON (exit 0 clean, 2 corrupt, 3 leaks only). */
    public static JsonNode check(Path image) throws IOException {
        Run r = exec(List.of("qemu-img", "check", "--output=json", image.toString()));
        if (r.out().isBlank()) {
            throw new AssertionError("qemu-img check " + image + " printed nothing (" + r.exit() + "): " + r.err());
        }
        return JSON.readTree(r.out());
    }

    /** qemu-img map --output=json, one node per extent. */
    public static JsonNode map(Path image) throws IOException {
        return JSON.readTree(img("map", "--output=json", image.toString()));
    }
}

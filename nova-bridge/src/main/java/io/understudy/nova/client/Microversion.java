package io.understudy.nova.client;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Nova API microversion such as 2.74: what a request asks Nova to speak. */
public record Microversion(int major, int minor) implements Comparable<Microversion> {

    private static final Pattern FORMAT = Pattern.compile("([1-9][0-9]*)\\.(0|[1-9][0-9]*)");

    public Microversion {
        if (major < 1 || minor < 0) {
            throw new IllegalArgumentException("microversion " + major + "." + minor + " is not valid");
        }
    }

    /**
     * Parses "MAJOR.MINOR".
     *
     * @throws IllegalArgumentException naming the text when it is not of that form
     */
    public static Microversion parse(String text) {
        Matcher matcher = FORMAT.matcher(text);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("microversion '" + text + "' is not of the form MAJOR.MINOR (e.g. 2.74)");
        }
        return new Microversion(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)));
    }

    /** The value of the {@code OpenStack-API-Version} header that asks Nova for this version. */
    public String headerValue() {
        return "compute " + this;
    }

    @Override
    public int compareTo(Microversion other) {
        return major != other.major ? Integer.compare(major, other.major) : Integer.compare(minor, other.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}

package io.understudy.scheduler.yaml;

import static java.util.Objects.requireNonNull;

/**
 * A document is wrong at a place: {@code SOURCE:LINE: KEY: reason}, one line, so that an operator
 * can go to the line and fix the key.
 */
public final class YamlException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final String key;
    private final String reason;

    public YamlException(String source, int line, String key, String reason) {
        super(format(source, line, key, reason));
        this.source = requireNonNull(source, "source is null");
        this.line = line;
        this.key = requireNonNull(key, "key is null");
        this.reason = requireNonNull(reason, "reason is null");
    }

    public static YamlException at(String source, YamlNode node, String reason) {
        return new YamlException(source, node.line(), node.path(), reason);
    }

    private static String format(String source, int line, String key, String reason) {
        return source + (line > 0 ? ":" + line : "") + ": " + (key.isEmpty() ? "" : key + ": ") + reason;
    }

    public String source() {
        return source;
    }

    /** 1-based; 0 when the whole document is at fault. */
    public int line() {
        return line;
    }

    /** The key's path, e.g. {@code rules[2].for}; empty for the document itself. */
    public String key() {
        return key;
    }

    public String reason() {
        return reason;
    }
}

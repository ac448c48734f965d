package io.understudy.scheduler.yaml;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads one YAML document into {@link YamlNode}s; duplicate keys are an error, not "last one wins". */
public final class YamlReader {

    /** Rules and configuration files are small; a huge one is a mistake, not a cloud. */
    static final int MAX_CHARS = 4 * 1024 * 1024;

    private final YAMLFactory factory;

    public YamlReader() {
        this.factory = YAMLFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
                .build();
    }

    /**
     * @param source the file's name for error messages
     * @throws YamlException naming the line when the text is not YAML, has duplicate keys, or is empty
     */
    public YamlNode read(String text, String source) {
        if (text.length() > MAX_CHARS) {
            throw new YamlException(source, 0, "", "larger than " + MAX_CHARS + " characters");
        }
        try (JsonParser parser = factory.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new YamlException(source, 0, "", "is empty");
            }
            return node(parser, source, "", 0);
        } catch (YamlException e) {
            throw e;
        } catch (IOException e) {
            // SnakeYAML knows where the problem is (its "problem mark"); Jackson's location is where
            // the token began, often lines earlier.
            if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
                throw new YamlException(source, marked.getProblemMark().getLine() + 1, "",
                        "not valid YAML: " + oneLine(marked.getProblem()));
            }
            JsonLocation at = e instanceof com.fasterxml.jackson.core.JsonProcessingException p ? p.getLocation() : null;
            String message = e instanceof com.fasterxml.jackson.core.JsonProcessingException p
                    ? p.getOriginalMessage() : e.getMessage();
            throw new YamlException(source, at == null ? 0 : at.getLineNr(), "",
                    "not valid YAML: " + oneLine(message));
        }
    }

    /** @param atLine the line of the key whose value this is, or 0 for the document and list items */
    private YamlNode node(JsonParser parser, String source, String path, int atLine) throws IOException {
        int line = atLine > 0 ? atLine : parser.currentTokenLocation().getLineNr();
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT -> {
                Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    int keyLine = parser.currentTokenLocation().getLineNr();
                    String childPath = path.isEmpty() ? key : path + "." + key;
                    if (entries.containsKey(key)) {
                        throw new YamlException(source, keyLine, childPath,
                                "duplicate key (first at line " + entries.get(key).line() + ")");
                    }
                    parser.nextToken();
                    // A value is placed at its key's line: "tls:" is where an operator looks, not
                    // the first line of the block below it.
                    entries.put(key, new YamlNode.Entry(key, keyLine, node(parser, source, childPath, keyLine)));
                }
                return new YamlNode.Mapping(line, path, entries);
            }
            case START_ARRAY -> {
                List<YamlNode> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(node(parser, source, path + "[" + (items.size() + 1) + "]", 0));
                }
                return new YamlNode.Sequence(line, path, items);
            }
            case VALUE_NULL -> {
                return new YamlNode.Scalar(line, path, null);
            }
            default -> {
                return new YamlNode.Scalar(line, path, parser.getText());
            }
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}

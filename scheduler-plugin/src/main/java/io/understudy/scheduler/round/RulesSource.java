package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.rules.RulesParser;
import io.understudy.scheduler.yaml.YamlException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules in force: read at start (an invalid file stops the controller), re-read when the
 * file changes, and kept as they were when the changed file is invalid or unreadable.
 */
public final class RulesSource {

    private static final Logger log = LoggerFactory.getLogger(RulesSource.class);

    private final Optional<Path> file;
    private final Optional<ProtectionChoices> choices;
    private final RulesParser parser = new RulesParser();
    private Rules current;
    private FileTime loadedModified;
    private long loadedSize;
    private Optional<String> problem = Optional.empty();

    /**
     * @param file empty: no rules, every host in range, nothing ever moves
     * @throws YamlException when the file is invalid
     */
    public RulesSource(Optional<Path> file) {
        this(file, Optional.empty());
    }

    /**
     * @param file empty: no rules, every host in range, nothing ever moves
     * @param choices the operator's choices of single VMs, read with the rules each time
     * @throws YamlException when the file is invalid
     */
    public RulesSource(Optional<Path> file, Optional<ProtectionChoices> choices) {
        this.file = requireNonNull(file, "file is null");
        this.choices = requireNonNull(choices, "choices is null");
        if (file.isEmpty()) {
            current = Rules.none();
        } else {
            stamp();
            current = parser.parse(file.get());
        }
    }

    /**
     * The rules to judge by now, with the operator's choices as they are now; re-reads the file
     * first when it changed since the last read.
     */
    public synchronized Rules current() {
        Rules fromFile = fromFile();
        return choices.map(c -> fromFile.withChoices(c.all())).orElse(fromFile);
    }

    private Rules fromFile() {
        if (file.isPresent() && changed()) {
            stamp();
            try {
                current = parser.parse(file.get());
                problem = Optional.empty();
                log.info("rules reloaded from {}: {} rules", file.get(), current.rules().size());
            } catch (YamlException e) {
                problem = Optional.of("rules not reloaded, still using the last good ones: " + e.getMessage());
                log.error("{}", problem.get());
            }
        }
        return current;
    }

    /** Why the last reload was refused, until a reload succeeds. */
    public synchronized Optional<String> problem() {
        return problem;
    }

    private boolean changed() {
        try {
            return !Files.getLastModifiedTime(file.get()).equals(loadedModified) || Files.size(file.get()) != loadedSize;
        } catch (IOException e) {
            if (problem.isEmpty()) {
                problem = Optional.of("rules file " + file.get() + " cannot be read (" + e.getMessage()
                        + "), still using the last good rules");
                log.error("{}", problem.get());
            }
            return false;
        }
    }

    private void stamp() {
        try {
            loadedModified = Files.getLastModifiedTime(file.get());
            loadedSize = Files.size(file.get());
        } catch (IOException e) {
            loadedModified = null;
            loadedSize = -1;
        }
    }
}

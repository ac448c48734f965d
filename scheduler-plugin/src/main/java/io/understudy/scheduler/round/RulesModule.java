package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.scheduler.records.Records;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;

/** The business rules in force, from the configured file, and the operator's choices of single VMs. */
public final class RulesModule extends AbstractModule {

    private final Optional<Path> file;

    public RulesModule(Optional<Path> file) {
        this.file = requireNonNull(file, "file is null");
    }

    /** Reads the rules at once: an invalid file stops the controller before anything runs. */
    @Provides
    @Singleton
    RulesSource rules(ProtectionChoices choices) {
        return new RulesSource(file, Optional.of(choices));
    }

    @Provides
    @Singleton
    ProtectionChoices choices(Records records, Clock clock) {
        return new ProtectionChoices(records, clock);
    }
}

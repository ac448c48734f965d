package io.understudy.scheduler.history;

import java.util.List;
import java.util.Optional;

/** Where rounds are recorded. */
public interface HistoryStore {

    void append(RoundRecord round);

    /** The newest {@code limit} rounds, oldest first. */
    List<RoundRecord> last(int limit);

    default Optional<RoundRecord> latest() {
        List<RoundRecord> last = last(1);
        return last.isEmpty() ? Optional.empty() : Optional.of(last.get(0));
    }
}

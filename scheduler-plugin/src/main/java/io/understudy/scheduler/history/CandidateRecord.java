package io.understudy.scheduler.history;

import io.understudy.scheduler.decide.Candidate;
import java.util.List;

/** A candidate secondary as history keeps it. */
public record CandidateRecord(String host, double lagSeconds, boolean eligible, double score, List<String> rejections) {

    public CandidateRecord {
        rejections = rejections == null ? List.of() : List.copyOf(rejections);
    }

    public static CandidateRecord of(Candidate c) {
        return new CandidateRecord(c.host(), c.lagSeconds(), c.eligible(), Math.round(c.score() * 1000) / 1000.0,
                c.rejections());
    }
}

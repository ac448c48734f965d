package io.understudy.scheduler.decide;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One secondary considered as a VM's new home.
 *
 * @param score headroom (0..1, mean over the applicable min/max rules) + freshness (0..1, 1 = no
 *     lag) − 0.1 per other VM already headed there this round; only meaningful when eligible
 * @param rejections why it is not eligible; empty when it is
 */
public record Candidate(String host, double lagSeconds, boolean eligible, double score, List<String> rejections) {

    public Candidate {
        requireNonNull(host, "host is null");
        rejections = List.copyOf(rejections);
    }
}

package io.understudy.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Which bitmaps in a VM's disk a round removes: its own checkpoints' that the checkpoint it keeps
 * does not need, such as those a cold migration copied along, and nothing else.
 */
class StaleBitmapsTest {

    private static final UUID VM = UUID.fromString("1302f140-0d4b-4c3e-9a51-2b7d8e6f0a13");

    @Test
    void theBitmapsOfOldHostsCheckpointsAreStaleButNotTheOneKept() {
        List<String> inImage = List.of("understudy-1302f140-5", "understudy-1302f140-12", "understudy-1302f140-17");
        assertThat(Primary.staleBitmaps(VM, inImage, Optional.of("understudy-1302f140-17")))
                .containsExactly("understudy-1302f140-12", "understudy-1302f140-5");
    }

    @Test
    void aFirstRoundKeepsNoneOfThisVmsBitmaps() {
        assertThat(Primary.staleBitmaps(VM, List.of("understudy-1302f140-5"), Optional.empty()))
                .containsExactly("understudy-1302f140-5");
    }

    @Test
    void theBitmapOfTheCheckpointThisRoundCreatesIsStaleWhenTheImageHasIt() {
        // A name this primary will create again: a bitmap by that name in the image is another history's.
        String next = Primary.checkpointName(VM, 6);
        assertThat(Primary.staleBitmaps(VM, List.of(next), Optional.of(Primary.checkpointName(VM, 5))))
                .containsExactly(next);
    }

    @Test
    void bitmapsNotOfThisVmsCheckpointsAreNeverStale() {
        List<String> foreign = List.of(
                "nightly-backup",                     // someone else's tool
                "understudy-deadbeef-5",              // another VM's checkpoint (a disk cloned from it)
                "understudy-1302f140",                // our prefix, no version
                "understudy-1302f140-",               // no version
                "understudy-1302f140-5x",             // not a version
                "understudy-1302f140-5-old",          // a longer name that merely starts like ours
                "understudy-it-3",                    // a test's name, not this naming
                "UNDERSTUDY-1302f140-5",              // names are case-sensitive
                "x-understudy-1302f140-5");
        assertThat(Primary.staleBitmaps(VM, foreign, Optional.empty())).isEmpty();
    }

    @Test
    void noBitmapsNoneStale() {
        assertThat(Primary.staleBitmaps(VM, List.of(), Optional.of("understudy-1302f140-1"))).isEmpty();
    }
}

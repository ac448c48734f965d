package io.understudy.agent.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.agent.api.BootImages;
import io.understudy.agent.replica.BootFiles.Kind;
import io.understudy.agent.replica.BootFiles.Placement;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BootFilesTest {

    private static final String KERNEL = "9a187fff-d672-4ea7-87ce-3faaab979c6f";
    private static final String RAMDISK = "7c6d3f73-bece-42c2-8a2d-9f4eea830f2e";
    private static final BootImages BOTH = new BootImages(KERNEL, RAMDISK);

    @Test
    void theCacheNameIsNovasSha1OfTheImageId() {
        // As the single-machine cloud's _base names them (python3: hashlib.sha1(id.encode()).hexdigest()).
        assertThat(BootFiles.cacheName(KERNEL)).isEqualTo("f17050c39343b3e7a878cdecb74ba61578b70ff8");
        assertThat(BootFiles.cacheName(RAMDISK)).isEqualTo("dc6ae130ddd1f7e475a9ec05f57ad37716f0608c");
    }

    @Test
    void eachFileHeldThatTheCacheLacksIsPlaced() {
        assertThat(BootFiles.placements(BOTH, EnumSet.allOf(Kind.class), Set.of())).containsExactly(
                new Placement(Kind.KERNEL, "f17050c39343b3e7a878cdecb74ba61578b70ff8"),
                new Placement(Kind.RAMDISK, "dc6ae130ddd1f7e475a9ec05f57ad37716f0608c"));
    }

    @Test
    void nothingReplacesWhatNovaCachedAndNothingIsPlacedWithoutItsIdOrItsCopy() {
        assertThat(BootFiles.placements(BOTH, EnumSet.allOf(Kind.class),
                Set.of("f17050c39343b3e7a878cdecb74ba61578b70ff8"))).containsExactly(
                new Placement(Kind.RAMDISK, "dc6ae130ddd1f7e475a9ec05f57ad37716f0608c"));
        assertThat(BootFiles.placements(BOTH, EnumSet.of(Kind.KERNEL), Set.of()))
                .extracting(Placement::kind).containsExactly(Kind.KERNEL);
        assertThat(BootFiles.placements(new BootImages(KERNEL, null), EnumSet.allOf(Kind.class), Set.of()))
                .extracting(Placement::kind).containsExactly(Kind.KERNEL);
        // Nova's API shows an instance without a kernel as "".
        assertThat(BootFiles.placements(new BootImages("", ""), EnumSet.allOf(Kind.class), Set.of())).isEmpty();
        assertThat(BootFiles.placements(BootImages.NONE, EnumSet.allOf(Kind.class), Set.of())).isEmpty();
    }

    @Test
    void onlyGlanceImageIdsAndTheTwoFixedNamesAreTaken() {
        assertThat(BootFiles.invalid(BOTH)).isEmpty();
        assertThat(BootFiles.invalid(BootImages.NONE)).isEmpty();
        assertThat(BootFiles.invalid(new BootImages("../../etc/passwd", null))).isPresent();
        assertThat(BootFiles.invalid(new BootImages(null, "a/b"))).isPresent();
        assertThat(Kind.named("kernel")).contains(Kind.KERNEL);
        assertThat(Kind.named("ramdisk")).contains(Kind.RAMDISK);
        assertThat(Kind.named("disk")).isEmpty();
        assertThat(Kind.named("../kernel")).isEmpty();
    }
}

package io.understudy.scheduler.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ReplicaIndexTest {

    @Test
    void theReplicasOfTheWantedVmsOnlyInHostOrderAndUsableOnly() {
        UUID wanted = new UUID(0, 1);
        // The same hash as wanted's, another id: comparing hashes alone would take it.
        UUID sameHash = new UUID(1, 0);
        assertThat(sameHash.hashCode()).isEqualTo(wanted.hashCode());
        UUID other = new UUID(7, 7);
        UUID broken = new UUID(9, 9);
        ReplicaIndex index = new ReplicaIndex(4);
        assertThat(index.add(0, "a", Map.of(wanted, 3.0, sameHash, 9.0, broken, -1.0), Map.of(wanted, 40L))).isEqualTo(9.0);
        assertThat(index.add(1, "b", Map.of(other, 1.0), Map.of(other, 2L))).isEqualTo(1.0);
        assertThat(index.add(2, "c", Map.of(wanted, 0.5), Map.of())).isEqualTo(0.5);
        assertThat(index.add(3, "d", Map.of(), Map.of())).isZero();

        Map<UUID, List<Replica>> found = index.of(Set.of(wanted, broken, new UUID(5, 5)));
        assertThat(found).containsOnlyKeys(wanted);
        assertThat(found.get(wanted)).containsExactly(new Replica("a", 3.0, 40), new Replica("c", 0.5, -1))
                .as("c's agent did not say its version");
        assertThat(index.of(Set.of())).isEmpty();
    }
}

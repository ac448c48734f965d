package io.understudy.scheduler.records;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

/** What every {@link Records} must do; each implementation's test runs it against the real store. */
public abstract class RecordsContract {

    /** A store with no records. */
    protected abstract Records records() throws Exception;

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static String s(byte[] b) {
        return new String(b, UTF_8);
    }

    @Test
    public void createClaimsANameOnce() throws Exception {
        Records r = records();
        assertThat(r.create("moves", "vm-1", b("{\"a\":1}"))).isTrue();
        assertThat(r.create("moves", "vm-1", b("{\"a\":2}"))).as("the second claim").isFalse();
        assertThat(r.get("moves", "vm-1")).map(RecordsContract::s).contains("{\"a\":1}");
    }

    @Test
    public void putReplacesAndGetReadsBack() throws Exception {
        Records r = records();
        assertThat(r.get("fences", "compute1")).isEmpty();
        r.put("fences", "compute1", b("first"));
        r.put("fences", "compute1", b("second"));
        assertThat(r.get("fences", "compute1")).map(RecordsContract::s).contains("second");
    }

    @Test
    public void allListsOneKindInNameOrder() throws Exception {
        Records r = records();
        r.put("forced-down", "compute2", b("2"));
        r.put("forced-down", "compute1", b("1"));
        r.put("moves", "x", b("not this kind"));
        r.put("moves/ended", "x-20261129T120000.000Z", b("nor this"));
        Map<String, byte[]> all = r.all("forced-down");
        assertThat(all.keySet()).containsExactly("compute1", "compute2");
        assertThat(s(all.get("compute2"))).isEqualTo("2");
        assertThat(r.all("moves").keySet()).containsExactly("x");
        assertThat(r.all("moves/ended").keySet()).containsExactly("x-20261129T120000.000Z");
        assertThat(r.all("assignments")).isEmpty();
    }

    @Test
    public void deleteForgetsAndSaysWhetherThereWasOne() throws Exception {
        Records r = records();
        r.put("moves", "vm-1", b("{}"));
        assertThat(r.delete("moves", "vm-1")).isTrue();
        assertThat(r.delete("moves", "vm-1")).isFalse();
        assertThat(r.get("moves", "vm-1")).isEmpty();
        assertThat(r.create("moves", "vm-1", b("{}"))).as("claimable again").isTrue();
    }

    @Test
    public void aNameIsNeverAPath() throws Exception {
        Records r = records();
        for (String bad : List.of("", " ", "../etc", "a/b", ".hidden", "x".repeat(Records.MAX_NAME + 1))) {
            assertThatThrownBy(() -> r.put("fences", bad, b("{}"))).as("'%s'", bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot name a record");
        }
        assertThat(r.all("fences")).isEmpty();
    }

    @Test
    public void compareAndSetWritesOnlyOverTheVersionItWasGiven() throws Exception {
        Records r = records();
        assertThat(r.compareAndSet("claims", "vm-1", 1, b("first"))).as("no record at version 1").isEmpty();
        long first = r.compareAndSet("claims", "vm-1", 0, b("first")).orElseThrow();
        assertThat(r.versions("claims")).containsExactly(Map.entry("vm-1", first));
        assertThat(r.compareAndSet("claims", "vm-1", 0, b("again"))).as("one there already").isEmpty();
        long second = r.compareAndSet("claims", "vm-1", first, b("second")).orElseThrow();
        assertThat(second).isNotIn(0L, first);
        assertThat(r.compareAndSet("claims", "vm-1", first, b("stale"))).as("over a version gone").isEmpty();
        r.put("claims", "vm-1", b("put"));
        assertThat(r.compareAndSet("claims", "vm-1", second, b("after put"))).as("a put changed it").isEmpty();
        assertThat(r.get("claims", "vm-1")).map(RecordsContract::s).contains("put");
        assertThat(r.versions("claims").get("vm-1")).isNotIn(0L, first, second);
    }

    @Test
    public void compareAndSetStoresTheRecordsWithItOnlyWhenItWins() throws Exception {
        Records r = records();
        long first = r.compareAndSet("claims", "vm-2", 0, b("claim 1"),
                List.of(new Records.Write("moves", "vm-2", b("begun")))).orElseThrow();
        assertThat(r.get("moves", "vm-2")).map(RecordsContract::s).contains("begun");

        assertThat(r.compareAndSet("claims", "vm-2", 0, b("stale claim"),
                List.of(new Records.Write("moves", "vm-2", b("overwritten by a loser"))))).isEmpty();
        assertThat(r.get("moves", "vm-2")).as("the loser wrote nothing").map(RecordsContract::s).contains("begun");
        assertThat(r.get("claims", "vm-2")).map(RecordsContract::s).contains("claim 1");

        r.compareAndSet("claims", "vm-2", first, b("claim 2"), List.of(new Records.Write("moves", "vm-2", b("marked")),
                new Records.Write("fences", "host-1", b("proof")))).orElseThrow();
        assertThat(r.get("moves", "vm-2")).map(RecordsContract::s).contains("marked");
        assertThat(r.get("fences", "host-1")).map(RecordsContract::s).contains("proof");
        assertThat(r.get("claims", "vm-2")).map(RecordsContract::s).contains("claim 2");
    }

    @Test
    public void ofManyComparingAndSettingOneVersionAtOnceExactlyOneWins() throws Exception {
        Records r = records();
        long seen = r.compareAndSet("claims", "vm-contended", 0, b("start")).orElseThrow();
        List<Integer> won = winners(i -> r.compareAndSet("claims", "vm-contended", seen, b("claim " + i)).isPresent());
        assertThat(won).hasSize(1);
        assertThat(r.get("claims", "vm-contended")).map(RecordsContract::s).contains("claim " + won.get(0));
    }

    @Test
    public void ofManyClaimingAtOnceExactlyOneWins() throws Exception {
        Records r = records();
        assertThat(winners(i -> r.create("moves", "vm-contended", b("claim " + i)))).hasSize(1);
    }

    /** Which of 8 claimers, released together, say they won. */
    private static List<Integer> winners(IntPredicate claim) throws Exception {
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> claims = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int claimer = i;
                Callable<Boolean> one = () -> {
                    start.await();
                    return claim.test(claimer);
                };
                claims.add(pool.submit(one));
            }
            start.countDown();
            List<Integer> won = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (claims.get(i).get()) {
                    won.add(i);
                }
            }
            return won;
        } finally {
            pool.shutdownNow();
        }
    }
}

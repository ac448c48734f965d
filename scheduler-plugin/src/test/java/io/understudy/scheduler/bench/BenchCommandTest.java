package io.understudy.scheduler.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.scheduler.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void aSmallRunPrintsTheRoundBesideTheNaiveOneWithRealDecisions() throws Exception {
        StringWriter out = new StringWriter();
        int exit = Main.run(new String[] {"bench", "--hosts", "300", "--vms", "3000", "--runs", "3", "--naive-vms", "100",
                "--json"}, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
        assertThat(exit).isZero();
        JsonNode r = new ObjectMapper().readTree(out.toString());
        assertThat(r.get("hosts").asInt()).isEqualTo(300);
        assertThat(r.get("parameters").asInt()).isEqualTo(12);
        assertThat(r.get("vms").asInt()).isEqualTo(3000);
        assertThat(r.get("roundMillisMedian").asDouble()).isPositive();
        // Every VM re-evaluating every host costs hosts/3 times the work: it cannot be cheaper.
        assertThat(r.get("naiveMillisScaled").asDouble()).isGreaterThan(r.get("roundMillisMedian").asDouble());
        assertThat(r.get("outcomes").get("STAY").asInt()).isPositive();
        assertThat(r.get("outcomes").get("MOVE").asInt()).isPositive();
        assertThat(r.get("heapMaxMib").asLong()).isPositive();
    }
}

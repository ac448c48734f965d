package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.state.ComputeService;
import java.time.Clock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's word that a host is fenced ({@code understudy fence confirm HOST}), after the
 * checks a fencer could make from here: Nova knows the host, and its agent does not answer (an
 * agent that answers runs on a host that is not powered off).
 */
public final class ManualFences {

    private static final Logger LOG = LoggerFactory.getLogger(ManualFences.class);

    private final NovaMoves nova;
    private final MoveAgents agents;
    private final FenceConfirmations confirmations;
    private final Clock clock;

    public ManualFences(NovaMoves nova, MoveAgents agents, FenceConfirmations confirmations, Clock clock) {
        this.nova = requireNonNull(nova, "nova is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.confirmations = requireNonNull(confirmations, "confirmations is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Records that BY confirmed HOST fenced, with NOTE.
     *
     * @throws IllegalArgumentException when Nova knows no nova-compute on HOST
     * @throws MoveRefusedException when HOST's agent answers
     */
    public FenceConfirmations.Confirmation confirm(String host, String by, String note) {
        if (nova.computeService(host).isEmpty()) {
            throw new NotFoundException("Nova knows no nova-compute on " + host + " (known: "
                    + nova.computeServices().stream().map(ComputeService::host).sorted()
                            .collect(Collectors.joining(", ")) + ")");
        }
        if (agents.answers(host)) {
            throw new MoveRefusedException(host + "'s agent answers at " + agents.url(host)
                    + ": the host is not powered off, so it is not fenced");
        }
        FenceConfirmations.Confirmation c = new FenceConfirmations.Confirmation(host, clock.instant(), by, note);
        confirmations.record(c);
        LOG.warn("{}: fence confirmed by hand by {} ({}); failovers from it evacuate on this word until {} or until "
                + "its agent answers again", host, by, note.isEmpty() ? "no note" : note,
                c.at().plus(confirmations.validFor()));
        return c;
    }
}

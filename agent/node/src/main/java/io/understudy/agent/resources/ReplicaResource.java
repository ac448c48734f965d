package io.understudy.agent.resources;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.understudy.agent.api.BaseImage;
import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.DeltaReceipt;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.Role;
import io.understudy.agent.api.StageResult;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.Divergence;
import io.understudy.agent.rejoin.Preservation;
import io.understudy.agent.replica.BootFileTooLargeException;
import io.understudy.agent.replica.BootFiles;
import io.understudy.agent.replica.Replica;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.replica.UnsafePathException;
import io.understudy.agent.replication.Protections;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.BufferedOutputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /v1/replicas}: the replicas this node holds, the deltas that feed them, and staging one. */
@Path("/v1/replicas")
@Produces(MediaType.APPLICATION_JSON)
public final class ReplicaResource {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaResource.class);
    private static final Pattern IMAGE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}");
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = io.understudy.agent.api.Json.mapper();
    private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final ReplicaStore store;
    private final Preservation preservation;
    private final Protections protections;
    private final AgentConfig config;
    private final Housekeeping housekeeping;
    private final MeterRegistry metrics;

    @Inject
    public ReplicaResource(ReplicaStore store, Preservation preservation, Protections protections, AgentConfig config,
            Housekeeping housekeeping, MeterRegistry metrics) {
        this.store = store;
        this.preservation = preservation;
        this.protections = protections;
        this.config = config;
        this.housekeeping = housekeeping;
        this.metrics = metrics;
    }

    @GET
    public List<ReplicaInfo> list() throws IOException {
        List<ReplicaInfo> all = new java.util.ArrayList<>();
        for (Replica r : store.all()) {
            all.add(info(r));
        }
        all.sort(Comparator.comparing(ReplicaInfo::vm));
        return all;
    }

    @GET
    @Path("{vm}")
    public ReplicaInfo get(@PathParam("vm") String id) throws IOException {
        UUID vm = Ids.vm(id);
        notRejoining(vm);
        return info(replica(vm));
    }

    /**
     * The per-cluster hashes of the version held (the delta package's manifest file), for a former
     * primary to find where its disk diverged; 409 when the replica holds another version.
     */
    @GET
    @Path("{vm}/manifest")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response manifest(@PathParam("vm") String id, @QueryParam("version") long version) throws IOException {
        Replica r = held(Ids.vm(id), version);
        InputStream in = r.manifest();
        StreamingOutput body = out -> {
            try (in) {
                in.transferTo(out);
            }
        };
        return Response.ok(body, MediaType.APPLICATION_OCTET_STREAM).build();
    }

    /**
     * The content of the version held at the clusters a former primary names (runs of the delta
     * package's Divergence, as the body), as a delta stream: what it rolls back with.
     */
    @POST
    @Path("{vm}/clusters")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public Response clusters(@PathParam("vm") String id, @QueryParam("version") long version, InputStream body)
            throws IOException {
        UUID vm = Ids.vm(id);
        Replica r = held(vm, version);
        Replica.State s = r.state();
        long clusterCount = (s.virtualSize() + s.clusterSize() - 1) / s.clusterSize();
        long max = Divergence.maxBytes(clusterCount);
        byte[] request = read(vm, body, in -> in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1)));
        if (request.length > max) {
            throw Ids.error(Response.Status.REQUEST_ENTITY_TOO_LARGE, "cluster runs for " + vm + " exceed " + max
                    + " bytes");
        }
        long[] runs = Divergence.decode(request, clusterCount);
        LOG.info("replica {}: sending version {} at {} clusters for a rollback", vm, s.version(),
                Divergence.clusters(runs));
        StreamingOutput out = stream -> r.clusters(runs, new BufferedOutputStream(stream, 1 << 20));
        return Response.ok(out, MediaType.APPLICATION_OCTET_STREAM).build();
    }

    private Replica held(UUID vm, long version) {
        Replica r = replica(vm);
        if (r.state().version() != version) {
            throw Ids.error(Response.Status.CONFLICT, "replica of " + vm + " holds version " + r.state().version()
                    + ", not " + version);
        }
        return r;
    }

    /** While a preserved disk is on its way to becoming the replica, the primary must wait, not seed. */
    private void notRejoining(UUID vm) {
        if (preservation.rebuilding(vm)) {
            throw Ids.error(Response.Status.SERVICE_UNAVAILABLE, "the replica of " + vm
                    + " is being rebuilt from the disk preserved here; try again later");
        }
    }

    /**
     * Receives one delta as a streamed body. Only for a VM this node is a secondary of; a delta
     * from another version than the one held answers 409 and changes nothing. A body from which
     * nothing arrives for {@code replication.bodyTimeout} is given up with 408, leaving the
     * replica as it was.
     */
    @POST
    @Path("{vm}/deltas")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    public DeltaReceipt receive(@PathParam("vm") String id, InputStream body) throws IOException {
        UUID vm = Ids.vm(id);
        notRejoining(vm);
        String primary = primaryOf(vm);
        return read(vm, body, in -> receive(vm, primary, DeltaReader.open(new BufferedInputStream(in, 1 << 20))));
    }

    /** What consumes a request body. */
    private interface BodyUse<T> {
        T apply(InputStream body) throws IOException;
    }

    /** Runs {@code use} on {@code body}; a body that stopped arriving (the server's read timeout) answers 408. */
    private <T> T read(UUID vm, InputStream body, BodyUse<T> use) throws IOException {
        CountingBody counted = new CountingBody(body);
        try {
            return use.apply(counted);
        } catch (IOException e) {
            if (counted.timedOut()) {
                // The error mapper logs the refusal.
                throw Ids.error(Response.Status.REQUEST_TIMEOUT, "replica " + vm
                        + ": the request body stopped arriving: nothing for "
                        + config.replication().bodyTimeout().toMillis() + " ms after " + counted.bytes()
                        + " bytes (replication.bodyTimeout); nothing was changed");
            }
            throw e;
        }
    }

    private DeltaReceipt receive(UUID vm, String primary, DeltaReader reader) throws IOException {
        var header = reader.header();
        if (header.vm().isEmpty() || !header.vm().get().equals(vm)) {
            throw Ids.error(Response.Status.BAD_REQUEST, "the delta is not for " + vm);
        }
        withinLimits(vm, header);
        Replica replica = store.get(vm).orElse(null);
        Replica.Receipt receipt;
        if (replica == null) {
            if (!header.seed() || header.fromVersion() != 0) {
                throw Ids.error(Response.Status.CONFLICT, "no replica of " + vm + " here yet: send a seed from version 0");
            }
            receipt = store.seed(vm, reader, primary);
        } else {
            receipt = replica.receive(reader, primary);
            housekeeping.squashIfLong(replica);
        }
        long payload = receipt.stats() == null ? 0 : receipt.stats().payloadBytes();
        LOG.info("replica {}: {} delta {} -> {} ({} bytes of data); holds version {}", vm,
                receipt.applied() ? "applied" : "already had", header.fromVersion(), header.toVersion(), payload,
                receipt.version());
        metrics.counter("understudy.deltas.received", "result", receipt.applied() ? "applied" : "replayed").increment();
        Counter.builder("understudy.delta.payload.received").baseUnit(BaseUnits.BYTES)
                .description("bytes of data in the deltas this node received").register(metrics).increment(payload);
        return new DeltaReceipt(vm, receipt.version(), receipt.applied(), payload);
    }

    /**
     * A delta may claim no larger disk than this agent takes ({@code replication.maxDiskBytes}):
     * refused before anything is written. (What a qcow2 layer can address at all, DeltaHeader
     * checks.) The replica's own size is no bound, since a resize grows the disk by a delta.
     */
    private void withinLimits(UUID vm, DeltaHeader header) {
        long configured = config.replication().maxDiskBytes();
        if (header.newSize() > configured) {
            // The error mapper logs the refusal.
            throw Ids.error(Response.Status.BAD_REQUEST, "replica " + vm + ": delta field newSize: " + header.newSize()
                    + " bytes is more than this agent takes (replication.maxDiskBytes " + configured + ")");
        }
    }

    /**
     * Starts the replica of {@code vm} from this node's copy of the base image its disk is an
     * overlay of (see {@link BaseImage}): 404 without such an image here, 409 when it differs from
     * the primary's or a later version is held. Idempotent: a replica started from the same image
     * answers at once.
     */
    @POST
    @Path("{vm}/base")
    @Consumes(MediaType.APPLICATION_JSON)
    public ReplicaInfo startFromBase(@PathParam("vm") String id, BaseImage base) throws IOException {
        UUID vm = Ids.vm(id);
        notRejoining(vm);
        String primary = primaryOf(vm);
        if (base == null || base.image() == null || !IMAGE_NAME.matcher(base.image()).matches()) {
            throw Ids.error(Response.Status.BAD_REQUEST, "base image name '" + (base == null ? null : base.image())
                    + "' is not a file name (letters, digits, . _ -; not starting with .)");
        }
        if (base.manifest() == null || !HEX_SHA256.matcher(base.manifest()).matches()) {
            throw Ids.error(Response.Status.BAD_REQUEST, "base image manifest '" + base.manifest()
                    + "' is not 64 hex digits");
        }
        if (Integer.bitCount(base.clusterSize()) != 1 || base.clusterSize() < DeltaHeader.MIN_CLUSTER
                || base.clusterSize() > DeltaHeader.MAX_CLUSTER) {
            throw Ids.error(Response.Status.BAD_REQUEST, "cluster size " + base.clusterSize()
                    + " is not a power of two in 512..2 MiB");
        }
        Replica held = store.get(vm).orElse(null);
        if (held != null && held.state().version() > 0) {
            throw Ids.error(Response.Status.CONFLICT, "replica of " + vm + " holds version " + held.state().version()
                    + "; a base image only starts a replica");
        }
        if (held != null && held.state().manifestHash().equals(base.manifest())) {
            return info(held);
        }
        long t0 = System.nanoTime();
        String found = store.fromBase(vm, cachedImage(base.image()), base.clusterSize(), primary, base.manifest())
                .orElseThrow(() -> Ids.error(Response.Status.NOT_FOUND, "no base image " + base.image() + " in "
                        + config.baseImagesPath()));
        if (!found.equals(base.manifest())) {
            LOG.warn("replica {}: base image {} in {} differs from the primary's (content {} here, {} there); "
                    + "it needs a seed", vm, base.image(), config.baseImagesPath(), found, base.manifest());
            throw Ids.error(Response.Status.CONFLICT, "base image " + base.image() + " here differs from the "
                    + "primary's (content " + found + " here, " + base.manifest() + " there)");
        }
        Replica r = replica(vm);
        LOG.info("replica {}: started from base image {} in {} s; the first delta carries only what the VM wrote "
                + "above it", vm, base.image(), String.format("%.3f", (System.nanoTime() - t0) / 1e9));
        return info(r);
    }

    /**
     * The image of that name in the image cache, found by listing the cache: the path comes from the
     * folder, never from the request.
     */
    private Optional<java.nio.file.Path> cachedImage(String name) throws IOException {
        if (!Files.isDirectory(config.baseImagesPath())) {
            return Optional.empty();
        }
        try (Stream<java.nio.file.Path> files = Files.list(config.baseImagesPath())) {
            return files.filter(f -> f.getFileName().toString().equals(name) && Files.isRegularFile(f)).findFirst();
        }
    }

    /** The primary that feeds this node's replica of {@code vm}; 409 unless this node is its secondary. */
    private String primaryOf(UUID vm) {
        var protection = protections.get(vm).filter(p -> p.role() == Role.SECONDARY)
                .orElseThrow(() -> Ids.error(Response.Status.CONFLICT, "this node is not a secondary of " + vm));
        return protection.peers().isEmpty() ? "" : protection.peers().get(0).host();
    }

    /**
     * Keeps the kernel or ramdisk ({@code kind}: {@code kernel} or {@code ramdisk}, fixed names)
     * the VM's primary boots it with, for staging to put where Nova looks (see BootFiles). Only
     * for a VM this node is a secondary of; past BootFiles#MAX_BYTES, 413 and nothing kept.
     */
    @PUT
    @Path("{vm}/boot/{kind}")
    @Consumes(MediaType.APPLICATION_OCTET_STREAM)
    public Response keepBootFile(@PathParam("vm") String id, @PathParam("kind") String name, InputStream body)
            throws IOException {
        UUID vm = Ids.vm(id);
        BootFiles.Kind kind = BootFiles.Kind.named(name).orElseThrow(() -> Ids.error(Response.Status.NOT_FOUND,
                "no boot file '" + name + "': kernel or ramdisk"));
        primaryOf(vm);
        try {
            read(vm, body, in -> {
                store.keepBootFile(vm, kind, in);
                return null;
            });
        } catch (BootFileTooLargeException e) {
            throw Ids.error(Response.Status.REQUEST_ENTITY_TOO_LARGE, e.getMessage());
        }
        LOG.info("replica {}: keeps the {} its primary boots it with", vm, kind.fileName());
        return Response.noContent().build();
    }

    /**
     * Puts the replica in place as the instance's disk under Nova's instances path: its layers
     * under a fresh overlay (instant), or with {@code flatten=true} one standalone file. With the
     * instance's kernel and ramdisk images named ({@link BootImages}, the body; none without one),
     * the copies kept here go into Nova's image cache, so that Nova's boot fetches nothing from
     * Glance, and into the instance directory with {@code disk.info}, so that it copies and probes
     * nothing either; a failure there is logged and leaves the fetch and copies to Nova.
     */
    @POST
    @Path("{vm}/stage")
    public StageResult stage(@PathParam("vm") String id, @QueryParam("flatten") boolean flatten,
            @HeaderParam("Content-Type") String type, InputStream body) throws IOException {
        UUID vm = Ids.vm(id);
        BootImages images = type != null && MediaType.valueOf(type).isCompatible(MediaType.APPLICATION_JSON_TYPE)
                ? bootImages(body) : BootImages.NONE;
        BootFiles.invalid(images).ifPresent(why -> {
            throw Ids.error(Response.Status.BAD_REQUEST, why);
        });
        Replica r = replica(vm);
        java.nio.file.Path instance = config.instancesPath().resolve(vm.toString());
        java.nio.file.Path disk;
        try {
            disk = flatten ? r.stageFlat(instance, "disk") : r.stage(instance, "disk");
        } catch (UnsafePathException e) {
            LOG.warn("replica {}: refused to stage: {}", vm, e.getMessage());
            throw Ids.error(Response.Status.CONFLICT, e.getMessage());
        }
        List<String> cached = List.of();
        List<String> copied = List.of();
        try {
            cached = store.placeBootFiles(vm, images, config.baseImagesPath());
            copied = store.placeInstanceBootFiles(vm, images, instance);
        } catch (IOException e) {
            LOG.warn("replica {}: its kernel and ramdisk not put into {} and {}: {}; Nova fetches or copies them",
                    vm, config.baseImagesPath(), instance, e.getMessage());
        }
        LOG.info("replica {}: staged version {} as {}{}{}", vm, r.state().version(), disk,
                cached.isEmpty() ? "" : "; boot files in " + config.baseImagesPath() + ": " + cached,
                copied.isEmpty() ? "" : "; in the instance directory with their format in disk.info: " + copied);
        return new StageResult(vm, r.state().version(), disk.toString(), cached);
    }

    /**
     * The stage request's JSON body. Read by hand, as JAX-RS would refuse the request of an older
     * controller (no body, no content type: {@link BootImages#NONE}) to a method that names a JSON
     * body.
     */
    private static BootImages bootImages(InputStream body) throws IOException {
        byte[] json = body.readNBytes(1 << 12);
        if (json.length == 0) {
            return BootImages.NONE;
        }
        try {
            BootImages images = JSON.readValue(json, BootImages.class);
            return images == null ? BootImages.NONE : images;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw Ids.error(Response.Status.BAD_REQUEST, "stage request body: " + e.getOriginalMessage());
        }
    }

    /** Checks every layer and the content against the manifest. */
    @POST
    @Path("{vm}/verify")
    public Replica.Verification verify(@PathParam("vm") String id) throws IOException {
        return replica(Ids.vm(id)).verify();
    }

    /** Deletes a replica's data; refused while this node is assigned as its secondary. */
    @DELETE
    @Path("{vm}")
    public Response delete(@PathParam("vm") String id) throws IOException {
        UUID vm = Ids.vm(id);
        if (protections.get(vm).isPresent()) {
            throw Ids.error(Response.Status.CONFLICT, vm + " is still protected here; remove the protection first");
        }
        replica(vm);
        store.delete(vm);
        LOG.info("replica {}: deleted", vm);
        return Response.noContent().build();
    }

    private Replica replica(UUID vm) {
        return store.get(vm).orElseThrow(() -> Ids.error(Response.Status.NOT_FOUND, "no replica of " + vm + " here"));
    }

    static ReplicaInfo info(Replica r) throws IOException {
        Replica.State s = r.state();
        return new ReplicaInfo(s.vm(), s.version(), r.lagSeconds().orElse(-1), r.bytes(), s.chain().size(),
                s.primary(), s.capturedAtMillis() == 0 ? null : Instant.ofEpochMilli(s.capturedAtMillis()),
                s.manifestHash());
    }
}

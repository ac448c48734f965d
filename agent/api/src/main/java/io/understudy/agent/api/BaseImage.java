package io.understudy.agent.api;

/**
 * {@code POST /v1/replicas/{vm}/base}: start a secondary's replica from the base image the VM's
 * disk is an overlay of, when that node holds the same image (Nova's image cache keeps it as
 * {@code instances_path/_base/NAME} on every host that ran the image). Then only the clusters the
 * VM wrote above the base travel.
 *
 * @param image       the image's file name in the base images folder (no folder: never a path)
 * @param clusterSize the unit the manifest was computed in
 * @param manifest    the image's content as the primary hashed it (hex SHA-256, the delta package's
 *                    Manifest); a node whose image hashes otherwise answers 409
 */
public record BaseImage(String image, int clusterSize, String manifest) {}

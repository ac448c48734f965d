package io.understudy.agent.api;

/**
 * The body of {@code POST /v1/replicas/{vm}/stage}: the Glance images Nova boots the instance's
 * kernel and ramdisk from (its {@code kernel_id} and {@code ramdisk_id}), so that the staging
 * node can put the copies it holds where Nova's image cache looks for them, named as Nova names
 * them there. Nova fetches whatever it does not find there from Glance before it boots an
 * evacuated instance. Each is null when the instance has none; a stage request without a body
 * (an older controller) means none.
 */
public record BootImages(String kernel, String ramdisk) {

    public static final BootImages NONE = new BootImages(null, null);
}

package io.understudy.scheduler.detect;

/** What failure detection says of a host. */
public enum HostState {
    /** Its agent answers and no other channel says it is down. */
    OK,
    /** One channel says it is down, the other does not agree: shown and logged, never acted on. */
    SUSPECT,
    /** Its agent missed its probes and a second, independent channel agrees: its VMs fail over. */
    FAILED
}

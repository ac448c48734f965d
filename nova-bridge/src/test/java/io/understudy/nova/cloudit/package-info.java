/**
 * Tests against the real single-machine cloud of devstack/local-cloud.sh, run by failsafe only
 * when {@code understudy.cloud.config} names its clouds.yaml (the {@code cloud} profile), and the
 * helpers they need: the script, and servers to move.
 */
package io.understudy.nova.cloudit;

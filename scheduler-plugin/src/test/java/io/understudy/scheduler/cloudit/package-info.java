/**
 * Tests against the real single-machine cloud of devstack/local-cloud.sh, run by failsafe only
 * when {@code understudy.cloud.config} names its clouds.yaml (the {@code cloud} profile; bin/test-all
 * sets it), and their helpers: the cloud's Nova, servers to protect, and MariaDB for Quartz.
 */
package io.understudy.scheduler.cloudit;

/**
 * The coded business rules (CLAIM.md, step 4): a YAML file naming, per operating parameter, its
 * operating range (min/max, equals, one-of), how long a breach must last before it counts
 * ({@code for:}), what it applies to (all hosts, a host aggregate, VMs by metadata or flavor), which
 * VMs are protected, and the policy knobs the decisions obey. Parsing refuses a bad file with
 * {@code FILE:LINE: KEY: reason}; everything here is a value, nothing reads the network.
 */
package io.understudy.scheduler.rules;

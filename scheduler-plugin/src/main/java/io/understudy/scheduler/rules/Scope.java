package io.understudy.scheduler.rules;

import static java.util.Objects.requireNonNull;

/** What a rule applies to. */
public sealed interface Scope {

    String show();

    /** Every compute host, for every protected VM. */
    record AllHosts() implements Scope {
        @Override
        public String show() {
            return "all hosts";
        }
    }

    /** The hosts of one Nova host aggregate, for every protected VM. */
    record Aggregate(String name) implements Scope {
        public Aggregate {
            requireNonNull(name, "name is null");
        }

        @Override
        public String show() {
            return "aggregate " + name;
        }
    }

    /** Every host, but only when judging where the selected VMs may run. */
    record Vms(VmSelector selector) implements Scope {
        public Vms {
            requireNonNull(selector, "selector is null");
        }

        @Override
        public String show() {
            return "VMs with " + selector.show();
        }
    }
}

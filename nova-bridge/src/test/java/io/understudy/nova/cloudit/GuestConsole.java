package io.understudy.nova.cloudit;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the tiny guest (devstack/tiny-guest/init.sh) printed on its console, as Nova's console log
 * of a host has it: "understudy-guest resume N" once per boot (N the highest record its disk held),
 * then "understudy-record N slot S" once each record is durable on its disk.
 */
record GuestConsole(List<Long> resumes, List<Long> records) {

    private static final Pattern RESUME = Pattern.compile("understudy-guest resume (\\d+)");
    private static final Pattern RECORD = Pattern.compile("understudy-record (\\d+) slot \\d+");

    GuestConsole {
        resumes = List.copyOf(requireNonNull(resumes, "resumes is null"));
        records = List.copyOf(requireNonNull(records, "records is null"));
    }

    /** Whole lines only: a line a destroyed guest cut short matches neither pattern. */
    static GuestConsole parse(String log) {
        List<Long> resumes = new ArrayList<>();
        List<Long> records = new ArrayList<>();
        for (String line : log.split("\r?\n")) {
            Matcher resume = RESUME.matcher(line.strip());
            Matcher record = RECORD.matcher(line.strip());
            if (resume.matches()) {
                resumes.add(Long.parseLong(resume.group(1)));
            } else if (record.matches()) {
                records.add(Long.parseLong(record.group(1)));
            }
        }
        return new GuestConsole(resumes, records);
    }

    OptionalLong firstRecord() {
        return records.isEmpty() ? OptionalLong.empty() : OptionalLong.of(records.get(0));
    }

    OptionalLong lastRecord() {
        return records.isEmpty() ? OptionalLong.empty() : OptionalLong.of(records.get(records.size() - 1));
    }
}

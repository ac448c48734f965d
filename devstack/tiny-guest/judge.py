"""Judges the records the tiny guest (init.sh) left on a raw disk image, for the demo.

    judge.py RAW [SLOTS STRIDE]      (defaults: 256 65536, init.sh's)

Prints one JSON line: {"newest": N, "problem": null or "why"}. The rule a point-in-time copy of
the guest's disk obeys: with N the newest record present, every slot holds exactly the newest
record up to N that belongs to it (record R goes to slot R mod SLOTS), whole; a slot no record up
to N belongs to holds none. Exit 0 when the rule holds, 1 when it does not, 2 on bad usage.
"""

import json
import re
import sys

RECORD = 4096
FIRST_LINE = re.compile(rb"understudy-record (\d+)\n")


def block(number):
    line = b"understudy-record %d\n" % number
    return (line * (RECORD // len(line) + 1))[:RECORD]


def judge(path, slots, stride):
    found = []
    with open(path, "rb") as disk:
        for slot in range(slots):
            disk.seek(slot * stride)
            data = disk.read(RECORD)
            if len(data) < RECORD:
                return 0, f"{path} ends inside slot {slot}"
            match = FIRST_LINE.match(data)
            number = int(match.group(1)) if match else 0
            if number and data != block(number):
                return 0, f"slot {slot} holds a torn record {number}"
            if number and number % slots != slot:
                return 0, f"slot {slot} holds record {number}, which belongs to slot {number % slots}"
            found.append(number)
    newest = max(found)
    for slot, number in enumerate(found):
        # The newest record up to NEWEST that belongs to SLOT, 0 when none does.
        expected = newest - ((newest - slot) % slots)
        expected = expected if expected >= 1 else 0
        if number != expected:
            return newest, f"slot {slot} holds record {number}, not {expected} (newest {newest})"
    return newest, None


def main(argv):
    if len(argv) not in (1, 3):
        print(__doc__, file=sys.stderr)
        return 2
    slots, stride = (int(argv[1]), int(argv[2])) if len(argv) == 3 else (256, 65536)
    newest, problem = judge(argv[0], slots, stride)
    print(json.dumps({"newest": newest, "problem": problem}))
    return 0 if problem is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/bin/busybox sh
# shellcheck shell=dash
# /init of the tiny guest (build.sh packs it): loads virtio, then writes numbered records to
# /dev/vda for ever (or understudy.count records), each one fsync'ed before it is announced.
#
# Record N is the 4096-byte block made of the line "understudy-record N" repeated (cut at 4096
# bytes); it goes to slot N mod SLOTS, at byte offset slot * STRIDE. The repetition is the
# checksum: a block is a whole record exactly when it equals the block its first line names.
# After the write is durable the guest prints "understudy-record N slot S" on its console
# (ttyS0), so the console log never names a record the disk lacks.
#
# A guest booted from a disk that already holds records (a replica) goes on after the highest
# one and says so: "understudy-guest resume N" (N = 0 on an empty disk).
#
# Kernel command line knobs (defaults): understudy.slots=256 understudy.stride=65536
# understudy.delay=0.02 (seconds between records) understudy.count=0 (0 = for ever).
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>&1

fail() {
  echo "understudy-guest failed: $*"
  # PID 1 must not exit (the kernel would panic and, with panic=-1, reboot into a loop).
  while :; do sleep 3600; done
}

slots=256
stride=65536
delay=0.02
count=0
read -r cmdline </proc/cmdline
# shellcheck disable=SC2086 # the command line is words
for arg in $cmdline; do
  case "$arg" in
    understudy.slots=*) slots="${arg#*=}" ;;
    understudy.stride=*) stride="${arg#*=}" ;;
    understudy.delay=*) delay="${arg#*=}" ;;
    understudy.count=*) count="${arg#*=}" ;;
  esac
done
if [ "$stride" -le 0 ] || [ $((stride % 4096)) -ne 0 ]; then
  fail "understudy.stride=$stride is not a positive multiple of 4096"
fi

while read -r m; do
  insmod "/lib/modules/$m.ko" || fail "insmod $m"
done </lib/modules/order

tries=0
while [ ! -b /dev/vda ]; do
  tries=$((tries + 1))
  [ "$tries" -le 200 ] || fail "no /dev/vda after 10 s"
  sleep 0.05
done
size=$(blockdev --getsize64 /dev/vda) || fail "blockdev /dev/vda"
[ "$size" -ge $((slots * stride)) ] || fail "/dev/vda holds $size bytes, records need $((slots * stride))"

# A record's number is in the first line of its slot; one dd per slot, as processes are what
# costs under TCG.
last=$(
  i=0
  while [ "$i" -lt "$slots" ]; do
    dd if=/dev/vda bs=40 count=1 skip=$((i * stride)) iflag=skip_bytes 2>/dev/null
    echo
    i=$((i + 1))
  done | awk '$1 == "understudy-record" && $2 ~ /^[0-9]+$/ && $2 + 0 > m { m = $2 + 0 } END { print m + 0 }'
)
# The empty line ends whatever a destroyed predecessor left half-written in an appended console log.
echo
echo "understudy-guest resume $last"

n=$((last + 1))
end=$((last + count))
while [ "$count" -eq 0 ] || [ "$n" -le "$end" ]; do
  slot=$((n % slots))
  yes "understudy-record $n" | head -c 4096 >/tmp/record
  dd if=/tmp/record of=/dev/vda bs=4096 seek=$((slot * stride / 4096)) count=1 conv=notrunc,fsync 2>/dev/null \
    || fail "writing record $n"
  echo "understudy-record $n slot $slot"
  n=$((n + 1))
  sleep "$delay"
done
echo "understudy-guest done $end"
while :; do sleep 3600; done

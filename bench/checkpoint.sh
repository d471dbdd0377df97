#!/bin/sh
# Runs a long bench child so that it can be stopped to disk and resumed later, across reboots: the
# 100 000-node run needs ~3.5 hours in one process, and where it is measured every process ends after 3.
#
#   bench/checkpoint.sh start DIR -- COMMAND...   run COMMAND (stdout DIR/run.out, stderr DIR/run.err)
#   bench/checkpoint.sh dump DIR                  write the run to DIR/image and stop it
#   bench/checkpoint.sh restore DIR               resume the run from DIR/image
#   bench/checkpoint.sh status DIR                segments, samples and the run's last lines
#
# Needs root and CRIU ≥ 4 (`CRIU=/path/to/criu`; Debian 12's 3.17 cannot dump on 6.x kernels: "vdso:
# Unexpected rt vDSO area bounds"). The command runs as the first process of its own PID namespace, so
# it gets its PIDs back on another boot, and of its own time namespace, so its monotonic clock (the
# child's `wallSeconds`) does not count the time it spent on disk. The kernel's CPU and peak-RSS
# counters start again at a restore: DIR/segments records each segment's, and DIR/samples has the run's
# CPU seconds and RSS once a minute. Restore on the machine that dumped, or one with the same node
# binary and files at the same paths; the log files must be as the dump left them (this script
# truncates them back).
set -eu

CRIU=${CRIU:-criu}
SAMPLE_SECONDS=60

usage () { sed -n '5,8p' "$0" | sed 's/^# *//' >&2; exit 2; }

[ $# -ge 2 ] || usage
verb=$1 dir=$2
shift 2

pid () { cat "$dir/pid"; }

# Whether the run is going: its last segment was not ended by a dump (after a reboot its old PID may
# name another process) and its process is there.
running () { ! tail -1 "$dir/segments" | grep -q '^dump' && kill -0 "$(pid)" 2>/dev/null; }

# Epoch seconds, CPU seconds (user + system) and RSS (MB) of the run, once a minute while it lives.
sample () {
  p=$(pid) tck=$(getconf CLK_TCK)
  while kill -0 "$p" 2>/dev/null; do
    # Fields 14 and 15: user and system time (ticks); 24: RSS (pages).
    stat=$(cut -d' ' -f14,15,24 "/proc/$p/stat" 2>/dev/null) || break
    # shellcheck disable=SC2086
    set -- $stat
    echo "$(date -u +%s) $((($1 + $2) / tck)) $(($3 * $(getconf PAGESIZE) / 1048576))" >> "$dir/samples"
    sleep "$SAMPLE_SECONDS"
  done
}

start_sampler () { (setsid "$0" sample "$dir" > /dev/null 2>&1 &); }

case $verb in
  start)
    [ "${1:-}" = -- ] || usage
    shift
    [ $# -ge 1 ] || usage
    mkdir -p "$dir"
    [ ! -e "$dir/pid" ] || { echo "checkpoint: $dir already holds a run" >&2; exit 1; }
    # setsid inside the namespaces: CRIU refuses a task whose session leader is outside its PID namespace.
    # UV_USE_IO_URING=0: CRIU cannot dump io_uring, which libuv may otherwise use for file I/O.
    # Only the command writes to run.out and run.err: a restore needs them as the dump left them.
    UV_USE_IO_URING=0 unshare --pid --time --fork \
      sh -c 'exec setsid "$@" < /dev/null > "$0/run.out" 2> "$0/run.err"' "$dir" "$@" > "$dir/unshare.log" 2>&1 &
    outer=$!
    # The command is the namespace's PID 1: the child of the unshare process.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      inner=$(pgrep -P "$outer" || true)
      [ -n "$inner" ] && break
      sleep 0.2
    done
    [ -n "$inner" ] || { echo "checkpoint: the command did not start" >&2; exit 1; }
    echo "$inner" > "$dir/pid"
    echo "start $(date -u +%s)" >> "$dir/segments"
    start_sampler
    echo "checkpoint: running as PID $inner; 'bench/checkpoint.sh dump $dir' stops it to disk"
    ;;
  dump)
    running || { echo "checkpoint: the run in $dir is not going" >&2; exit 1; }
    p=$(pid)
    tck=$(getconf CLK_TCK)
    # shellcheck disable=SC2046
    set -- $(cut -d' ' -f14,15 "/proc/$p/stat")
    cpu=$((($1 + $2) / tck))
    peak=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$p/status")
    rm -rf "$dir/image.new"
    mkdir "$dir/image.new"
    began=$(date -u +%s)
    "$CRIU" dump -t "$p" -D "$dir/image.new" -o dump.log
    # The log files' sizes, which a restore needs back.
    echo "$(stat -c %s "$dir/run.out") $(stat -c %s "$dir/run.err")" > "$dir/image.new/log-sizes"
    rm -rf "$dir/image"
    mv "$dir/image.new" "$dir/image"
    echo "dump $began cpu $cpu peak-rss-mb $peak took $(($(date -u +%s) - began))" >> "$dir/segments"
    echo "checkpoint: stopped after $cpu CPU-seconds in this segment (peak RSS $peak MB); image $(du -sh "$dir/image" | cut -f1)"
    ;;
  restore)
    [ -d "$dir/image" ] || { echo "checkpoint: no image in $dir" >&2; exit 1; }
    if running; then echo "checkpoint: the run is still going" >&2; exit 1; fi
    read -r out err < "$dir/image/log-sizes"
    truncate -s "$out" "$dir/run.out"
    truncate -s "$err" "$dir/run.err"
    began=$(date -u +%s)
    rm -f "$dir/pid"
    "$CRIU" restore -D "$dir/image" -d --pidfile "$(realpath "$dir")/pid" -o restore.log
    echo "restore $began took $(($(date -u +%s) - began))" >> "$dir/segments"
    start_sampler
    echo "checkpoint: resumed as PID $(pid)"
    ;;
  sample)
    sample
    ;;
  status)
    cat "$dir/segments"
    if running; then echo "running as PID $(pid)"; else echo "not running"; fi
    [ ! -s "$dir/samples" ] || { echo "last sample (epoch, CPU-s this segment, RSS MB):"; tail -1 "$dir/samples"; }
    tail -2 "$dir/run.err"
    tail -c 600 "$dir/run.out"
    echo
    ;;
  *)
    usage
    ;;
esac

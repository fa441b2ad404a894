#!/bin/sh
# `make bench`: what phiauditd costs the syscalls of other processes, and
# whether it loses anything under a flood of audited opens, or miscounts
# under a flood of audited reads; what it costs a 1 GiB copy of a watched
# file; what its log pipeline costs per record and on disk. Prints tables;
# exits 0 whatever the targets say (benchmarks report, they don't gate CI)
# and non-zero only when something broke (an agent that would not start,
# a BPF program that would not load).
#
#   sh tests/bench/run.sh [BUILD_DIR]      (as root; BUILD_DIR default: build)
#
# Environment: PA_BENCH_ROUNDS, clean interleaved rounds wanted (default 9);
# PA_BENCH_BUDGET, seconds to keep adding rounds while others' BPF hooks
# spoil some (default 110); PA_BENCH_OPENS, opens per loss run (200000);
# PA_BENCH_READ_SECONDS, how long 2 processes read under the agent (10);
# PA_BENCH_COPY_ROUNDS, interleaved rounds of 1 GiB copies (default 15,
# 1 to 1.5 minutes; needs 2.2 GiB free in /tmp);
# PA_BENCH_FOOTPRINT_FILES, watched files held open for the memory
# figures (100000).
# Runs in about 4 minutes on a quiet machine, at most about 6.
set -u
build=${1:-build}
bench="$build/bench"
agent="$build/phiauditd"
rounds=${PA_BENCH_ROUNDS:-9}
budget=${PA_BENCH_BUDGET:-110}
opens=${PA_BENCH_OPENS:-200000}
read_seconds=${PA_BENCH_READ_SECONDS:-10}
copy_rounds=${PA_BENCH_COPY_ROUNDS:-15}
footprint_files=${PA_BENCH_FOOTPRINT_FILES:-100000}

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root to load BPF programs and start the agent: sudo make bench" >&2
	exit 1
fi
for f in "$agent" "$bench/bench_syscalls" "$bench/bench_loss" "$bench/bench_reads" \
	"$bench/bench_copy" "$bench/bench_footprint" "$bench/bench_pipeline" "$bench/bench_detect"; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing: run 'sudo make bench', not this script alone" >&2
		exit 1
	fi
done

# The agent's per-syscall tracepoint backend finds tracepoint ids in
# tracefs; where it isn't mounted, mount it for the run and say so.
mounted_tracefs=0
skip_tp="" loss_hooks=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ "$mounted_tracefs" = 1 ] && umount /sys/kernel/tracing 2>/dev/null
	mounted_tracefs=0
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
	if mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
		mounted_tracefs=1
		echo "bench: mounted tracefs on /sys/kernel/tracing for the tracepoint backend" \
			"(unmounted at the end)"
	else
		echo "bench: tracefs is not mounted and could not be: the tracepoint backend is left out"
		skip_tp="--skip-tracepoint"
		loss_hooks="--hook auto --hook raw_tp"
	fi
fi

echo "== phiaudit benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "kernel $(uname -r), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo
rc=0
echo "== syscall cost (targets: W1, W2 agent/floor <= 1.1x; W3 agent/none <= 2x;" \
	"W4, W5 agent/none <= 1.5x; W6 agent/none <= 1.05x)"
# shellcheck disable=SC2086 # $skip_tp is empty or one word
"$bench/bench_syscalls" --agent "$agent" --rounds "$rounds" --budget "$budget" $skip_tp || rc=1
echo
echo "== loss (target: zero loss, records == opens)"
# shellcheck disable=SC2086 # $loss_hooks is empty or words
"$bench/bench_loss" --agent "$agent" --opens "$opens" $loss_hooks || rc=1
echo
echo "== reads (targets: 2 processes reading for ${read_seconds} s: zero loss, exact counts," \
	"agent CPU < 5% of a CPU)"
"$bench/bench_reads" --agent "$agent" --seconds "$read_seconds" || rc=1
echo
# A 1 GiB watched file copied from the page cache to an unwatched one, by
# read/write (C1) and by copy_file_range (C2), each copy checked.
echo "== copy (targets: 1 GiB watched file to an unwatched one, C1 read/write and" \
	"C2 copy_file_range agent/none <= 1.1x)"
"$bench/bench_copy" --agent "$agent" --rounds "$copy_rounds" || rc=1
echo
echo "== memory (${footprint_files} watched files held open and read: agent RSS, kernel tables)"
"$bench/bench_footprint" "$agent" "$footprint_files" || rc=1
echo
echo "== log pipeline (targets: whole pipeline <= 1.5x gzip -1's CPU, >= 100,000 records/s on" \
	"one core, a Read record <= 60 bytes on disk; agent CPU at 10,000 accesses/s, zero loss)"
"$bench/bench_pipeline" --agent "$agent" || rc=1
echo
# The bulk-read detector, in process: 1,000,000 observations a workload.
echo "== bulk-read detection (target: detector CPU <= 10% of encoding and compressing the" \
	"record, memory within its caps)"
"$bench/bench_detect" || rc=1
echo
# phiaudit search over 1,000,000 records made by the agent's encoder and store,
# against zcat | grep -c on the same files, interleaved: PA_BENCH_SEARCH_ROUNDS
# rounds (default 5; about 2.5 minutes with the log's generation).
echo "== search (targets: phiaudit search --path P --format jsonl <= 1.5x zcat FILES | grep -c P;" \
	"< 1x when the time range leaves out most files)"
if [ -x "$bench/bench_search" ] && [ -x "$build/phiaudit" ]; then
	"$bench/bench_search" "$build/phiaudit" "${PA_BENCH_SEARCH_ROUNDS:-5}" || rc=1
else
	echo "bench: $bench/bench_search or $build/phiaudit is missing: run 'sudo make bench'" >&2
	rc=1
fi
echo
if [ "$rc" != 0 ]; then
	echo "bench: FAILED to run (see the error above): these figures are incomplete" >&2
fi
exit "$rc"

#!/bin/sh
# Runs every test binary and prints one summary line CI can read:
#   N passed, N failed, N skipped
# Unit tests always run. Kernel (integration) tests need root; without it
# they are skipped and listed, and with CI=true a skipped kernel test is a
# failure: a suite that skips them has not tested the product.
set -u
build=${1:-build}
san="$build/san"
passed=0 failed=0 skipped=0
failed_names="" skipped_names=""

count_cmocka() { # $1: log file, $2: binary name
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$1" | tail -n 1)
	s=$(grep -c '^\[  SKIPPED \]' "$1")
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	[ "${f:-0}" -gt 0 ] && failed_names="$failed_names $2"
	[ "${s:-0}" -gt 0 ] && skipped_names="$skipped_names $2"
	return 0
}

run_one() { # $1: binary
	name=$(basename "$1")
	log=$(mktemp)
	"$1" >"$log" 2>&1
	rc=$?
	cat "$log"
	count_cmocka "$log" "$name"
	# A crash (sanitizer, signal) with no cmocka summary is one failure.
	if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$log"; then
		failed=$((failed + 1))
		failed_names="$failed_names $name(exit $rc)"
	fi
	rm -f "$log"
}

echo "== unit tests"
for t in "$san"/tests/test_*; do
	case "$t" in *_kernel*|*integ_*) continue ;; esac
	[ -x "$t" ] && run_one "$t"
done

if [ "${PA_UNIT_ONLY:-0}" != 1 ]; then
	echo "== kernel tests (real BPF programs, real kernel)"
	for t in "$san"/tests/integ_*; do
		[ -x "$t" ] || continue
		if [ "$(id -u)" != 0 ]; then
			echo "SKIPPED $(basename "$t"): needs root (sudo make test) to load BPF programs"
			skipped=$((skipped + 1))
			skipped_names="$skipped_names $(basename "$t")"
			continue
		fi
		PA_BUILD_DIR="$build" run_one "$t"
	done
fi

[ -n "$failed_names" ] && echo "failed:$failed_names"
[ -n "$skipped_names" ] && echo "skipped:$skipped_names"
if [ "${CI:-}" = true ] && [ "$skipped" -gt 0 ]; then
	echo "CI=true: skipped kernel tests count as failures"
	failed=$((failed + skipped))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/bin/sh
# run.sh TEST_PROGRAM... - run the runtime's native test programs (under the
# sanitizers), then the wasm module tests (node --test tests/runtime/), and
# end with one line: "test-runtime: N passed, M failed". Exits non-zero when
# anything failed - a crash, a sanitizer report or a leak included, even
# after a program's own summary said 0 failed.
dir=build/tests/runtime
mkdir -p "$dir"
summary="$dir/summary.txt"
: > "$summary"
for program in "$@"; do
    log="$dir/$(basename "$program").log"
    "$program" > "$log" 2>&1
    status=$?
    cat "$log"
    line=$(grep -E ': [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        line="$(basename "$program"): 0 passed, 1 failed (exit status $status: see $log)"
        echo "$line"
    elif [ $status -ne 0 ] && echo "$line" | grep -q ' 0 failed$'; then
        line=$(echo "$line" | sed "s| 0 failed\$| 1 failed (exit status $status after the tests: see $log)|")
        echo "$line"
    fi
    echo "$line" >> "$summary"
done
tap="$dir/node.tap"
node --test --test-reporter=tap tests/runtime/ > "$tap" 2>&1
pass=$(sed -n 's/^# pass //p' "$tap")
fail=$(sed -n 's/^# fail //p' "$tap")
[ -n "$fail" ] || fail=1 # no summary: node itself failed
[ "$fail" = 0 ] || cat "$tap"
echo "wasm modules (node --test tests/runtime): ${pass:-0} passed, $fail failed" | tee -a "$summary"
awk 'match($0, /[0-9]+ passed, [0-9]+ failed/) { split(substr($0, RSTART, RLENGTH), n, " "); p += n[1]; f += n[3] }
     END { printf "test-runtime: %d passed, %d failed\n", p, f; exit f > 0 }' "$summary"

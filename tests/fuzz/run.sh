#!/bin/sh
# run.sh TARGET SECONDS FUZZ_DIR - one libFuzzer target: replay its
# regression inputs (tests/fuzz/regressions/TARGET/, each must pass), then
# fuzz for SECONDS from the seeds and the corpus of earlier runs. Appends one
# line to FUZZ_DIR/summary.txt: executions, edges (libFuzzer's "cov"),
# features, corpus size and findings. Exits non-zero on any finding, or when
# the fuzzer did not run at all (no executions is a failure, not a pass).
t=$1 secs=$2 dir=$3
exe=$dir/fuzz-$t
regress=tests/fuzz/regressions/$t
corpus=$dir/corpus/$t findings=$dir/findings/$t logs=$dir/logs
mkdir -p "$corpus" "$findings" "$logs"
case $t in
    compiler) opts="-max_len=262144 -timeout=10" ;;
    request) opts="-max_len=131072 -timeout=10 -dict=tests/fuzz/request.dict" ;;
    tensor) opts="-max_len=4096 -timeout=10 -dict=tests/fuzz/request.dict" ;;
    *) opts="-max_len=131072 -timeout=10" ;;
esac
status=0
replayed=0
if [ -d "$regress" ] && [ -n "$(ls "$regress")" ]; then
    replayed=$(ls "$regress" | wc -l)
    if ! "$exe" -timeout=10 -rss_limit_mb=2048 "$regress"/* > "$logs/$t-regressions.log" 2>&1; then
        tail -n 40 "$logs/$t-regressions.log"
        echo "fuzz-$t: a regression input fails again (see $logs/$t-regressions.log)"
        status=1
    fi
fi
log=$logs/$t.log
before=$(ls "$findings" | wc -l)
start=$(date +%s)
"$exe" $opts -rss_limit_mb=2048 -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$findings/" \
    "$corpus" "$dir/seeds/$t" > "$log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
found=$(($(ls "$findings" | wc -l) - before))
if [ $rc -ne 0 ] || [ "$found" -gt 0 ]; then
    grep -E 'ERROR|runtime error|invariant|SUMMARY|Test unit written' "$log" | head -n 20
    status=1
fi
if [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
    tail -n 20 "$log"
    echo "fuzz-$t: the fuzzer did not run (see $log)"
    status=1
fi
line="fuzz-$t: ${elapsed} s of ${secs}, ${execs:-0} executions, ${cov:-0} edges, ${ft:-0} features, corpus $(ls "$corpus" | wc -l), regressions replayed $replayed, findings $found$( [ $rc -ne 0 ] && echo " (exit $rc, see $log)")"
echo "$line"
echo "$line" >> "$dir/summary.txt"
exit $status

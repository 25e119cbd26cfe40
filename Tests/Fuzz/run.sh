#!/usr/bin/env bash
# Builds the libFuzzer targets (SwiftPM's --sanitize=fuzzer, with AddressSanitizer) and runs each
# for SECONDS (default 60) on its corpus in Corpus/<target>; new inputs found are added to a
# scratch copy, crashes are written to $ARTIFACTS (default /tmp/portico-fuzz) and fail the run.
#   Tests/Fuzz/run.sh 600            # ten minutes per target
#   TARGETS=FuzzRewrite Tests/Fuzz/run.sh 30
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${1:-60}"
TARGETS="${TARGETS:-FuzzRequestFraming FuzzHTTP2Translation FuzzManifestLoader FuzzRewrite}"
ARTIFACTS="${ARTIFACTS:-/tmp/portico-fuzz}"
mkdir -p "$ARTIFACTS"
swift build --sanitize=fuzzer --sanitize=address -Xswiftc -parse-as-library -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
BIN="$(swift build --sanitize=fuzzer --sanitize=address -Xswiftc -parse-as-library -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp --show-bin-path)"
status=0
for target in $TARGETS; do
  work="$ARTIFACTS/$target-corpus"
  mkdir -p "$work"
  cp -n Corpus/"$target"/* "$work"/ 2>/dev/null || true
  echo "== $target: ${SECONDS_PER_TARGET}s"
  if ! "$BIN/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -artifact_prefix="$ARTIFACTS/$target-" -print_final_stats=1 "$work" 2>"$ARTIFACTS/$target.log"; then
    echo "!! $target failed; see $ARTIFACTS/$target.log"; tail -30 "$ARTIFACTS/$target.log"; status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$ARTIFACTS/$target.log" | tail -3 || true
done
exit $status

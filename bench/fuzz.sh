#!/usr/bin/env bash
# libFuzzer harnesses for presignd's parsers (bench/fuzz/harnesses/*.swift) with
# AddressSanitizer. The library modules are built by SwiftPM with the sanitizers (debug, so
# @testable import reaches internal parsers); each harness is then linked against their object
# files with swiftc, since a SwiftPM executable would bring a main() that libFuzzer's clashes with.
#
#   bench/fuzz.sh                       # every harness for 60 s
#   bench/fuzz.sh 5                     # every harness for 5 s (CI)
#   bench/fuzz.sh -runs=10000000 jwt    # one harness for 10 million executions
#   FUZZ_OPTIMIZE=1 bench/fuzz.sh -runs=10000000   # the same, optimised (the long runs)
#
# Seeds are read from bench/fuzz/corpus/<harness>/ (committed, small); new inputs go to a
# scratch corpus under .build-fuzz/, crashes to .build-fuzz/artifacts/<harness>/. Prints one
# line per harness: executions, seconds, result. Exits non-zero when a harness crashes or leaks.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-60}
shift || true
case "$budget" in
    -runs=*) limit=("$budget") ;;
    *) limit=("-max_total_time=$budget") ;;
esac
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(json jwt gateway signing_paths cursor_disposition cloudfront)

# FUZZ_OPTIMIZE=1: an optimised build (-O, still ASan; -enable-testing keeps @testable import
# working), several times the executions per second, for the long runs.
if [ "${FUZZ_OPTIMIZE:-}" = 1 ]; then
    scratch=.build-fuzz-release config=release optimize=(-O) build=(-c release -Xswiftc -enable-testing)
else
    scratch=.build-fuzz config=debug optimize=(-Onone) build=()
fi
sanitize=(-Xswiftc -sanitize=fuzzer,address)
# The pure-logic targets the harnesses reach (README, "Layout"), and libcrypto's wrapper.
targets=(PresigndSupport PresigndHTTP PresigndJWT PresigndSigning PresigndUploads PresigndMetrics PresigndCrypto)
for target in "${targets[@]}"; do
    swift build --scratch-path "$scratch" --target "$target" "${build[@]}" "${sanitize[@]}" 2>&1 | tail -n 1
done
modules="$scratch/$config/Modules"
# The targets share `package` declarations; a harness compiled here is one more member of the
# package, under SwiftPM's name for it (the root package's identity: its folder, lower-cased).
package_name=$(basename "$(pwd)" | tr '[:upper:]' '[:lower:]')
objects=$(for target in "${targets[@]}"; do find -L "$scratch/$config/$target.build" -name '*.o'; done)

failed=0
for name in "${harnesses[@]}"; do
    exe="$scratch/fuzz-$name"
    swiftc -sanitize=fuzzer,address "${optimize[@]}" -enable-experimental-feature Lifetimes -parse-as-library -g -package-name "$package_name" -I "$modules" -I Sources/CCrypto \
        "bench/fuzz/harnesses/$name.swift" $objects -lcrypto -lm -o "$exe" 2>&1 \
        | grep -v "Cannot export local symbol" || true
    seeds="bench/fuzz/corpus/$name"
    work="$scratch/corpus/$name"
    artifacts="$scratch/artifacts/$name/"
    mkdir -p "$seeds" "$work" "$artifacts"
    log="$scratch/fuzz-$name.log"
    started=$(date +%s)
    # Swift's own crash backtracer would read the stack under ASan and muddle the report.
    if SWIFT_BACKTRACE=enable=no "$exe" "${limit[@]}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts" "$work" "$seeds" >"$log" 2>&1; then
        result="ok"
    else
        result="FAILED (see $log and $artifacts)"
        failed=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    printf '%-20s %12s executions %5s s  %s\n' "$name" "$runs" "$(( $(date +%s) - started ))" "$result"
done
exit $failed

#!/bin/sh
# Builds the libFuzzer targets in a separate sanitized clang build and runs each for a while with
# the kept corpus and the project-file fixtures as seeds. Crashes are saved as crash-* in the work
# folder: fix them, then keep them and what the run found in the corpus that ctest replays:
#   build-fuzz/tests/fuzz/fuzz_compose_loader -merge=1 tests/fuzz/corpus/compose_loader \
#     build-fuzz/fuzz-work/corpus-loader build-fuzz/fuzz-work/artifacts
#   tests/fuzz/run.sh [seconds per target, default 60]
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BERTH_FUZZ_BUILD:-$src/build-fuzz}
seconds=${1:-60}
jobs=${BERTH_FUZZ_JOBS:-2}

# clang 16 or later (Debian 12: apt-get install clang-16 libclang-rt-16-dev); Debian's default
# clang 14 cannot compile compose/ with libstdc++ 12.
cc=${CC:-$(command -v clang-16 || echo clang)}
cxx=${CXX:-$(command -v clang++-16 || echo clang++)}
CC=$cc CXX=$cxx cmake -S "$src" -B "$build" -G Ninja -DBERTH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined" \
  -DCMAKE_C_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" --target fuzz_compose_loader fuzz_schema_validate -j"$jobs"

work="$build/fuzz-work"
mkdir -p "$work/corpus-loader" "$work/corpus-schema" "$work/artifacts"
# Seeds: the kept corpus and every project file of the fixtures (their bytes are what the loader
# reads from stdin).
cp "$src/tests/fuzz/corpus/compose_loader/"* "$work/corpus-loader/"
i=0
find "$src/tests/fixtures/compose" -type f \( -name '*.yml' -o -name '*.yaml' \) | while read -r f; do
  i=$((i + 1)); cp "$f" "$work/corpus-loader/seed-$i.yaml"
done
# The schema target reads JSON: the fixtures converted (skipped when python3-yaml is missing).
python3 - "$src/tests/fixtures/compose" "$work/corpus-schema" <<'PY' || true
import json, pathlib, sys, yaml
out = pathlib.Path(sys.argv[2])
for i, f in enumerate(sorted(pathlib.Path(sys.argv[1]).rglob("*.y*ml"))):
    try:
        doc = yaml.safe_load(f.read_text())
        (out / f"seed-{i}.json").write_text(json.dumps(doc, default=str))
    except Exception:
        pass
PY
echo '{"services":{"web":{"image":"x","ports":["80:80"]}}}' > "$work/corpus-schema/seed-min.json"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/tests/fuzz/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
status=0
"$build/tests/fuzz/fuzz_compose_loader" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -dict="$src/tests/fuzz/compose.dict" -artifact_prefix="$work/artifacts/loader-" -print_final_stats=1 \
  "$work/corpus-loader" || status=$?
"$build/tests/fuzz/fuzz_schema_validate" -max_total_time="$seconds" -timeout=10 \
  -artifact_prefix="$work/artifacts/schema-" -print_final_stats=1 "$work/corpus-schema" || status=$?
ls -l "$work/artifacts"
exit $status

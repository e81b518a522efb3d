#!/usr/bin/env bash
# scripts/test.sh — installs dependencies, builds skucast and runs every test.
#   CUDA build (when nvcc is present): compiles the CUDA targets; GPU tests skip without a device.
#   CPU-only build (SKUCAST_CUDA=OFF): proves the engine builds and passes without nvcc, then
#   runs its suite a second time on one thread with another OpenBLAS kernel family, so that a
#   test that only passes with this machine's kernel choice or thread count fails here and not
#   on the next machine (issue 13; Note [Reference tolerances across machines] in
#   tests/py/fixture_compare.py).
#   Sanitized CPU build (SKUCAST_SANITIZE=ON): the skucast command and the suites that drive it
#   or parse files (io, cli, hierarchy, reconcile, plan) under AddressSanitizer and
#   UndefinedBehaviorSanitizer (any report fails). The CLI suites run every command through the
#   instrumented binary, so the engine's paths are covered too; the other suites are left out to
#   keep CI under 30 minutes (their instrumented build and run would add about 6). Leak
#   detection is off: libhdf5 keeps its library state to the end (we skip its atexit shutdown,
#   Note [HDF5 at exit] in io/h5.h) and libgomp's thread pool lives until exit; neither grows
#   with the work.
# Set SKUCAST_TEST_CONFIGS="cuda cpu asan" (default) or any of them. The last lines say which
# configurations were built and tested, so a machine without nvcc cannot pass silently.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
export PATH="$PATH:/usr/local/cuda/bin"
JOBS=$(nproc)
configs=${SKUCAST_TEST_CONFIGS:-"cuda cpu asan"}
summary=()
# The OpenBLAS kernel family of the second CPU pass: Prescott (SSE3), which every x86-64 CPU
# can run and which OpenBLAS picks on no machine with AVX, so the two passes differ.
other_kernel=Prescott
run_ctest() {  # run_ctest DIR LABEL ARGS... — runs ctest, records "LABEL: N tests" in the summary
  local dir=$1 label=$2; shift 2
  local log; log=$(mktemp)
  if ! (cd "$dir" && ctest -j "$JOBS" --output-on-failure --timeout 900 "$@") 2>&1 | tee "$log"; then
    rm -f "$log"; echo "test: FAILED: $label" >&2; exit 1
  fi
  summary+=("$label: $(grep -Eo '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1), $(grep -c '(Skipped)' "$log" || true) skipped")
  rm -f "$log"
}
for cfg in $configs; do
  case $cfg in
    cuda)
      if ! command -v nvcc >/dev/null; then
        echo "test: nvcc not found, skipping the CUDA build" >&2
        summary+=("cuda: NOT BUILT (nvcc not found; the CUDA code was not compiled)")
        continue
      fi
      SKUCAST_CUDA=ON ./scripts/build.sh build-cuda -DSKUCAST_WERROR=ON
      # The GPU tests run too: with no device they GTEST_SKIP, with one they check parity.
      run_ctest build-cuda "cuda build, all tests (GPU tests skip without a device)" ;;
    cpu)
      SKUCAST_CUDA=OFF ./scripts/build.sh build-cpu -DSKUCAST_WERROR=ON
      run_ctest build-cpu "cpu build, OpenBLAS ${OPENBLAS_CORETYPE:-own kernel choice}, ${OMP_NUM_THREADS:-$JOBS} threads" -LE gpu
      OPENBLAS_CORETYPE=$other_kernel OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
        run_ctest build-cpu "cpu build, OpenBLAS $other_kernel, 1 thread" -LE gpu ;;
    asan)
      asan_tests="test_csv_fuzz test_export test_file_format test_ingest test_panel test_shard test_cli_auto
        test_cli_conformal test_cli_damage test_cli_faults test_cli_forecast test_cli_plan test_cli_score
        test_hierarchy test_reconcile test_backtest_levels test_plan"
      # -O1 rather than Release's -O3: the instrumented compile is most of this configuration's
      # time, -O1 takes a third less of it, and the suites still run in well under a minute.
      SKUCAST_CUDA=OFF SKUCAST_BUILD_TARGETS="skucast $(echo $asan_tests)" \
        ./scripts/build.sh build-asan -DSKUCAST_SANITIZE=ON -DSKUCAST_WERROR=ON \
        -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG"
      n_ok=0
      for t in $asan_tests; do
        if ! ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "build-asan/tests/$t" --gtest_brief=1; then
          echo "test: FAILED: $t under AddressSanitizer + UBSan" >&2; exit 1
        fi
        n_ok=$((n_ok + 1))
      done
      summary+=("cpu build under AddressSanitizer + UBSan: $n_ok suites passed (io, cli, hierarchy, reconcile, plan)") ;;
    *) echo "test: unknown config $cfg" >&2; exit 2 ;;
  esac
done
echo
echo "test: configurations:"
printf '  %s\n' "${summary[@]}"
echo "test: all passed"

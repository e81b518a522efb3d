// bench/bench_gpu_stats.cu — the batched statistical models on the GPU (forecast_batch_cuda,
// engine/stat/gpu_models.h) against the CPU path (forecast_batch) on 2 threads, for
// bench/gpu_check.sh.
//
//   bench_gpu_stats [--series N] [--steps T] [--m M] [--horizon H] [--models a,b,c]
//                   [--tag NAME] [--max-gpu-s S] [--cpu-s S] [--cpu-threads K] [--cpu-only]
// defaults: 1,000,000 series, T = 120, m = 12, H = 18, models ets,theta,croston,ses, tag
// "monthly", max-gpu-s 60, cpu-s 3, cpu-threads 2.
//
// Panel: synthetic retail-like series (level, trend, season of length m, noise; one in four
// intermittent; one in ten launched late), generated from a counter-based hash, so any
// subset is reproducible without generating the rest. Quantiles 0.1, 0.5, 0.9.
// Per model:
//   CPU: forecast_batch(make_stat_model(model)) on --cpu-threads OpenMP threads over the
//        first series, in growing chunks until --cpu-s seconds have passed: series/s.
//   GPU: forecast_batch_cuda on all N series (host to host: transfers and the blocked
//        streaming included), after a warm-up call on 1,024 series. When a probe on the
//        first 5 % of the series projects more than --max-gpu-s, N is cut to fit and the
//        RESULT line says so (series=...).
//   Parity spot check: the GPU's forecasts of the CPU-timed series vs the CPU's: share of
//        series within 1e-3 of the series scale (Note [GPU parity] in
//        tests/gpu/test_stat_models_parity.cpp).
// Prints: RESULT gpu_<model>_<tag> series=.. steps=.. gpu_s=.. gpu_series_per_s=..
//         cpu2_series_per_s=.. parity=.. gpu_s_per_1m=.. ratio=<gpu / cpu series/s>   (goal ratio >= 50)
// gpu_s_per_1m: the GPU time extrapolated to 1,000,000 series (= gpu_s when N = 1,000,000).
// arima (--models arima): the automatic ARIMA of R's auto.arima, ~10-30 ms per monthly series
// on one CPU core, so the CPU side always times a prefix (a few hundred series) and its rate is
// the 2-core figure; on the GPU, 1,000,000 series take minutes: give it --max-gpu-s 150 (else
// N is cut to fit, and gpu_s_per_1m extrapolates). The parity share is the share of series
// within 1e-3 of the scale; a series whose order search ended elsewhere counts as a miss
// (Note [GPU parity] in tests/gpu/test_stat_models_parity.cpp).
// --cpu-only prints the CPU rates alone (no device needed): the figure measured on the
// 2-core development machine.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engine/stat/gpu_models.h"
#include "engine/stat/model.h"
#include "kernels/device.hpp"

using namespace skucast;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// splitmix64 finaliser: a uniform in [0, 1) per (series, step, stream).
double uniform(uint64_t s, uint64_t t, uint64_t k) {
  uint64_t z = s * 0x9E3779B97F4A7C15ull + t * 0xBF58476D1CE4E5B9ull + k * 0x94D049BB133111EBull + 0x1234567ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

// y [S, T], rows [s0, s0 + S) of the synthetic panel.
std::vector<float> make_panel(int64_t s0, int64_t S, int64_t T, int m) {
  std::vector<float> y(static_cast<size_t>(S * T));
  const unsigned n_threads = std::max(1u, std::min(16u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < n_threads; ++w)
    pool.emplace_back([&, w] {
      for (int64_t i = w; i < S; i += n_threads) {
        const uint64_t s = static_cast<uint64_t>(s0 + i);
        const double level = 5.0 + 200.0 * uniform(s, 0, 1) * uniform(s, 0, 2);
        const double slope = (uniform(s, 0, 3) - 0.5) * level / static_cast<double>(T);
        const double amp = 0.4 * uniform(s, 0, 4), noise = 0.05 + 0.25 * uniform(s, 0, 5);
        const bool intermittent = s % 4 == 3;
        const int64_t start = s % 10 == 7 ? static_cast<int64_t>(uniform(s, 0, 6) * T * 0.6) : 0;
        for (int64_t t = 0; t < T; ++t) {
          float v;
          if (t < start) {
            v = NAN;
          } else if (intermittent) {
            v = uniform(s, t, 7) < 0.75 ? 0.0f : static_cast<float>(std::floor(1.0 + 8.0 * uniform(s, t, 8)));
          } else {
            const double season = 1.0 + amp * std::sin(6.283185307179586 * static_cast<double>(t % m) / m);
            const double e = (uniform(s, t, 9) + uniform(s, t, 10) + uniform(s, t, 11) - 1.5) * 2.0 * noise;
            v = static_cast<float>(std::max(0.0, (level + slope * t) * season * (1.0 + e)));
          }
          y[static_cast<size_t>(i * T + t)] = v;
        }
      }
    });
  for (auto& th : pool) th.join();
  return y;
}

struct Args {
  int64_t series = 1000000, steps = 120, horizon = 18;
  int m = 12, cpu_threads = 2;
  double max_gpu_s = 60.0, cpu_s = 3.0;
  std::string models = "ets,theta,croston,ses", tag = "monthly";
  bool cpu_only = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_gpu_stats: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--series") a.series = std::atoll(val().c_str());
    else if (k == "--steps") a.steps = std::atoll(val().c_str());
    else if (k == "--m") a.m = std::atoi(val().c_str());
    else if (k == "--horizon") a.horizon = std::atoll(val().c_str());
    else if (k == "--models") a.models = val();
    else if (k == "--tag") a.tag = val();
    else if (k == "--max-gpu-s") a.max_gpu_s = std::atof(val().c_str());
    else if (k == "--cpu-s") a.cpu_s = std::atof(val().c_str());
    else if (k == "--cpu-threads") a.cpu_threads = std::atoi(val().c_str());
    else if (k == "--cpu-only") a.cpu_only = true;
    else {
      std::fprintf(stderr, "bench_gpu_stats: unknown argument %s (see the header of bench/bench_gpu_stats.cu)\n",
                   k.c_str());
      std::exit(2);
    }
  }
  return a;
}

// CPU series/s of forecast_batch on `threads` threads over the first series of y, in chunks
// of 256, 512, 1,024, ... (forecast_batch uses at most one thread per 64 series; growing
// chunks amortise its per-call setup for the fast models) until `budget_s` has passed.
// [out] cpu [done, H] means of the series it forecast.
double cpu_rate(const StatModel& model, const std::vector<float>& y, int64_t S, const Args& a,
                const std::vector<double>& levels, std::vector<float>& cpu_mean, int64_t* n_done) {
  omp_set_num_threads(a.cpu_threads);
  int64_t chunk = 256, done = 0;
  cpu_mean.clear();
  const double t0 = now_s();
  while (done < S && (done == 0 || now_s() - t0 < a.cpu_s)) {
    const int64_t b = std::min(chunk, S - done);
    const BatchForecast f = forecast_batch(model, y.data() + done * a.steps, b, a.steps, a.m, a.horizon, levels);
    cpu_mean.insert(cpu_mean.end(), f.mean.begin(), f.mean.end());
    done += b;
    chunk = std::min<int64_t>(chunk * 2, 65536);
  }
  *n_done = done;
  return static_cast<double>(done) / (now_s() - t0);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const std::vector<double> levels{0.1, 0.5, 0.9};
  const bool have_gpu = cuda_device_count() > 0;
  if (!a.cpu_only && !have_gpu) {
    std::printf("bench_gpu_stats: no CUDA device (%s); run with --cpu-only for the CPU rates\n",
                cuda_device_description().c_str());
    return 77;
  }
  // The CPU is timed on a prefix; generate only that unless the GPU needs the whole panel.
  const int64_t n_gen = a.cpu_only ? std::min<int64_t>(a.series, 20000) : a.series;
  double t0 = now_s();
  const std::vector<float> y = make_panel(0, n_gen, a.steps, a.m);
  std::printf("BENCH panel series=%lld steps=%lld m=%d generated in %.1f s\n", static_cast<long long>(n_gen),
              static_cast<long long>(a.steps), a.m, now_s() - t0);
  std::fflush(stdout);
  size_t pos = 0;
  while (pos <= a.models.size()) {
    const size_t comma = std::min(a.models.find(',', pos), a.models.size());
    const std::string name = a.models.substr(pos, comma - pos);
    pos = comma + 1;
    if (name.empty()) continue;
    const auto model = make_stat_model(name);
    std::vector<float> cpu_mean;
    int64_t n_cpu = 0;
    const double cpu = cpu_rate(*model, y, n_gen, a, levels, cpu_mean, &n_cpu);
    std::printf("BENCH cpu %s_%s threads=%d series=%lld series_per_s=%.1f\n", name.c_str(), a.tag.c_str(),
                a.cpu_threads, static_cast<long long>(n_cpu), cpu);
    std::fflush(stdout);
    if (a.cpu_only) continue;

    forecast_batch_cuda(name, y.data(), std::min<int64_t>(1024, a.series), a.steps, a.m, a.horizon, levels);  // warm-up
    // Probe on 5 % of the series; cut N when the whole run would exceed max_gpu_s.
    int64_t n = a.series;
    const int64_t n_probe = std::max<int64_t>(1, n / 20);
    t0 = now_s();
    forecast_batch_cuda(name, y.data(), n_probe, a.steps, a.m, a.horizon, levels);
    const double probe_s = now_s() - t0;
    const double projected = probe_s * static_cast<double>(n) / static_cast<double>(n_probe);
    if (projected > a.max_gpu_s) n = std::max<int64_t>(n_probe, static_cast<int64_t>(n * a.max_gpu_s / projected));
    t0 = now_s();
    const BatchForecast g = forecast_batch_cuda(name, y.data(), n, a.steps, a.m, a.horizon, levels);
    const double gpu_s = now_s() - t0;
    const double gpu = static_cast<double>(n) / gpu_s;
    // Parity spot check on the CPU-timed series.
    int64_t ok = 0;
    const int64_t n_cmp = std::min(n_cpu, n);
    for (int64_t s = 0; s < n_cmp; ++s) {
      double scale = 1.0, err = 0.0;
      for (int64_t h = 0; h < a.horizon; ++h) scale = std::max(scale, std::fabs(static_cast<double>(cpu_mean[s * a.horizon + h])));
      for (int64_t h = 0; h < a.horizon; ++h)
        err = std::max(err, std::fabs(static_cast<double>(g.mean[s * a.horizon + h]) - cpu_mean[s * a.horizon + h]));
      ok += err <= 1e-3 * scale;
    }
    std::printf("RESULT gpu_%s_%s series=%lld%s steps=%lld gpu_s=%.2f gpu_series_per_s=%.0f cpu%d_series_per_s=%.1f "
                "fallbacks=%lld parity=%.4f gpu_s_per_1m=%.1f ratio=%.1f\n",
                name.c_str(), a.tag.c_str(), static_cast<long long>(n), n < a.series ? "(cut:max-gpu-s)" : "",
                static_cast<long long>(a.steps), gpu_s, gpu, a.cpu_threads, cpu, static_cast<long long>(g.n_fallback),
                n_cmp > 0 ? static_cast<double>(ok) / n_cmp : 0.0, 1e6 / gpu, gpu / cpu);
    std::fflush(stdout);
  }
  return 0;
}

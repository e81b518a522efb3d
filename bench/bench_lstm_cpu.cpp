// bench/bench_lstm_cpu.cpp — one training step of the global recurrent model on the CPU:
// forward, loss, backward and AdamW (engine/nn/deepar.h) on a DeepAR-sized batch:
// hidden 64, 2 layers, context 112 + horizon 28 = 140 steps, batch 256, Gaussian likelihood.
// Reports windows/s. bench/lstm_cpu.sh runs it beside the same step in PyTorch.
//   BM_TrainStep/<cell>        inputs already cut (what the PyTorch peer measures)
//   BM_TrainStepWindows/lstm   including the feature kernels on a synthetic panel block
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/nn/deepar.h"

using namespace skucast;
using namespace skucast::nn;

namespace {

constexpr int64_t kHidden = 64, kLayers = 2, kContext = 112, kHorizon = 28, kBatch = 256;
constexpr int64_t kSteps = kContext + kHorizon;

DeepArConfig bench_config(CellType cell) {
  DeepArConfig c;
  c.cell = cell;
  c.n_hidden = kHidden;
  c.n_layers = kLayers;
  c.context = kContext;
  c.horizon = kHorizon;
  c.likelihood.kind = Likelihood::Gaussian;
  c.features.n_calendar = 4;  // F = 2 lags + seasonal + 2 x (mean, std) + 4 calendar = 11
  c.optim.clip_norm = 10.0;
  return c;
}

void BM_TrainStep(benchmark::State& state, CellType cell) {
  DeepArNet net(bench_config(cell));
  const int64_t F = net.n_features();
  std::mt19937 rng(1);
  std::normal_distribution<float> n01(0, 1);
  std::vector<float> x(kSteps * kBatch * F), target(kSteps * kBatch), scale(kBatch, 1.0f);
  for (auto& v : x) v = n01(rng);
  for (auto& v : target) v = n01(rng);
  for (auto _ : state) benchmark::DoNotOptimize(net.train_step(x.data(), target.data(), scale.data(), nullptr, kSteps, kBatch));
  state.counters["windows_per_s"] = benchmark::Counter(static_cast<double>(kBatch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["F"] = static_cast<double>(F);
}

void BM_TrainStepWindows(benchmark::State& state) {
  DeepArNet net(bench_config(CellType::Lstm));
  const int64_t S = 2048, N = 730;
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<float> y(S * N);
  for (int64_t s = 0; s < S; ++s) {
    const double level = 1 + 30 * u(rng);
    for (int64_t t = 0; t < N; ++t) y[s * N + t] = static_cast<float>(level * (1 + 0.4 * std::sin(t * 0.8976)) * (0.5 + u(rng)));
  }
  std::vector<float> calendar(N * 4);
  calendar_daily_cpu(19000, N, calendar.data());
  std::vector<int64_t> series, t0;
  uint64_t seed = 0;
  for (auto _ : state) {
    sample_windows(y.data(), S, N, kContext, kHorizon, kBatch, seed++, series, t0);
    WindowBatch wb{series.data(), t0.data(), kBatch, kSteps};
    benchmark::DoNotOptimize(net.train_step_windows(y.data(), S, N, wb, calendar.data(), N, nullptr));
  }
  state.counters["windows_per_s"] = benchmark::Counter(static_cast<double>(kBatch), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_TrainStep, lstm, CellType::Lstm)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, gru, CellType::Gru)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStepWindows)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();

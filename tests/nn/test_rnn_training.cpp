// tests/nn/test_rnn_training.cpp — the minimal DeepAR-style training loop (engine/nn/deepar.h):
// the loss falls on a learnable synthetic panel for every likelihood family, training is
// deterministic (same seed, same weights, bit for bit), and window sampling is valid.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/nn/deepar.h"

using namespace skucast;
using namespace skucast::nn;

namespace {

// S series of N days: level * (1 + 0.5 sin(2 pi t / 7)) + noise, counts, with leading NaN
// (late launches) on some series.
std::vector<float> make_panel(int64_t S, int64_t N, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<float> y(S * N);
  for (int64_t s = 0; s < S; ++s) {
    const double level = 2 + 20 * u(rng);
    const int64_t launch = s % 4 == 0 ? static_cast<int64_t>(u(rng) * N / 2) : 0;
    for (int64_t t = 0; t < N; ++t) {
      const double mean = level * (1 + 0.5 * std::sin(2 * M_PI * t / 7.0));
      std::poisson_distribution<int> pois(mean);
      y[s * N + t] = t < launch ? NAN : static_cast<float>(pois(rng));
    }
  }
  return y;
}

DeepArConfig small_config(Likelihood kind, CellType cell) {
  DeepArConfig c;
  c.cell = cell;
  c.n_hidden = 16;
  c.n_layers = 2;
  c.dropout = 0.1f;
  c.context = 21;
  c.horizon = 7;
  c.likelihood.kind = kind;
  c.features.season_length = 7;
  c.features.roll_short = 7;
  c.features.roll_long = 0;
  c.optim.lr = 1e-2;
  c.optim.clip_norm = 10.0;
  c.seed = 17;
  return c;
}

std::vector<double> train(DeepArNet& net, const std::vector<float>& y, int64_t S, int64_t N, int steps, int64_t B) {
  const int64_t T = net.config().context + net.config().horizon;
  std::vector<double> losses;
  std::vector<int64_t> series, t0;
  for (int k = 0; k < steps; ++k) {
    EXPECT_TRUE(sample_windows(y.data(), S, N, net.config().context, net.config().horizon, B, 1000 + k, series, t0));
    WindowBatch wb{series.data(), t0.data(), B, T};
    losses.push_back(net.train_step_windows(y.data(), S, N, wb, nullptr, 0, nullptr));
  }
  return losses;
}

double mean_of(const std::vector<double>& v, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += v[i];
  return s / static_cast<double>(to - from);
}

struct TrainCase {
  Likelihood kind;
  CellType cell;
};

class TrainingLoop : public ::testing::TestWithParam<TrainCase> {};

TEST_P(TrainingLoop, LossFalls) {
  const int64_t S = 48, N = 200, B = 32;
  const auto y = make_panel(S, N, 5);
  DeepArNet net(small_config(GetParam().kind, GetParam().cell));
  const auto losses = train(net, y, S, N, 80, B);
  const double first = mean_of(losses, 0, 10), last = mean_of(losses, 70, 80);
  std::printf("[training] %-8s %s: loss %.4f -> %.4f\n", likelihood_name(GetParam().kind).c_str(),
              GetParam().cell == CellType::Lstm ? "lstm" : "gru", first, last);
  for (double l : losses) ASSERT_TRUE(std::isfinite(l));
  // Point losses are on the scaled target, which starts far from 0 output; likelihoods
  // fall less in relative terms because of their constant parts.
  EXPECT_LT(last, first - 0.1 * std::fabs(first));
}

INSTANTIATE_TEST_SUITE_P(Families, TrainingLoop,
                         ::testing::Values(TrainCase{Likelihood::Gaussian, CellType::Lstm},
                                           TrainCase{Likelihood::NegBin, CellType::Lstm},
                                           TrainCase{Likelihood::Tweedie, CellType::Gru},
                                           TrainCase{Likelihood::Mse, CellType::Gru}),
                         [](const ::testing::TestParamInfo<TrainCase>& i) {
                           return likelihood_name(i.param.kind) +
                                  (i.param.cell == CellType::Lstm ? std::string("_lstm") : std::string("_gru"));
                         });

TEST(TrainingLoopDeterminism, SameSeedSameWeights) {
  const int64_t S = 16, N = 120, B = 8;
  const auto y = make_panel(S, N, 9);
  DeepArNet a(small_config(Likelihood::NegBin, CellType::Lstm)), b(small_config(Likelihood::NegBin, CellType::Lstm));
  const auto la = train(a, y, S, N, 5, B), lb = train(b, y, S, N, 5, B);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(a.weights(), b.weights());
}

TEST(SampleWindows, HorizonOverlapsObservedData) {
  const int64_t S = 10, N = 100, context = 20, horizon = 5;
  auto y = make_panel(S, N, 3);
  for (int64_t t = 0; t < N; ++t) y[3 * N + t] = NAN;  // an all-missing series is never drawn
  std::vector<int64_t> series, t0;
  ASSERT_TRUE(sample_windows(y.data(), S, N, context, horizon, 500, 1, series, t0));
  for (size_t b = 0; b < series.size(); ++b) {
    ASSERT_NE(series[b], 3);
    ASSERT_LE(t0[b] + context + horizon, N);
    bool observed = false;
    for (int64_t t = t0[b] + context; t < t0[b] + context + horizon; ++t)
      observed |= t >= 0 && !std::isnan(y[series[b] * N + t]);
    ASSERT_TRUE(observed) << "window " << b;
  }
  std::vector<float> empty(S * N, NAN);
  EXPECT_FALSE(sample_windows(empty.data(), S, N, context, horizon, 4, 1, series, t0));
}

}  // namespace

// tests/deepar/test_deepar_model.cpp — the global DeepAR-style model (engine/deepar/model.h):
// checkpoint round trip and resume, determinism, the training loss falling for every
// likelihood family and both cells, training windows that always hold an observed target,
// masking of held-out / missing steps, embedding gradients (finite differences), forecasting
// short series, accuracy against seasonal naive on a small synthetic catalog with
// promotions, and the attention option's wiring.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/checkpoint.h"
#include "tests/cli_helpers.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/kernels_math.h"
#include "engine/deepar/model.h"
#include "engine/nn/loss.h"
#include "engine/nn/rng.h"
#include "io/forecast_file.h"
#include "io/h5.h"
#include "io/panel.h"
#include "kernels/common.hpp"

using namespace skucast;

namespace {

// This test's scratch folder, removed when the process exits (skucast::testing::scratch_dir).
std::string temp_dir() { return skucast::testing::test_scratch_dir("skucast_deepar_").string(); }

// S series of T days (+F future covariate steps): level_s * weekly pattern * (2 if promo),
// Poisson counts; a regular price with discounts on promo days; two static attributes;
// one event. Series s % 5 == 0 launch late; some interior NaN. `cut` days are dropped from
// the end of the history (their covariates stay, as the future part).
struct SynthPanel {
  PanelHeader header;
  std::vector<float> target;                 // [S, T]
  std::vector<std::vector<float>> dynamic;   // price, promo [S, T+F]
  std::vector<float> full;                   // [S, T + cut] the untruncated target
};

SynthPanel make_panel(int64_t S, int64_t T_all, int64_t cut, int64_t F, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  SynthPanel p;
  const int64_t T = T_all - cut, TF = T + std::max(F, cut);
  PanelHeader& h = p.header;
  h.axis = make_axis(Freq::Day, "2020-01-06", 7);
  h.n_steps = T;
  h.n_future = TF - T;
  for (int64_t s = 0; s < S; ++s) h.ids.push_back("s" + std::to_string(s));
  h.statics.push_back(StaticAttr{"store", {}, {"A", "B", "C"}});
  h.statics.push_back(StaticAttr{"dept", {}, {"X", "Y"}});
  for (int64_t s = 0; s < S; ++s) {
    h.statics[0].codes.push_back(static_cast<int32_t>(s % 3));
    h.statics[1].codes.push_back(static_cast<int32_t>((s / 3) % 2));
  }
  h.dynamic.push_back(DynamicSpec{"price", true});
  h.dynamic.push_back(DynamicSpec{"promo", true});
  EventSeries ev{"holiday", std::vector<uint8_t>(TF, 0)};
  for (int64_t t = 30; t < TF; t += 61) ev.flags[t] = 1;
  h.events.push_back(ev);
  p.target.assign(S * T, NAN);
  p.full.assign(S * T_all, NAN);
  p.dynamic.assign(2, std::vector<float>(S * TF, 0.0f));
  for (int64_t s = 0; s < S; ++s) {
    const double level = 1 + 15 * u(rng), regular = 1 + 9 * u(rng);
    const double store_mult = 1.0 + 0.3 * (s % 3);
    const int64_t launch = s % 5 == 0 ? static_cast<int64_t>(u(rng) * T_all / 2) : 0;
    for (int64_t t = 0; t < TF; ++t) {
      const bool promo = u(rng) < 0.1;
      p.dynamic[1][s * TF + t] = promo ? 1.0f : 0.0f;
      p.dynamic[0][s * TF + t] = static_cast<float>(promo ? regular * 0.7 : regular);
      if (t >= T_all) continue;
      const int dow = static_cast<int>(t % 7);
      const double mean = level * store_mult * (dow >= 5 ? 1.8 : 1.0) * (promo ? 2.5 : 1.0) *
                          (ev.flags[t] ? 3.0 : 1.0);
      std::poisson_distribution<int> pois(mean);
      float v = static_cast<float>(pois(rng));
      if (t < launch || (s % 7 == 3 && t % 50 == 7)) v = NAN;
      p.full[s * T_all + t] = v;
      if (t < T) p.target[s * T + t] = v;
    }
  }
  return p;
}

std::string write(const SynthPanel& p, const std::string& path) {
  write_panel(path, p.header, p.target, p.dynamic);
  return path;
}

DeepArOptions tiny_options(const std::string& cell = "lstm") {
  DeepArOptions o;
  o.cell = cell;
  o.hidden = 8;
  o.layers = 2;
  o.context = 21;
  o.horizon = 7;
  o.dropout = 0.1;
  o.batch = 32;
  o.windows_per_epoch = 96;
  o.seed = 7;
  o.epochs = 2;
  return o;
}

}  // namespace

TEST(DeepArModel, OptionsJsonRoundTrip) {
  DeepArOptions o = tiny_options("gru");
  o.likelihood = "negbin";
  o.seed = 123456789012345ull;
  const DeepArOptions b = deepar_options_from_json(deepar_options_to_json(o));
  EXPECT_EQ(deepar_options_to_json(o), deepar_options_to_json(b));
  EXPECT_THROW(deepar_options_from_json("{\"cell\": \"tcn\"}"), InputError);
}

// Sizes past their bounds are an InputError naming the option: at the int64 limit they
// overflowed into an internal error ("size overflow"), and --layers 100000 never finished.
TEST(DeepArModel, OptionsHaveUpperBounds) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const std::vector<std::pair<int64_t DeepArOptions::*, int64_t>> bounds = {
      {&DeepArOptions::hidden, int64_t{1} << 16}, {&DeepArOptions::layers, 64},
      {&DeepArOptions::context, kMaxPanelSteps},  {&DeepArOptions::horizon, kMaxPanelSteps},
      {&DeepArOptions::batch, int64_t{1} << 20},  {&DeepArOptions::val_steps, kMaxPanelSteps}};
  for (const auto& [field, hi] : bounds) {
    DeepArOptions o = tiny_options();
    o.*field = hi;
    EXPECT_NO_THROW(o.validate()) << hi;
    for (int64_t v : {hi + 1, kMax}) {
      o.*field = v;
      EXPECT_THROW(o.validate(), InputError) << v;
    }
  }
  DeepArOptions o = tiny_options();
  o.lr = std::numeric_limits<double>::infinity();  // trained to NaN
  EXPECT_THROW(o.validate(), InputError);
  o = tiny_options();
  o.weight_decay = std::numeric_limits<double>::infinity();
  EXPECT_THROW(o.validate(), InputError);
}

// Note [Weighted window sampling]: with /series/weight, the series of a training window is
// drawn with probability w_s / sum w over the eligible series (weight 0: never); without it,
// uniformly, exactly as eligible[floor(u * n)].
TEST(DeepArModel, WeightedSamplingFollowsSeriesWeights) {
  const std::vector<int64_t> eligible{0, 1, 2, 3, 5};           // series 4 is not eligible
  const std::vector<float> weight{1.0f, 0.0f, 3.0f, 6.0f, 100.0f, 2.0f};  // [S = 6]
  const std::vector<double> p{1.0 / 12, 0.0, 3.0 / 12, 6.0 / 12, 0.0, 2.0 / 12};
  const deepar::SeriesSampler sampler(eligible, weight);
  constexpr int64_t N = 200000;
  std::vector<int64_t> count(weight.size(), 0);
  for (int64_t i = 0; i < N; ++i) ++count[sampler.draw(nn::uniform01(0x5EEDull, 1, static_cast<uint64_t>(i)))];
  EXPECT_EQ(count[1], 0) << "weight 0 is never drawn";
  EXPECT_EQ(count[4], 0) << "an ineligible series is never drawn";
  for (size_t s = 0; s < weight.size(); ++s) {
    if (p[s] == 0) continue;
    const double freq = static_cast<double>(count[s]) / N, sd = std::sqrt(p[s] * (1 - p[s]) / N);
    EXPECT_NEAR(freq, p[s], 5 * sd) << "series " << s << ": drawn " << count[s] << " of " << N;
  }
  // Edges: u just below 1 and 0 land on the last and first positive-weight series.
  EXPECT_EQ(sampler.draw(0.0), 0);
  EXPECT_EQ(sampler.draw(std::nextafter(1.0, 0.0)), 5);

  const deepar::SeriesSampler uniform(eligible, {});
  for (int64_t i = 0; i < 1000; ++i) {
    const double u = nn::uniform01(7, 1, static_cast<uint64_t>(i));
    EXPECT_EQ(uniform.draw(u), eligible[static_cast<size_t>(u * eligible.size())]);
  }
  EXPECT_THROW(deepar::SeriesSampler(eligible, {1.0f, 1.0f, -1.0f, 1.0f, 1.0f, 1.0f}), InputError);
  EXPECT_THROW(deepar::SeriesSampler(eligible, {1.0f, 1.0f, NAN, 1.0f, 1.0f, 1.0f}), InputError);
  EXPECT_THROW(deepar::SeriesSampler(eligible, {0.0f, 0.0f, 0.0f, 0.0f, 9.0f, 0.0f}), InputError);
}

TEST(DeepArModel, DeterministicWeights) {
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(24, 120, 0, 7, 1), dir + "/p.h5"));
  DeepArState a = deepar_init(tiny_options(), r.header());
  DeepArState b = deepar_init(tiny_options(), r.header());
  deepar_train(a, r, 2);
  deepar_train(b, r, 2);
  EXPECT_EQ(a.weights, b.weights);
  DeepArOptions o2 = tiny_options();
  o2.seed = 8;
  DeepArState c = deepar_init(o2, r.header());
  deepar_train(c, r, 2);
  EXPECT_NE(a.weights, c.weights);
}

// Training learns on a learnable panel for every likelihood family and both cells: the loss on
// the held-out final steps (teacher forced, the same windows every time) of the trained model
// is clearly below the untrained one's (10 batches of 32 windows an epoch, 8 epochs; point
// losses are on the scaled target, likelihoods fall less in relative terms because of their
// constant parts). The epochs' training losses stay finite; they are means over other windows
// every epoch, too noisy on this panel's promotions and events to compare epoch with epoch.
struct LossFallsCase {
  const char* likelihood;
  const char* cell;
};

class DeepArTrainingLoss : public ::testing::TestWithParam<LossFallsCase> {};

TEST_P(DeepArTrainingLoss, Falls) {
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(48, 200, 0, 7, 5), dir + "/p.h5"));
  DeepArOptions o = tiny_options(GetParam().cell);
  o.likelihood = GetParam().likelihood;
  o.hidden = 16;
  o.windows_per_epoch = 320;
  o.lr = 1e-2;
  o.patience = 100;  // every epoch runs
  o.seed = 17;
  DeepArState st = deepar_init(o, r.header());
  const double before = deepar_validation_loss(st, r);
  std::vector<double> train_loss;
  deepar_train(st, r, 8, [&](const EpochInfo& e) {
    if (e.epoch_done) train_loss.push_back(e.train_loss);
  });
  ASSERT_EQ(train_loss.size(), 8u);
  for (double l : train_loss) ASSERT_TRUE(std::isfinite(l));
  const double after = deepar_validation_loss(st, r);
  std::printf("[training] %-8s %s: held-out loss %.4f -> %.4f\n", GetParam().likelihood, GetParam().cell, before,
              after);
  ASSERT_TRUE(std::isfinite(before));
  EXPECT_LT(after, before - 0.1 * std::fabs(before));
}

INSTANTIATE_TEST_SUITE_P(Families, DeepArTrainingLoss,
                         ::testing::Values(LossFallsCase{"gaussian", "lstm"}, LossFallsCase{"negbin", "lstm"},
                                           LossFallsCase{"tweedie", "gru"}, LossFallsCase{"mse", "gru"}),
                         [](const ::testing::TestParamInfo<LossFallsCase>& i) {
                           return std::string(i.param.likelihood) + "_" + i.param.cell;
                         });

// Note [DeepAR windows]: a series with nothing observed before the validation steps is never
// drawn, and a drawn window always overlaps its series' observed span. Here one series is
// observed on 6 steps of 120 and the others never: with one window a batch, a batch without an
// observed target would leave the epoch's running loss as it was (0 for the first batch).
// A panel with nothing observed is refused.
TEST(DeepArModel, EveryTrainingWindowHoldsAnObservedTarget) {
  const std::string dir = temp_dir();
  SynthPanel p = make_panel(6, 120, 0, 7, 12);
  const std::vector<float> observed = p.target;
  std::fill(p.target.begin(), p.target.end(), NAN);
  for (int64_t t = 40; t < 46; ++t) p.target[2 * 120 + t] = observed[2 * 120 + t];  // series 2 has no holes
  const PanelReader r(write(p, dir + "/p.h5"));
  DeepArOptions o = tiny_options();
  o.batch = 1;
  o.windows_per_epoch = 60;
  DeepArState st = deepar_init(o, r.header());
  std::vector<double> running;  // the epoch's mean loss after each batch
  deepar_train(st, r, 1, [&](const EpochInfo& e) {
    if (!e.epoch_done) running.push_back(e.train_loss);
  });
  ASSERT_EQ(running.size(), 60u);
  EXPECT_NE(running[0], 0.0);
  for (size_t k = 1; k < running.size(); ++k) EXPECT_NE(running[k], running[k - 1]) << "batch " << k + 1;

  std::fill(p.target.begin(), p.target.end(), NAN);
  const PanelReader empty(write(p, dir + "/empty.h5"));
  DeepArState none = deepar_init(o, empty.header());
  try {
    deepar_train(none, empty, 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no series has an observed value"), std::string::npos) << e.what();
  }
}

TEST(DeepArModel, WeightSamplingNeedsWeightsAndChangesTraining) {
  const std::string dir = temp_dir();
  SynthPanel p = make_panel(24, 120, 0, 7, 1);
  DeepArOptions o = tiny_options();
  o.sampling = "weight";
  {
    const PanelReader r(write(p, dir + "/p.h5"));
    DeepArState st = deepar_init(o, r.header());
    EXPECT_THROW(deepar_train(st, r, 1), InputError);  // the panel has no /series/weight
  }
  p.header.weights.assign(24, 1.0f);
  for (int s = 0; s < 6; ++s) p.header.weights[static_cast<size_t>(s)] = 20.0f;
  const PanelReader r(write(p, dir + "/w.h5"));
  DeepArState a = deepar_init(tiny_options(), r.header()), b = deepar_init(o, r.header());
  deepar_train(a, r, 1);
  deepar_train(b, r, 1);
  EXPECT_NE(a.weights, b.weights);  // other series drawn
  EXPECT_EQ(deepar_options_from_json(deepar_options_to_json(o)).sampling, "weight");
  o.sampling = "dollars";
  EXPECT_THROW(o.validate(), InputError);
}

TEST(DeepArModel, CheckpointRoundTripAndResume) {
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(24, 120, 0, 7, 2), dir + "/p.h5"));
  for (const char* cell : {"lstm", "gru"}) {
    DeepArState st = deepar_init(tiny_options(cell), r.header());
    deepar_train(st, r, 1);
    const std::string path = dir + "/model_" + cell + ".h5";
    save_checkpoint(path, st);
    const DeepArState ld = load_checkpoint(path);
    EXPECT_EQ(ld.weights, st.weights);
    EXPECT_EQ(ld.adam_m, st.adam_m);
    EXPECT_EQ(ld.adam_v, st.adam_v);
    EXPECT_EQ(ld.adam_step, st.adam_step);
    EXPECT_EQ(deepar_options_to_json(ld.options), deepar_options_to_json(st.options));
    // Same seed -> identical forecasts from memory and from the file.
    const ForecastFile f1 = deepar_forecast(st, r, 10, {0.1, 0.5, 0.9}, 20, 5);
    const ForecastFile f2 = forecast_with_checkpoint(r, path, 10, {0.1, 0.5, 0.9}, 20, 5);
    EXPECT_EQ(f1.mean, f2.mean);
    EXPECT_EQ(f1.quantiles, f2.quantiles);
    EXPECT_EQ(f1.model, cell);
    EXPECT_EQ(f1.origin, 120);
    // Resume: training the loaded state continues exactly as training the in-memory one.
    DeepArState resumed = ld;
    deepar_train(st, r, 1);
    deepar_train(resumed, r, 1);
    EXPECT_GT(resumed.adam_step, ld.adam_step);
    EXPECT_EQ(resumed.weights, st.weights);
  }
}

TEST(DeepArModel, LoadRejectsOtherFiles) {
  const std::string dir = temp_dir();
  const std::string panel = write(make_panel(4, 60, 0, 0, 3), dir + "/p.h5");
  try {
    load_checkpoint(panel);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("retrain"), std::string::npos) << e.what();
  }
  EXPECT_ANY_THROW(load_checkpoint(dir + "/missing.h5"));
}

// Held-out (validation) steps are masked out of the training loss: panels that differ only
// there train to the same weights (one epoch: the first epoch is always kept as best).
TEST(DeepArModel, MaskedStepsDoNotAffectTraining) {
  const std::string dir = temp_dir();
  SynthPanel a = make_panel(24, 120, 0, 7, 4);
  SynthPanel b = a;
  for (int64_t s = 0; s < 24; ++s)
    for (int64_t t = 120 - 7; t < 120; ++t) b.target[s * 120 + t] = s % 2 ? NAN : 1000.0f;
  const PanelReader ra(write(a, dir + "/a.h5")), rb(write(b, dir + "/b.h5"));
  DeepArState sa = deepar_init(tiny_options(), ra.header()), sb = deepar_init(tiny_options(), rb.header());
  deepar_train(sa, ra, 1);
  deepar_train(sb, rb, 1);
  EXPECT_EQ(sa.weights, sb.weights);
  EXPECT_TRUE(std::isfinite(sa.best_val_loss));
  for (float w : sa.weights) ASSERT_TRUE(std::isfinite(w));
}

// Note [Refit on every step]: the second pass trains on the validation steps (changing their
// targets changes the weights, which MaskedStepsDoNotAffectTraining shows the first pass never
// does) for as many epochs as the first pass's best; the validation loss and the residual
// statistics stay the first pass's; the same seed gives the same weights; a resumed model does
// not refit.
TEST(DeepArRefit, TrainsOnTheValidationStepsForTheBestEpochCount) {
  const std::string dir = temp_dir();
  SynthPanel a = make_panel(24, 120, 0, 7, 4);
  SynthPanel b = a;
  for (int64_t s = 0; s < 24; ++s)
    for (int64_t t = 120 - 7; t < 120; ++t)
      if (!std::isnan(b.target[s * 120 + t])) b.target[s * 120 + t] = 3.0f * b.target[s * 120 + t] + 5.0f;
  const PanelReader ra(write(a, dir + "/a.h5")), rb(write(b, dir + "/b.h5"));
  DeepArOptions on = tiny_options();
  on.refit = "on";
  DeepArState sa = deepar_init(on, ra.header()), sb = deepar_init(on, rb.header());
  DeepArState plain = deepar_init(tiny_options(), ra.header());
  const TrainReport rep_a = deepar_train(sa, ra, 1);
  deepar_train(sb, rb, 1);
  const TrainReport rep_plain = deepar_train(plain, ra, 1);
  EXPECT_EQ(rep_a.best_epoch, 1);
  EXPECT_EQ(rep_a.refit_epochs, 1);
  EXPECT_EQ(rep_plain.refit_epochs, 0);
  EXPECT_NE(sa.weights, sb.weights);     // the refit saw the validation steps
  EXPECT_NE(sa.weights, plain.weights);  // and trained on more windows than the first pass
  EXPECT_EQ(sa.best_val_loss, plain.best_val_loss);
  EXPECT_EQ(sa.resid_sd, plain.resid_sd);
  // Note [What the model has seen]: the refit trained on the validation steps too.
  EXPECT_EQ(plain.train_end, 120 - 7);
  EXPECT_EQ(sa.train_end, 120);
  for (float w : sa.weights) ASSERT_TRUE(std::isfinite(w));

  DeepArState again = deepar_init(on, ra.header());
  deepar_train(again, ra, 1);
  EXPECT_EQ(again.weights, sa.weights);

  // Several epochs without early stopping: the refit runs the best epoch's count.
  DeepArOptions three = on;
  three.patience = 1000;
  DeepArState s3 = deepar_init(three, ra.header());
  const TrainReport rep3 = deepar_train(s3, ra, 3);
  EXPECT_GE(rep3.best_epoch, 1);
  EXPECT_LE(rep3.best_epoch, 3);
  EXPECT_EQ(rep3.refit_epochs, rep3.best_epoch);

  // Resuming (epochs_done > 0) continues the model; no second pass.
  const TrainReport resumed = deepar_train(sa, ra, 1);
  EXPECT_EQ(resumed.refit_epochs, 0);
}

// Note [Weight average]: after two batches the kept weights are d * w1 + (1 - d) * w2, where
// w1, w2 are the raw weights after batch 1 and 2 (one epoch: the first epoch is always the best
// so far). A one-batch run sees the same first batch at the same learning rate (the schedule's
// warm-up and cosine both give the peak rate to the first step of a one- or two-step run).
TEST(DeepArWeightAverage, IsTheMovingAverageOfTheBatches) {
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(24, 120, 0, 7, 5), dir + "/p.h5"));
  DeepArOptions one = tiny_options();
  one.windows_per_epoch = one.batch;
  one.ema = 0.0;  // the raw weights
  DeepArOptions two = one;
  two.windows_per_epoch = 2 * two.batch;
  DeepArOptions avg = two;
  avg.ema = 0.75;
  DeepArState s1 = deepar_init(one, r.header()), s2 = deepar_init(two, r.header()), sa = deepar_init(avg, r.header());
  deepar_train(s1, r, 1);
  deepar_train(s2, r, 1);
  deepar_train(sa, r, 1);
  ASSERT_EQ(sa.weights.size(), s1.weights.size());
  ASSERT_NE(s1.weights, s2.weights);
  for (size_t i = 0; i < sa.weights.size(); ++i)
    ASSERT_NEAR(sa.weights[i], 0.75f * s1.weights[i] + 0.25f * s2.weights[i], 1e-6f) << "weight " << i;
  EXPECT_EQ(deepar_options_from_json(deepar_options_to_json(avg)).ema, 0.75);
  EXPECT_EQ(deepar_options_from_json("{\"cell\": \"gru\"}").ema, 0.0);
  avg.ema = 1.0;
  EXPECT_THROW(avg.validate(), InputError);
}

TEST(DeepArRefit, StoredInTheModelAndOldFilesReadOff) {
  DeepArOptions o = tiny_options();
  o.refit = "on";
  EXPECT_EQ(deepar_options_from_json(deepar_options_to_json(o)).refit, "on");
  EXPECT_EQ(deepar_options_from_json("{\"cell\": \"gru\"}").refit, "off");
  o.refit = "maybe";
  EXPECT_THROW(o.validate(), InputError);
}

// d loss / d embedding rows by central finite differences on a tiny model. The composition
// of inputs is float-only (the templated double path covers the RNN, not the features), so
// this runs in float with eps = 1e-2 and a loose tolerance (float rounding of a loss ~1).
TEST(DeepArModel, EmbeddingGradientsMatchFiniteDifferences) {
  using namespace skucast::deepar;
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(12, 80, 0, 7, 5), dir + "/p.h5"));
  DeepArOptions o = tiny_options();
  o.hidden = 4;
  o.layers = 1;
  o.dropout = 0.0;
  const DeepArState st = deepar_init(o, r.header());
  const Layout l = make_layout(o, st.panel);
  const PanelData d = load_panel(r, l, o.horizon, o.context + lookback(l) + o.horizon);
  const Net net(l);
  const int64_t B = 6, n = o.context + o.horizon;
  std::vector<int64_t> series = {0, 1, 2, 3, 4, 5}, t0 = {30, 35, 40, 45, 50, 55};
  std::vector<float> scale(B), target(n * B), x(n * B * l.n_features), draw, dy, dx, grad(l.n_params, 0.0f);
  const WindowBatch wb{series.data(), t0.data(), B, n};
  window_scale_cpu(d.y.data(), d.n_series, d.n_time, wb, o.context, scale.data());
  window_target_cpu(d.y.data(), d.n_series, d.n_time, wb, target.data());
  ComposeScratch cs;
  auto loss_of = [&](const std::vector<float>& w, bool backward) {
    compose_inputs(d, l, w.data(), d.y.data(), d.n_series, d.n_time, 0, series.data(), series.data(), t0.data(), B, n,
                   scale.data(), cs, x.data());
    auto rc = net.rnn.forward(w.data(), x.data(), n, B, nullptr, nullptr, nn::Phase::Inference, 0);
    auto dc = net.head.forward(w.data() + l.n_rnn, rc->y(), n * B);
    draw.resize(n * B * net.head.n_out());
    const nn::LossValue v =
        nn::loss_forward_backward<float>(l.lik, dc->y(), target.data(), scale.data(), nullptr, n, B, draw.data());
    if (backward) {
      dy.resize(n * B * l.rnn.n_hidden);
      dx.resize(x.size());
      net.head.backward(*dc, w.data() + l.n_rnn, draw.data(), dy.data(), grad.data() + l.n_rnn,
                        nn::GradMode::Overwrite);
      net.rnn.backward(*rc, w.data(), dy.data(), nullptr, nullptr, dx.data(), nullptr, nullptr, grad.data(),
                       nn::GradMode::Overwrite);
      embedding_backward(d, l, series.data(), B, n, dx.data(), grad.data());
    }
    return v.loss;
  };
  std::vector<float> w = st.weights;
  loss_of(w, true);
  int64_t n_checked = 0;
  double max_abs = 0;
  for (size_t a = 0; a < l.emb_k.size(); ++a)
    for (int64_t i = l.emb_off[a]; i < l.emb_off[a] + l.emb_k[a] * l.emb_dim[a]; ++i) {
      const float keep = w[i];
      const float eps = 1e-2f;
      w[i] = keep + eps;
      const double lp = loss_of(w, false);
      w[i] = keep - eps;
      const double lm = loss_of(w, false);
      w[i] = keep;
      const double fd = (lp - lm) / (2 * eps);
      EXPECT_NEAR(grad[i], fd, 2e-3 + 5e-2 * std::abs(fd)) << "embedding " << a << " element " << i - l.emb_off[a];
      max_abs = std::max(max_abs, std::abs(fd));
      ++n_checked;
    }
  EXPECT_GT(n_checked, 0);
  EXPECT_GT(max_abs, 1e-4);  // the check is not vacuous: some rows get a real gradient
}

// A series launched a few steps before the end (shorter than the context) and one with no
// history at all forecast finite values; quantiles are ordered.
TEST(DeepArModel, ForecastsRecentlyLaunchedSeries) {
  const std::string dir = temp_dir();
  SynthPanel p = make_panel(12, 100, 0, 3, 6);
  for (int64_t t = 0; t < 95; ++t) p.target[0 * 100 + t] = NAN;  // launched 5 steps ago
  for (int64_t t = 0; t < 100; ++t) p.target[1 * 100 + t] = NAN; // not launched
  const PanelReader r(write(p, dir + "/p.h5"));
  for (const char* lik : {"gaussian", "negbin", "tweedie", "mse"}) {
    DeepArOptions o = tiny_options();
    o.likelihood = lik;
    DeepArState st = deepar_init(o, r.header());
    deepar_train(st, r, 1);
    // Horizon 10 > the 3 future covariate steps: the last values repeat (with a notice).
    const ForecastFile fc = deepar_forecast(st, r, 10, {0.1, 0.5, 0.9}, 16, 1);
    ASSERT_EQ(fc.mean.size(), 12u * 10u);
    for (float v : fc.mean) ASSERT_TRUE(std::isfinite(v)) << lik;
    for (size_t i = 0; i < fc.quantiles.size(); i += 3) {
      ASSERT_TRUE(std::isfinite(fc.quantiles[i]) && std::isfinite(fc.quantiles[i + 2])) << lik;
      ASSERT_LE(fc.quantiles[i], fc.quantiles[i + 1]) << lik;
      ASSERT_LE(fc.quantiles[i + 1], fc.quantiles[i + 2]) << lik;
    }
  }
}

// On a catalog whose demand depends on weekday, store, promotions and events, the model
// beats seasonal naive clearly on the held-out last H days (MAE of the mean forecast).
TEST(DeepArModel, BeatsSeasonalNaiveOnSyntheticCatalog) {
  const std::string dir = temp_dir();
  const int64_t S = 200, T_all = 400, H = 14;
  const SynthPanel p = make_panel(S, T_all, H, 0, 11);
  const PanelReader r(write(p, dir + "/p.h5"));
  DeepArOptions o;
  o.hidden = 24;
  o.layers = 1;
  o.context = 28;
  o.horizon = H;
  o.dropout = 0.0;
  o.batch = 64;
  o.windows_per_epoch = 1280;
  o.lr = 5e-3;
  o.likelihood = "negbin";
  o.seed = 3;
  o.patience = 4;
  DeepArState st = deepar_init(o, r.header());
  const TrainReport rep = deepar_train(st, r, 12);
  const ForecastFile fc = deepar_forecast(st, r, H, {0.5}, 50, 1);
  const int64_t T = T_all - H;
  double mae_model = 0, mae_snaive = 0, n = 0;
  for (int64_t s = 0; s < S; ++s)
    for (int64_t h = 0; h < H; ++h) {
      const float y = p.full[s * T_all + T + h];
      const float sn = p.full[s * T_all + T - 7 + (h % 7)];
      if (std::isnan(y) || std::isnan(sn)) continue;
      mae_model += std::abs(fc.mean[s * H + h] - y);
      mae_snaive += std::abs(sn - y);
      n += 1;
    }
  mae_model /= n;
  mae_snaive /= n;
  std::printf("deepar: %lld epochs, %.0f windows/s, val loss %.4f; MAE model %.3f vs snaive %.3f (ratio %.3f)\n",
              static_cast<long long>(rep.epochs_run), rep.windows_per_s, rep.best_val_loss, mae_model, mae_snaive,
              mae_model / mae_snaive);
  EXPECT_LT(mae_model, 0.8 * mae_snaive);
}

// `skucast train`: trains and writes a loadable model; resumes; bad flags exit 2.
TEST(DeepArModel, TrainCommand) {
  const std::string dir = temp_dir();
  const std::string panel = write(make_panel(24, 120, 0, 7, 8), dir + "/p.h5");
  const std::string model = dir + "/m.h5", model2 = dir + "/m2.h5";
  const std::vector<std::string> common = {"--panel", panel, "--horizon", "7", "--hidden", "8", "--layers", "1",
                                           "--context", "14", "--epochs", "2", "--batch", "16", "--seed", "3"};
  std::vector<std::string> args = {"train", "--ensemble", "1", "--model", "gru", "--device", "cuda", "--out", model};
  args.insert(args.end(), common.begin(), common.end());
  const auto r = skucast::testing::run_skucast(args);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("epoch 2/2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("runs on the CPU"), std::string::npos) << r.output;
  const DeepArState st = load_checkpoint(model);
  EXPECT_EQ(st.options.cell, "gru");
  EXPECT_EQ(st.options.hidden, 8);
  EXPECT_EQ(st.epochs_done, 2);
  args = {"train", "--model", "gru", "--resume", model, "--out", model2};
  args.insert(args.end(), common.begin(), common.end());
  const auto r2 = skucast::testing::run_skucast(args);
  ASSERT_EQ(r2.rc, 0) << r2.output;
  EXPECT_EQ(load_checkpoint(model2).epochs_done, 4);
  args = {"train", "--model", "tcn", "--out", model2};
  args.insert(args.end(), common.begin(), common.end());
  EXPECT_EQ(skucast::testing::run_skucast(args).rc, 2);
  args = {"train", "--model", "lstm", "--likelihood", "poisson", "--out", model2};
  args.insert(args.end(), common.begin(), common.end());
  EXPECT_EQ(skucast::testing::run_skucast(args).rc, 2);
  // Bad values exit 2 naming the flag (3 for a folder that does not exist), before any training
  // and with the model file untouched (the later flag wins over `common`'s). --threads 100000 crashed libgomp; --epochs 0 wrote an
  // untrained model; --lr inf trained to NaN.
  const std::string before = skucast::testing::read_text(model2);
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--threads", "-2"}, "--threads: Value -2 not in range 0 to 1024"},
      {{"--threads", "100000"}, "--threads: Value 100000 not in range 0 to 1024"},
      {{"--epochs", "0"}, "--epochs: must be at least 1, got 0"},
      {{"--batch", "0"}, "--batch: must be at least 1, got 0"},
      {{"--lr", "inf"}, "lr must be finite and > 0, got inf"},
      {{"--out", panel}, "--out '" + panel + "' is the same file as --panel"},
      {{"--out", dir + "/nodir/m.h5"}, "--out: cannot write"},
  };
  for (const auto& [extra, message] : bad) {
    args = {"train", "--model", "lstm"};
    args.insert(args.end(), common.begin(), common.end());
    args.insert(args.end(), extra.begin(), extra.end());
    if (extra[0] != "--out") args.insert(args.end(), {"--out", model2});
    const auto rb = skucast::testing::run_skucast(args);
    EXPECT_EQ(rb.rc, message.rfind("--out: ", 0) == 0 ? 3 : 2) << rb.output;
    EXPECT_NE(rb.output.find(message), std::string::npos) << rb.output;
    EXPECT_EQ(rb.output.find("train epoch"), std::string::npos) << rb.output;
  }
  EXPECT_EQ(skucast::testing::read_text(model2), before);
  EXPECT_EQ(PanelReader(panel).header().n_steps, 120);
}

// Note [Defaults from the panel]: the context from the horizon, the season and the history.
TEST(DeepArDefaults, ContextFromThePanel) {
  auto chosen = [](int64_t n_steps, int season, int64_t horizon, int64_t val_steps = 0) {
    PanelHeader h;
    h.n_steps = n_steps;
    h.axis.season_length = season;
    DeepArOptions o;
    o.horizon = horizon;
    o.val_steps = val_steps;
    const std::string note = deepar_resolve_defaults(o, h);
    EXPECT_NE(note.find("context " + std::to_string(o.context)), std::string::npos) << note;
    return o.context;
  };
  EXPECT_EQ(chosen(1941, 7, 28), 112);     // daily, 28 days: 4 x 28 (as before the rule)
  EXPECT_EQ(chosen(1100, 7, 7), 28);       // daily, a week: 4 x 7 = 28 > 2 x 7
  EXPECT_EQ(chosen(400, 52, 4), 104);      // weekly with a yearly season: two seasons > 16
  EXPECT_EQ(chosen(109, 1, 12), 48);       // orange juice: 4 x 12 = 48 <= (109 - 12) / 2
  EXPECT_EQ(chosen(109, 52, 12), 48);      // two seasons (104) capped at half of 97
  EXPECT_EQ(chosen(60, 12, 12, 20), 20);   // 4 x 12 = 48 capped at (60 - 20) / 2
  EXPECT_EQ(chosen(3, 1, 5), 1);           // never below 1
  {  // ... and the note names no negative count (3 steps, 5 of validation)
    PanelHeader h;
    h.n_steps = 3;
    DeepArOptions o;
    o.horizon = 5;
    const std::string note = deepar_resolve_defaults(o, h);
    EXPECT_NE(note.find("context 1 (the panel's 3 steps leave none before the 5 of validation)"), std::string::npos)
        << note;
    EXPECT_EQ(note.find("-"), std::string::npos) << note;
  }
  EXPECT_EQ(chosen(1000, 365, 28), 112);   // seasons above 60 steps do not count
  // A given context is kept, and nothing is reported.
  PanelHeader h;
  h.n_steps = 109;
  DeepArOptions o;
  o.horizon = 12;
  o.context = 30;
  EXPECT_EQ(deepar_resolve_defaults(o, h), "");
  EXPECT_EQ(o.context, 30);
  // deepar_init pins the choice into the model.
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(24, 120, 0, 7, 1), dir + "/p.h5"));
  DeepArOptions auto_ctx = tiny_options();
  auto_ctx.context = 0;
  EXPECT_GE(deepar_init(auto_ctx, r.header()).options.context, 1);
  // `train` on a panel too short for its validation window says so before any default's note
  // (which printed "context 1 (half the -7 steps before validation)").
  const std::string short_panel = write(make_panel(4, 1, 0, 7, 1), dir + "/short.h5");
  const auto rs = skucast::testing::run_skucast(
      {"train", "--panel", short_panel, "--model", "gru", "--horizon", "8", "--out", dir + "/short_m.h5"});
  EXPECT_EQ(rs.rc, 2) << rs.output;
  EXPECT_NE(rs.output.find(short_panel + ": the panel has 1 steps; training needs more than 9 (validation steps + 2)"),
            std::string::npos)
      << rs.output;
  EXPECT_EQ(rs.output.find("from the panel"), std::string::npos) << rs.output;
}

// Note [Sample paths from the catalog size]: 10^6 / S paths, between 100 and 1,000.
TEST(DeepArDefaults, PathsFromTheCatalogSize) {
  EXPECT_EQ(deepar_default_paths(913), 1000);     // orange juice: 1,095 capped at 1,000
  EXPECT_EQ(deepar_default_paths(1000), 1000);
  EXPECT_EQ(deepar_default_paths(3000), 333);     // the synthetic backtest catalog
  EXPECT_EQ(deepar_default_paths(10000), 100);    // a large catalog keeps the 100 of before
  EXPECT_EQ(deepar_default_paths(30490), 100);    // M5
  EXPECT_EQ(deepar_default_paths(1), 1000);
  EXPECT_EQ(deepar_default_paths(0), 1000);       // no series: no division by zero
}

// Note [Ensemble from the training cost]: batches per epoch x batch x window x epochs, by hand.
TEST(DeepArDefaults, EnsembleFromTheTrainingCost) {
  auto pick = [](int64_t n_series, int64_t n_steps, int season, int64_t horizon, DeepArOptions o = {}) {
    PanelHeader h;
    h.n_steps = n_steps;
    h.axis.season_length = season;
    o.horizon = horizon;
    deepar_resolve_defaults(o, h);
    std::string why;
    const int64_t k = deepar_auto_ensemble(o, n_series, &why);
    EXPECT_NE(why.find("ensemble " + std::to_string(k) + " "), std::string::npos) << why;
    return std::make_pair(deepar_training_cost(o, n_series), k);
  };
  // Orange juice: 913 series -> 32 batches (the floor), of 256 windows of 48 + 12 steps, 20 epochs.
  EXPECT_EQ(pick(913, 109, 1, 12), std::make_pair(int64_t{32} * 256 * 60 * 20, int64_t{3}));
  // M3 monthly (126 steps): the context is half of the 108 before validation, 54 + 18 steps.
  EXPECT_EQ(pick(1428, 126, 12, 18), std::make_pair(int64_t{32} * 256 * 72 * 20, int64_t{3}));
  // The synthetic daily catalog: 10,000 series -> 40 batches of 112 + 28 steps: one model.
  EXPECT_EQ(pick(10000, 1100, 7, 28), std::make_pair(int64_t{40} * 256 * 140 * 20, int64_t{1}));
  // A weekly catalog of 100,000 series: 200 batches (the cap) make it dear despite short windows.
  EXPECT_EQ(pick(100000, 150, 52, 12).second, 1);
  // What the user sets counts: fewer epochs or windows make the daily catalog cheap.
  DeepArOptions few;
  few.epochs = 5;
  EXPECT_EQ(pick(10000, 1100, 7, 28, few), std::make_pair(int64_t{40} * 256 * 140 * 5, int64_t{3}));
  few = {};
  few.windows_per_epoch = 1000;  // 4 batches of 256
  EXPECT_EQ(pick(10000, 1100, 7, 28, few).first, int64_t{4} * 256 * 140 * 20);
  // Exactly at the limit is cheap; one step over is not.
  DeepArOptions edge;
  edge.context = 4096 - 16;
  edge.windows_per_epoch = 32 * 256;
  edge.epochs = 8;  // 32 x 256 x 4096 x 8 = 2^5 x 2^8 x 2^12 x 2^3 = 2^28: dear
  EXPECT_EQ(pick(10, 10000, 1, 16, edge).second, 1);
  edge.epochs = 1;  // 2^25 still over 2^24
  EXPECT_EQ(pick(10, 10000, 1, 16, edge).second, 1);
  edge.windows_per_epoch = 16 * 256;  // 2^24
  EXPECT_EQ(pick(10, 10000, 1, 16, edge), std::make_pair(int64_t{1} << 24, int64_t{3}));
  // Not before the context is chosen.
  DeepArOptions unresolved;
  EXPECT_THROW(deepar_training_cost(unresolved, 100), Error);
}

// Note [Likelihood from the data]: the target's profile, and the choice it leads to.
TEST(DeepArDefaults, LikelihoodFromTheData) {
  const std::string dir = temp_dir();
  SynthPanel p = make_panel(6, 40, 0, 7, 3);  // Poisson counts, some NaN
  auto profile_of = [&](const SynthPanel& q, const std::string& name) {
    return target_profile(PanelReader(write(q, dir + "/" + name + ".h5")));
  };
  TargetProfile a = profile_of(p, "counts");
  int64_t n_obs = 0, n_zero = 0;
  for (float v : p.target) n_obs += std::isfinite(v), n_zero += v == 0.0f;
  EXPECT_EQ(a.n_obs, n_obs);
  EXPECT_EQ(a.n_zero, n_zero);
  EXPECT_TRUE(a.counts);
  EXPECT_FALSE(a.negative);
  // Zeros to a share of at least 25 %: a fifth of the observed values made zero on top.
  for (size_t i = 0; i < p.target.size(); i += 4)
    if (std::isfinite(p.target[i])) p.target[i] = 0.0f;
  TargetProfile z = profile_of(p, "zeros");
  ASSERT_GE(z.zero_share(), 0.25);
  SynthPanel frac = p;
  for (float& v : frac.target)
    if (std::isfinite(v) && v > 0) v += 0.5f;
  TargetProfile f = profile_of(frac, "fractional");
  EXPECT_FALSE(f.counts);
  SynthPanel neg = p;
  neg.target[1] = -3.0f;
  TargetProfile n = profile_of(neg, "negative");
  EXPECT_TRUE(n.negative);
  EXPECT_FALSE(n.counts);

  auto choose = [](const TargetProfile& t, std::string* note = nullptr) {
    PanelHeader h;
    h.n_steps = 40;
    DeepArOptions o;
    o.horizon = 7;
    o.context = 14;
    o.likelihood = "auto";
    const std::string line = deepar_resolve_defaults(o, h, &t);
    if (note) *note = line;
    return o.likelihood + "/" + o.target_transform;
  };
  std::string note;
  EXPECT_EQ(choose(z, &note), "negbin/log1p");  // (negbin ignores the transform)
  EXPECT_NE(note.find("likelihood negbin (counts, "), std::string::npos) << note;
  TargetProfile dense = a;
  dense.n_zero = 0;  // fast movers
  EXPECT_EQ(choose(dense, &note), "gaussian/log1p");
  EXPECT_NE(note.find("likelihood gaussian (0 % zeros)"), std::string::npos) << note;
  TargetProfile frac_zeros = f;
  frac_zeros.n_zero = frac_zeros.n_obs / 2;  // many zeros, but not counts
  EXPECT_EQ(choose(frac_zeros), "gaussian/log1p");
  EXPECT_EQ(choose(n, &note), "gaussian/log1p");
  EXPECT_NE(note.find("negative values"), std::string::npos) << note;
  // auto needs the profile; a Student-t drops the log transform; a given likelihood stays.
  PanelHeader h;
  h.n_steps = 40;
  DeepArOptions o;
  o.context = 14;
  o.likelihood = "auto";
  EXPECT_THROW(deepar_resolve_defaults(o, h), InputError);
  o.likelihood = "student_t";
  EXPECT_NE(deepar_resolve_defaults(o, h).find("target transform none"), std::string::npos);
  EXPECT_EQ(o.target_transform, "none");
  o.likelihood = "negbin";
  EXPECT_EQ(deepar_resolve_defaults(o, h, &dense), "");
  EXPECT_EQ(o.likelihood, "negbin");
  // deepar_init stores the choice, not "auto".
  const PanelReader r(write(p, dir + "/init.h5"));
  DeepArOptions io = tiny_options();
  io.likelihood = "auto";
  const TargetProfile rp = target_profile(r);
  EXPECT_EQ(deepar_init(io, r.header(), &rp).options.likelihood, "negbin");
  EXPECT_THROW(deepar_init(io, r.header()), InputError);
}

// Note [Target transform]: log1p on series without negative values under the continuous
// likelihoods; forecasts are in sales units (finite, non-negative on non-negative series), a
// model file without the option reads as "none", and count likelihoods ignore it.
TEST(DeepArTargetTransform, ForecastsInSalesUnitsAndOldFilesReadAsNone) {
  const std::string dir = temp_dir();
  const SynthPanel p = make_panel(24, 120, 0, 7, 1);
  const PanelReader r(write(p, dir + "/p.h5"));
  std::vector<ForecastFile> fcs;
  for (const char* tr : {"log1p", "none"}) {
    DeepArOptions o = tiny_options();
    o.target_transform = tr;
    DeepArState st = deepar_init(o, r.header());
    deepar_train(st, r, 2);
    fcs.push_back(deepar_forecast(st, r, 7, {0.1, 0.5, 0.9}, 20, 1));
    const ForecastFile& fc = fcs.back();
    for (size_t i = 0; i < fc.mean.size(); ++i) {
      ASSERT_TRUE(std::isfinite(fc.mean[i])) << tr << " " << i;
      EXPECT_GE(fc.mean[i], 0.0f) << tr << " " << i;  // the panel's series are non-negative
    }
    for (size_t i = 0; i + 2 < fc.quantiles.size(); i += 3) {
      EXPECT_LE(fc.quantiles[i], fc.quantiles[i + 1]);
      EXPECT_LE(fc.quantiles[i + 1], fc.quantiles[i + 2]);
    }
  }
  EXPECT_NE(fcs[0].mean, fcs[1].mean);  // the transform changes the model
  // The mean of the paths in sales units is at least the median for a right-skewed
  // distribution on average (exp of a symmetric draw): checked over the catalog.
  double mean_sum = 0, median_sum = 0;
  for (size_t i = 0; i < fcs[0].mean.size(); ++i) {
    mean_sum += fcs[0].mean[i];
    median_sum += fcs[0].quantiles[i * 3 + 1];
  }
  EXPECT_GT(mean_sum, median_sum);
  // Older model files have no "target_transform": they read as "none".
  DeepArOptions o = tiny_options();
  std::string json = deepar_options_to_json(o);
  EXPECT_EQ(deepar_options_from_json(json).target_transform, o.target_transform);
  const size_t at = json.find("\"target_transform\"");
  ASSERT_NE(at, std::string::npos);
  const size_t end = json.find(',', at);
  json.erase(at, end - at + 1);
  EXPECT_EQ(deepar_options_from_json(json).target_transform, "none");
  o.target_transform = "sqrt";
  EXPECT_THROW(o.validate(), InputError);
}

// Note [Target transform from the data] and Note [Window location]: the profile's log_change by
// hand, the choice it leads to, and a log1p_window model that trains and forecasts.
TEST(DeepArWindowLocation, ChosenFromTheDataAndForecasts) {
  const std::string dir = temp_dir();
  // log_change by hand: series 0 = {1, 3, NaN, 7}: log 2, log 4, log 8 -> mean |change| log 2;
  // series 1 = {0, 0, 0, 0}: 0; series 2 one value: none. The upper median of {0, log 2}.
  SynthPanel hand = make_panel(3, 4, 0, 1, 1);
  hand.target = {1, 3, NAN, 7, 0, 0, 0, 0, NAN, NAN, 5, NAN};
  const TargetProfile hp = target_profile(PanelReader(write(hand, dir + "/hand.h5")));
  EXPECT_NEAR(hp.log_change, std::log(2.0), 1e-9);

  auto choose = [](double log_change, const std::string& lik, std::string* note = nullptr) {
    TargetProfile t;
    t.n_obs = 100;
    t.counts = false;
    t.log_change = log_change;
    PanelHeader h;
    h.n_steps = 40;
    DeepArOptions o;
    o.context = 14;
    o.likelihood = lik;
    o.target_transform = "auto";
    const std::string line = deepar_resolve_defaults(o, h, &t);
    if (note) *note = line;
    EXPECT_EQ(o.volatility, o.target_transform == "log1p_window" ? "on" : "off");  // Note [Derived inputs]
    return o.target_transform;
  };
  std::string note;
  EXPECT_EQ(choose(0.085, "auto", &note), "log1p_window");  // M3 monthly
  EXPECT_NE(note.find("target transform log1p_window (smooth series"), std::string::npos) << note;
  EXPECT_NE(note.find("the series' volatility as an input"), std::string::npos) << note;
  EXPECT_EQ(choose(0.65, "auto", &note), "log1p");          // Dominick's orange juice
  EXPECT_EQ(note.find("target transform"), std::string::npos) << note;
  EXPECT_EQ(note.find("volatility"), std::string::npos) << note;
  EXPECT_EQ(choose(0.05, "negbin"), "log1p");               // a count likelihood has no location
  EXPECT_EQ(choose(0.05, "student_t"), "none");             // nor log for a Student-t
  EXPECT_EQ(choose(0.05, "mae"), "log1p_window");
  {
    PanelHeader h;
    h.n_steps = 40;
    DeepArOptions o;
    o.context = 14;
    o.target_transform = "auto";
    EXPECT_THROW(deepar_resolve_defaults(o, h), InputError);  // auto needs the profile
    EXPECT_THROW(deepar::make_layout(o, PanelFingerprint{}), Error);  // and is never a layout
  }

  // A smooth catalog: level 1,000-5,000, +-1 % noise. Trains, forecasts finite non-negative
  // values near the level, deterministically; the choice is stored in the model file.
  SynthPanel smooth = make_panel(24, 120, 0, 7, 5);
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0.0, 0.01);
  const int64_t T = smooth.header.n_steps;
  for (int64_t i = 0; i < 24; ++i)
    for (int64_t t = 0; t < T; ++t)
      smooth.target[i * T + t] = static_cast<float>((1000.0 + 170.0 * i) * (1.0 + noise(rng)));
  const std::string path = dir + "/smooth.h5";
  const PanelReader r(write(smooth, path));
  const TargetProfile sp = target_profile(r);
  EXPECT_LT(sp.log_change, 0.25);
  DeepArOptions o = tiny_options();
  o.target_transform = "auto";
  std::vector<ForecastFile> fcs;
  for (int run = 0; run < 2; ++run) {
    DeepArState st = deepar_init(o, r.header(), &sp);
    EXPECT_EQ(st.options.target_transform, "log1p_window");
    EXPECT_EQ(st.options.volatility, "on");
    deepar_train(st, r, 2);
    fcs.push_back(deepar_forecast(st, r, 7, {0.1, 0.5, 0.9}, 20, 1));
    if (run == 0) {
      save_checkpoint(dir + "/m.h5", st);
      EXPECT_EQ(load_checkpoint(dir + "/m.h5").options.target_transform, "log1p_window");
      EXPECT_EQ(load_checkpoint(dir + "/m.h5").options.volatility, "on");
    }
  }
  EXPECT_EQ(fcs[0].mean, fcs[1].mean);  // same seed and threads, same forecasts
  // The location carries each series' level into its paths: after 2 epochs of a tiny network
  // the medians are within a factor of 4 of the level, and rise with it across the series.
  const ForecastFile& fc = fcs[0];
  std::vector<double> avg(24, 0.0);
  for (int64_t i = 0; i < 24; ++i) {
    const double level = 1000.0 + 170.0 * static_cast<double>(i);
    for (int64_t h = 0; h < 7; ++h) {
      const float m = fc.quantiles[static_cast<size_t>((i * 7 + h) * 3 + 1)];
      ASSERT_TRUE(std::isfinite(m));
      EXPECT_GT(m, 0.25 * level) << i << " " << h;
      EXPECT_LT(m, 4.0 * level) << i << " " << h;
      avg[static_cast<size_t>(i)] += m / 7.0;
    }
  }
  int rising = 0;
  for (size_t i = 0; i + 4 < avg.size(); ++i) rising += avg[i + 4] > avg[i];
  EXPECT_GE(rising, 18) << "of 20";
}

// Note [Derived inputs]: the static reals of load_panel, computed by hand on a 3-series panel
// of 4 history steps: series 0 = {2, 0, NaN, 6} (mean |y| 8/3, zero share 1/3), series 1 =
// {1, 1, 1, 1}, series 2 never observed (reads 0 everywhere). Price: series 0 at 2 (regular 2),
// series 1 at 8; promo: series 0 on it 1 step of 4, series 1 never. Volatility: series 0's
// observed values 2, 0, 6 move |log 1 - log 3| and |log 7 - log 1| (mean (log 3 + log 7) / 2),
// series 1's not at all.
TEST(DeepArDerivedInputs, StaticRealsByHand) {
  using namespace skucast::deepar;
  const std::string dir = temp_dir();
  SynthPanel p;
  PanelHeader& h = p.header;
  h.axis = make_axis(Freq::Day, "2020-01-06", 7);
  h.n_steps = 4;
  h.n_future = 2;
  h.ids = {"a", "b", "c"};
  h.dynamic.push_back(DynamicSpec{"price", true});
  h.dynamic.push_back(DynamicSpec{"promo", true});
  p.target = {2, 0, NAN, 6, 1, 1, 1, 1, NAN, NAN, NAN, NAN};
  p.dynamic = {{2, 2, 2, 2, 2, 2, 8, 8, 8, 8, 8, 8, 5, 5, 5, 5, 5, 5},
               {0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  const PanelReader r(write(p, dir + "/p.h5"));
  DeepArOptions o = tiny_options();
  o.context = 2;
  o.horizon = 1;
  o.volatility = "on";
  const DeepArState st = deepar_init(o, r.header());
  const Layout l = make_layout(o, st.panel);
  ASSERT_EQ(l.n_sreal, 5);        // level, zero share, price level, promo share, volatility
  ASSERT_EQ(l.sreal_volatility, 4);
  ASSERT_EQ(l.n_dyn, 4 * 2 + 5);  // value, lead, lag, change per covariate, then the reals
  const PanelData d = load_panel(r, l, o.horizon, 8);
  ASSERT_EQ(d.sreal.size(), 15u);
  auto at = [&](int64_t k, int64_t s) { return static_cast<double>(d.sreal[k * 3 + s]); };
  // Level: log1p(8/3) and log1p(1) standardised over the two observed series: -+1 by symmetry.
  const double la = std::log1p(8.0 / 3.0), lb = std::log1p(1.0);
  EXPECT_NEAR(at(0, 0), la > lb ? 1.0 : -1.0, 1e-6);
  EXPECT_NEAR(at(0, 1), la > lb ? -1.0 : 1.0, 1e-6);
  EXPECT_NEAR(at(1, 0), 1.0 / 3.0, 1e-7);
  EXPECT_NEAR(at(1, 1), 0.0, 1e-7);
  // Price level: log 2 and log 8 standardised over the observed series: -1 and +1.
  EXPECT_NEAR(at(2, 0), -1.0, 1e-6);
  EXPECT_NEAR(at(2, 1), 1.0, 1e-6);
  // Promo share over the 4 history steps (the future part is not counted).
  EXPECT_NEAR(at(3, 0), 0.25, 1e-7);
  EXPECT_NEAR(at(3, 1), 0.0, 1e-7);
  // Volatility: log(0.01 + (log 3 + log 7) / 2) and log(0.01) standardised over the two: +1, -1.
  EXPECT_NEAR(at(4, 0), 1.0, 1e-6);
  EXPECT_NEAR(at(4, 1), -1.0, 1e-6);
  for (int64_t k = 0; k < 5; ++k) EXPECT_EQ(at(k, 2), 0.0) << k;  // never observed
  // stats_end = 2 (what training passes with 2 validation steps): series 0 is {2, 0}.
  const PanelData dt = load_panel(r, l, o.horizon, 8, 2);
  EXPECT_NEAR(dt.sreal[1 * 3 + 0], 0.5, 1e-7);
  // Without the volatility: the four reals of older models, in the same order.
  o.volatility = "off";
  const Layout lv = make_layout(o, st.panel);
  EXPECT_EQ(lv.n_sreal, 4);
  EXPECT_EQ(lv.sreal_volatility, -1);
  EXPECT_EQ(load_panel(r, lv, o.horizon, 8).sreal, std::vector<float>(d.sreal.begin(), d.sreal.begin() + 12));
  o.volatility = "on";
  // The base layout has the covariates alone and no static reals.
  o.inputs = "base";
  const Layout lb2 = make_layout(o, st.panel);
  EXPECT_EQ(lb2.n_sreal, 0);
  EXPECT_EQ(lb2.n_dyn, 2);
  // Model files from before the option read as "base"; new models default to "derived".
  EXPECT_EQ(deepar_options_from_json("{}").inputs, "base");
  EXPECT_EQ(DeepArOptions{}.inputs, "derived");
  EXPECT_EQ(deepar_options_from_json("{}").volatility, "off");
  EXPECT_EQ(DeepArOptions{}.volatility, "auto");
}

// Note [Distance inputs] by hand. Weekly axis (D = 4 steps, A = 52), T = 10 history + 4 future
// steps, one event on steps 3 and 12; series a observed from step 0, b from step 4, c never.
TEST(DeepArDerivedInputs, DistanceInputsByHand) {
  using namespace skucast::deepar;
  const std::string dir = temp_dir();
  SynthPanel p;
  PanelHeader& h = p.header;
  h.axis = make_axis(Freq::Week, "2020-01-06", 52);
  h.n_steps = 10;
  h.n_future = 4;
  h.ids = {"a", "b", "c"};
  h.dynamic.push_back(DynamicSpec{"price", true});
  std::vector<uint8_t> flags(14, 0);
  flags[3] = flags[12] = 1;
  h.events.push_back(EventSeries{"ev", flags});
  const float n = NAN;
  p.target = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, n, n, n, n, 4, 5, 6, 7, 8, 9, n, n, n, n, n, n, n, n, n, n};
  p.dynamic = {std::vector<float>(42, 2.0f)};
  const PanelReader r(write(p, dir + "/p.h5"));
  DeepArOptions o = tiny_options();
  o.context = 2;
  o.horizon = 2;
  EXPECT_EQ(o.distances, "off");  // the default
  o.distances = "on";
  const DeepArState st = deepar_init(o, r.header());
  const Layout l = make_layout(o, st.panel);
  EXPECT_EQ(l.spec.n_calendar, 4 + 3);  // day of year / season sin-cos, the flag, next, last
  EXPECT_EQ(l.n_slabs, 2);              // price, age
  EXPECT_EQ(l.slab_age, 1);
  ASSERT_EQ(l.n_dyn, 4 + 1 + 3);        // price's four columns, the age, then the three reals
  const PanelData d = load_panel(r, l, o.horizon, 8);
  ASSERT_EQ(d.n_shared_cols, 7);
  auto shared = [&](int64_t tau, int64_t c) { return static_cast<double>(d.shared[(d.pad + tau) * 7 + c]); };
  // {tau, flag, to the next event day, since the last}: max(0, 1 - steps / 4), 0 when none.
  const double want[][4] = {{0, 0, 0.25, 0},  {3, 1, 1, 1},   {5, 0, 0, 0.5},     {8, 0, 0, 0},
                            {10, 0, 0.5, 0}, {12, 1, 1, 1}, {13, 0, 0, 0.75}};
  for (const auto& w : want) {
    const int64_t tau = static_cast<int64_t>(w[0]);
    EXPECT_EQ(shared(tau, 4), w[1]) << tau;
    EXPECT_NEAR(shared(tau, 5), w[2], 1e-7) << tau;
    EXPECT_NEAR(shared(tau, 6), w[3], 1e-7) << tau;
  }
  EXPECT_EQ(shared(-1, 5), 0.0);  // padding before the axis
  // Age: log(1 + steps since the first observation) / log(53), 0 before it; c launches at T = 10.
  const int64_t TF = 14;
  auto age = [&](int64_t s, int64_t tau) { return static_cast<double>(d.dyn[(1 * 3 + s) * TF + tau]); };
  const double l53 = std::log(53.0);
  EXPECT_EQ(age(0, 0), 0.0);
  EXPECT_NEAR(age(0, 5), std::log(6.0) / l53, 1e-6);
  EXPECT_NEAR(age(0, 13), std::log(14.0) / l53, 1e-6);
  EXPECT_EQ(age(1, 3), 0.0);
  EXPECT_EQ(age(1, 4), 0.0);
  EXPECT_NEAR(age(1, 9), std::log(6.0) / l53, 1e-6);
  EXPECT_EQ(age(2, 9), 0.0);
  EXPECT_NEAR(age(2, 12), std::log(3.0) / l53, 1e-6);
  // What the network reads: the composed column, past the covariates' end the last value.
  const DynColumn c_age = l.dyn_cols[4];
  EXPECT_EQ(c_age.kind, DynKind::Value);
  EXPECT_EQ(c_age.slab, 1);
  EXPECT_NEAR(dyn_column_value(c_age, d.dyn.data(), d.sreal.data(), 3, TF, 0, 20), std::log(14.0) / l53, 1e-6);
  // The spans on a daily axis: four weeks, a year.
  EXPECT_EQ(distance_span(make_axis(Freq::Day, "2020-01-06", 7)), 28);
  EXPECT_EQ(age_span(make_axis(Freq::Day, "2020-01-06", 7)), 365);
  // Off: the layout of older models (the flag alone, no age slab), the other columns unchanged.
  o.distances = "off";
  const Layout lo = make_layout(o, st.panel);
  EXPECT_EQ(lo.spec.n_calendar, 5);
  EXPECT_EQ(lo.n_slabs, 1);
  EXPECT_EQ(lo.slab_age, -1);
  EXPECT_EQ(lo.n_dyn, 4 + 3);
  const PanelData d_off = load_panel(r, lo, o.horizon, 8);
  EXPECT_EQ(d_off.sreal, d.sreal);
  EXPECT_EQ(d_off.dyn, std::vector<float>(d.dyn.begin(), d.dyn.begin() + 3 * TF));
  for (int64_t tau = -1; tau < 14; ++tau)
    for (int64_t c = 0; c < 5; ++c) EXPECT_EQ(d_off.shared[(d_off.pad + tau) * 5 + c], d.shared[(d.pad + tau) * 7 + c]);
  // Model files from before the option read as off; other values are refused.
  EXPECT_EQ(deepar_options_from_json("{}").distances, "off");
  EXPECT_EQ(deepar_options_from_json(deepar_options_to_json(DeepArOptions{})).distances, "off");
  DeepArOptions on;
  on.distances = "on";
  EXPECT_EQ(deepar_options_from_json(deepar_options_to_json(on)).distances, "on");
  o.distances = "maybe";
  EXPECT_THROW(o.validate(), InputError);
}

// Note [Pooled models]: `--checkpoint a.h5,b.h5` splits the paths between the models, each
// path keeping its draws, so (1) a model pooled with itself forecasts exactly as alone, and
// (2) the pooled mean of two models is model a's mean over paths 0..N/2-1 and model b's over
// N/2..N-1, both of which the models' own forecasts give.
TEST(DeepArPooled, PathsAreSplitAndKeepTheirDraws) {
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(16, 100, 0, 7, 3), dir + "/p.h5"));
  DeepArOptions o = tiny_options("gru");
  DeepArState a = deepar_init(o, r.header());
  deepar_train(a, r, 1);
  o.seed = 8;
  DeepArState b = deepar_init(o, r.header());
  deepar_train(b, r, 1);
  const std::string pa = dir + "/a.h5", pb = dir + "/b.h5";
  save_checkpoint(pa, a);
  save_checkpoint(pb, b);
  const std::vector<double> lv{0.1, 0.5, 0.9};
  const int N = 20;
  const ForecastFile fa = forecast_with_checkpoint(r, pa, 7, lv, N, 5);
  const ForecastFile faa = forecast_with_checkpoint(r, pa + "," + pa, 7, lv, N, 5);
  EXPECT_EQ(faa.mean, fa.mean);
  EXPECT_EQ(faa.quantiles, fa.quantiles);
  // (2) on the sampler itself (deepar_forecast bounds diverging paths of this one-epoch model
  // afterwards, Note [Finite forecasts], which would hide the split).
  using namespace skucast::deepar;
  const Layout l = make_layout(a.options, a.panel);
  const PanelData d = load_panel(r, l, 7, a.options.context + lookback(l) + 1);
  auto paths_of = [&](std::vector<PathMember> members, int n) {
    PathRequest q;
    q.weights = members[0].weights;
    q.context = a.options.context;
    q.horizon = 7;
    q.levels = lv;
    q.n_paths = n;
    q.seed = 5;
    if (members.size() > 1) q.members = members;
    return forecast_paths_cpu(l, d, q).mean;
  };
  const PathMember ma{a.weights.data(), a.tweedie_phi}, mb{b.weights.data(), b.tweedie_phi};
  const std::vector<float> ab = paths_of({ma, mb}, N), a_half = paths_of({ma}, N / 2), b_all = paths_of({mb}, N),
                           b_half = paths_of({mb}, N / 2);
  ASSERT_EQ(ab.size(), a_half.size());
  for (size_t i = 0; i < ab.size(); ++i) {
    const double b_second_half = 2.0 * b_all[i] - b_half[i];  // b's paths N/2..N-1
    const double want = 0.5 * (a_half[i] + b_second_half);
    EXPECT_NEAR(ab[i], want, 1e-4 * (1.0 + std::fabs(want))) << i;
  }
  EXPECT_NE(ab, paths_of({ma}, N));
  // Models of another layout, an empty name, fewer paths than models: clear errors.
  DeepArState c = deepar_init(tiny_options("lstm"), r.header());
  save_checkpoint(dir + "/c.h5", c);
  EXPECT_THROW(forecast_with_checkpoint(r, pa + "," + dir + "/c.h5", 7, lv, N, 5), InputError);
  EXPECT_THROW(forecast_with_checkpoint(r, pa + ",", 7, lv, N, 5), InputError);
  EXPECT_THROW(forecast_with_checkpoint(r, pa + "," + pb + "," + pa, 7, lv, 2, 5), InputError);
}

// ------------------------------------------------------------------ attention ----
// Note [Attention] (engine/nn/attention.h): --attention on puts causal self-attention between
// the recurrent stack and the head. The layer's own checks (finite differences, PyTorch,
// step-wise = whole sequence) are in tests/nn; here its wiring into the model.

TEST(DeepArAttention, StoredInTheModelAndOldFilesReadOff) {
  DeepArOptions o = tiny_options();
  o.attention = "on";
  EXPECT_EQ(deepar_options_from_json(deepar_options_to_json(o)).attention, "on");
  EXPECT_EQ(deepar_options_from_json("{\"cell\": \"gru\"}").attention, "off");
  o.attention = "yes";
  try {
    o.validate();
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("attention"), std::string::npos) << e.what();
  }
}

// The training step's gradient (engine/deepar/step.cpp) of the attention block and of the RNN
// weights below it, by central differences in float (eps 1e-2; float rounding of a loss ~1
// limits the agreement, hence the loose tolerance, as in EmbeddingGradientsMatchFiniteDifferences).
TEST(DeepArAttention, StepGradientsMatchFiniteDifferences) {
  using namespace skucast::deepar;
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(12, 80, 0, 7, 5), dir + "/p.h5"));
  DeepArOptions o = tiny_options("gru");
  o.hidden = 4;
  o.layers = 1;
  o.dropout = 0.0;
  o.attention = "on";
  DeepArState st = deepar_init(o, r.header());
  const Layout l = make_layout(o, st.panel);
  ASSERT_EQ(l.n_att, 4 * 4 * 4);
  ASSERT_EQ(static_cast<int64_t>(st.weights.size()), l.n_params);
  // A fresh model's W_o is 0 (the layer passes h through); give it weights so every part carries gradient.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (int64_t i = l.att_off; i < l.att_off + l.n_att; ++i) st.weights[i] = u(rng);
  const PanelData d = load_panel(r, l, o.horizon, o.context + lookback(l) + o.horizon);
  const int64_t B = 6, n = o.context + o.horizon;
  std::vector<int64_t> series = {0, 1, 2, 3, 4, 5}, t0 = {30, 35, 40, 45, 50, 55};
  std::vector<float> scale(B), target(n * B), x(n * B * l.n_features), grad(l.n_params, 0.0f);
  const WindowBatch wb{series.data(), t0.data(), B, n};
  window_scale_cpu(d.y.data(), d.n_series, d.n_time, wb, o.context, scale.data());
  window_target_cpu(d.y.data(), d.n_series, d.n_time, wb, target.data());
  ComposeScratch cs;
  compose_inputs(d, l, st.weights.data(), d.y.data(), d.n_series, d.n_time, 0, series.data(), series.data(), t0.data(),
                 B, n, scale.data(), cs, x.data());
  CpuStep step(l);
  std::vector<float> w = st.weights;
  auto loss_of = [&](float* g) {
    return step.run(d, l, w.data(), x.data(), target.data(), scale.data(), series.data(), B, n, nn::Phase::Inference,
                    0, g).loss;
  };
  loss_of(grad.data());
  double max_abs = 0;
  auto check = [&](int64_t i, const char* what) {
    const float keep = w[i], eps = 1e-2f;
    w[i] = keep + eps;
    const double lp = loss_of(nullptr);
    w[i] = keep - eps;
    const double lm = loss_of(nullptr);
    w[i] = keep;
    const double fd = (lp - lm) / (2 * eps);
    EXPECT_NEAR(grad[i], fd, 2e-3 + 5e-2 * std::abs(fd)) << what << " weight " << i;
    max_abs = std::max(max_abs, std::abs(fd));
  };
  for (int64_t i = l.att_off; i < l.att_off + l.n_att; ++i) check(i, "attention");
  for (int64_t i = 0; i < l.n_rnn; i += 7) check(i, "rnn");
  EXPECT_GT(max_abs, 1e-3);  // not vacuous
}

// Training and forecasting with attention: deterministic, the file round-trips (weights,
// forecasts, resume), W_o moves off 0, the forecast differs from the plain model's, and a GPU
// request runs on the CPU.
TEST(DeepArAttention, TrainsDeterministicallyAndRoundTrips) {
  using namespace skucast::deepar;
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(24, 120, 0, 7, 2), dir + "/p.h5"));
  DeepArOptions o = tiny_options("gru");
  o.attention = "on";
  DeepArState a = deepar_init(o, r.header()), b = deepar_init(o, r.header());
  deepar_train(a, r, 1);
  deepar_train(b, r, 1);
  EXPECT_EQ(a.weights, b.weights);
  const Layout l = make_layout(o, a.panel);
  double wo = 0;
  for (int64_t i = l.att_off + 3 * o.hidden * o.hidden; i < l.att_off + l.n_att; ++i) wo += std::fabs(a.weights[i]);
  EXPECT_GT(wo, 0.0);
  const std::string path = dir + "/m.h5";
  save_checkpoint(path, a);
  const DeepArState ld = load_checkpoint(path);
  EXPECT_EQ(ld.options.attention, "on");
  EXPECT_EQ(ld.weights, a.weights);
  const ForecastFile f1 = deepar_forecast(a, r, 7, {0.1, 0.5, 0.9}, 20, 5);
  const ForecastFile f2 = forecast_with_checkpoint(r, path, 7, {0.1, 0.5, 0.9}, 20, 5);
  EXPECT_EQ(f1.mean, f2.mean);
  for (float v : f1.mean) EXPECT_TRUE(std::isfinite(v));
  // The plain model of the same seed forecasts otherwise.
  DeepArOptions plain = o;
  plain.attention = "off";
  DeepArState p = deepar_init(plain, r.header());
  deepar_train(p, r, 1);
  EXPECT_NE(deepar_forecast(p, r, 7, {0.5}, 20, 5).mean, f1.mean);
  // No GPU path yet: a GPU request trains and samples on the CPU (with a note), in any build.
  DeepArState g = deepar_init(o, r.header());
  deepar_train(g, r, 1, {}, TrainDeviceOptions(Device::Cuda));
  EXPECT_EQ(g.weights, b.weights);
  ForecastDeviceOptions gpu;
  gpu.device = Device::Cuda;
  EXPECT_EQ(deepar_forecast(a, r, 7, {0.1, 0.5, 0.9}, 20, 5, gpu).mean, f1.mean);
  DeepArState resumed = ld;
  deepar_train(a, r, 1);
  deepar_train(resumed, r, 1);
  EXPECT_EQ(resumed.weights, a.weights);
}

// Note [Per-window input columns] (engine/deepar/step.cpp): the training step that projects the
// static reals and embeddings once per window gives the plain step's loss and gradient, to float
// rounding, for both cells, with dropout, on windows that start before some series launch.
TEST(DeepArStep, PerWindowColumnsMatchThePlainStep) {
  using namespace skucast::deepar;
  const std::string dir = temp_dir();
  const PanelReader r(write(make_panel(12, 80, 0, 7, 5), dir + "/p.h5"));
  for (const char* cell : {"lstm", "gru"}) {
    DeepArOptions o = tiny_options();
    o.cell = cell;
    o.hidden = 6;
    o.layers = 2;
    o.dropout = 0.2;
    const DeepArState st = deepar_init(o, r.header());
    const Layout l = make_layout(o, st.panel);
    ASSERT_FALSE(l.emb_col.empty());
    ASSERT_GT(l.n_sreal, 0);
    const PanelData d = load_panel(r, l, o.horizon, o.context + lookback(l) + o.horizon);
    const int64_t B = 6, n = o.context + o.horizon;
    std::vector<int64_t> series = {0, 1, 2, 3, 4, 5}, t0 = {0, 5, 40, 45, 50, 55};
    std::vector<float> scale(B), target(n * B), x(n * B * l.n_features);
    const WindowBatch wb{series.data(), t0.data(), B, n};
    window_scale_cpu(d.y.data(), d.n_series, d.n_time, wb, o.context, scale.data());
    window_target_cpu(d.y.data(), d.n_series, d.n_time, wb, target.data());
    ComposeScratch cs;
    compose_inputs(d, l, st.weights.data(), d.y.data(), d.n_series, d.n_time, 0, series.data(), series.data(),
                   t0.data(), B, n, scale.data(), cs, x.data());
    CpuStep split(l), plain(l, false);
    ASSERT_TRUE(split.rnn_cut.has_value());
    ASSERT_FALSE(plain.rnn_cut.has_value());
    std::vector<float> g_split(l.n_params, -7.0f), g_plain(l.n_params, 7.0f);
    const auto v_split = split.run(d, l, st.weights.data(), x.data(), target.data(), scale.data(), series.data(), B,
                                   n, nn::Phase::Training, 11, g_split.data());
    const auto v_plain = plain.run(d, l, st.weights.data(), x.data(), target.data(), scale.data(), series.data(), B,
                                   n, nn::Phase::Training, 11, g_plain.data());
    EXPECT_NEAR(v_split.loss, v_plain.loss, 1e-5 * (1 + std::abs(v_plain.loss))) << cell;
    double max_g = 0;
    for (int64_t i = 0; i < l.n_params; ++i) {
      ASSERT_NEAR(g_split[i], g_plain[i], 2e-5 * (1 + std::abs(g_plain[i]))) << cell << " weight " << i;
      max_g = std::max(max_g, static_cast<double>(std::abs(g_plain[i])));
    }
    EXPECT_GT(max_g, 1e-3);  // not vacuous
    const int64_t e0 = l.emb_col.front();
    double emb_g = 0;
    for (int64_t i = l.emb_off[0]; i < l.n_params; ++i) emb_g += std::abs(g_plain[i]);
    EXPECT_GT(emb_g, 0.0) << "embedding gradient, first embedding column " << e0;
  }
}

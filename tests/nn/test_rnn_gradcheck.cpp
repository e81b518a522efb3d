// tests/nn/test_rnn_gradcheck.cpp — finite-difference gradient checks (STYLE T7) of the CPU
// LSTM and GRU stacks and the dense head, in double precision, plus the gradient modes,
// dropout and batch invariance (STYLE T6).
//
// Objective: J = sum gy * y + sum ghn * h_n + sum gcn * c_n with fixed random coefficients,
// so dJ/dy = gy etc. and every analytic gradient is checked against central differences
// (step 1e-6: truncation ~1e-12 * |f'''|, rounding ~1e-16 / 1e-6; both far below the
// 1e-7 + 1e-6 |ref| budget).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/nn/activations.h"
#include "engine/nn/dense.h"
#include "engine/nn/rnn.h"
#include "kernels/common.hpp"

using namespace skucast::nn;

namespace {

std::vector<double> random_vec(size_t n, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

double dot(const double* a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < b.size(); ++i) s += a[i] * b[i];
  return s;
}

// Compares analytic vs numeric gradients, reporting the worst element (STYLE T2).
struct GradReport {
  double max_abs = 0, max_rel = 0, budget_used = 0;
  size_t worst = 0;
  double worst_ref = 0, worst_got = 0;
};

GradReport compare(const std::vector<double>& numeric, const std::vector<double>& analytic, double atol,
                   double rtol) {
  GradReport r;
  for (size_t i = 0; i < numeric.size(); ++i) {
    const double err = std::fabs(numeric[i] - analytic[i]);
    const double used = err / (atol + rtol * std::fabs(numeric[i]));
    r.max_abs = std::max(r.max_abs, err);
    r.max_rel = std::max(r.max_rel, err / std::max(std::fabs(numeric[i]), 1e-12));
    if (used > r.budget_used) {
      r.budget_used = used;
      r.worst = i;
      r.worst_ref = numeric[i];
      r.worst_got = analytic[i];
    }
  }
  return r;
}

void expect_grads(const std::string& what, const std::vector<double>& numeric, const std::vector<double>& analytic) {
  ASSERT_EQ(numeric.size(), analytic.size());
  const GradReport r = compare(numeric, analytic, 1e-7, 1e-6);
  std::printf("[gradcheck] %-28s n=%-5zu max_abs=%.3g max_rel=%.3g budget=%.1f%%\n", what.c_str(), numeric.size(),
              r.max_abs, r.max_rel, 100 * r.budget_used);
  EXPECT_LE(r.budget_used, 1.0) << what << ": worst index " << r.worst << " numeric " << r.worst_ref
                                << " analytic " << r.worst_got << " (max abs " << r.max_abs << ")";
}

struct Case {
  CellType cell;
  int64_t F, Hd, L, T, B;
  float dropout;
};

class RnnGradCheck : public ::testing::TestWithParam<Case> {};

TEST_P(RnnGradCheck, MatchesFiniteDifferences) {
  const Case c = GetParam();
  RnnConfig cfg{c.cell, c.F, c.Hd, c.L, c.dropout};
  Rnn<double> rnn(cfg);
  std::mt19937_64 rng(42 + c.L * 7 + (c.cell == CellType::Gru));
  const int64_t BH = c.B * c.Hd;
  // Weights wider than PyTorch's init so the gates leave their linear regime.
  std::vector<double> w = random_vec(rnn.n_params(), rng, -0.8, 0.8);
  std::vector<double> x = random_vec(c.T * c.B * c.F, rng);
  std::vector<double> h0 = random_vec(c.L * BH, rng, -0.5, 0.5);
  std::vector<double> c0 = random_vec(c.L * BH, rng, -0.5, 0.5);
  const std::vector<double> gy = random_vec(c.T * BH, rng);
  const std::vector<double> ghn = random_vec(c.L * BH, rng);
  const std::vector<double> gcn = random_vec(c.L * BH, rng);
  const bool lstm = c.cell == CellType::Lstm;
  const Phase phase = c.dropout > 0 ? Phase::Training : Phase::Inference;
  const uint64_t seed = 1234;

  auto objective = [&]() {
    auto ctx = rnn.forward(w.data(), x.data(), c.T, c.B, h0.data(), c0.data(), phase, seed);
    double j = dot(ctx->y(), gy) + dot(ctx->h_n(), ghn);
    if (lstm) j += dot(ctx->c_n(), gcn);
    return j;
  };

  auto ctx = rnn.forward(w.data(), x.data(), c.T, c.B, h0.data(), c0.data(), phase, seed);
  std::vector<double> dw(rnn.n_params(), 99.0), dx(x.size()), dh0(h0.size()), dc0(c0.size());
  rnn.backward(*ctx, w.data(), gy.data(), ghn.data(), gcn.data(), dx.data(), dh0.data(), dc0.data(), dw.data(),
               GradMode::Overwrite);

  auto numeric = [&](std::vector<double>& v) {
    std::vector<double> g(v.size());
    const double h = 1e-6;
    for (size_t i = 0; i < v.size(); ++i) {
      const double keep = v[i];
      v[i] = keep + h;
      const double jp = objective();
      v[i] = keep - h;
      const double jm = objective();
      v[i] = keep;
      g[i] = (jp - jm) / (2 * h);
    }
    return g;
  };
  const std::string name = std::string(lstm ? "lstm" : "gru") + " L" + std::to_string(c.L) +
                           (c.dropout > 0 ? " dropout" : "");
  expect_grads(name + " dweights", numeric(w), dw);
  expect_grads(name + " dx", numeric(x), dx);
  expect_grads(name + " dh0", numeric(h0), dh0);
  if (lstm) expect_grads(name + " dc0", numeric(c0), dc0);

  // Accumulate adds, Ignore leaves the buffer alone but still gives dx.
  std::vector<double> acc = dw, dx2(x.size());
  rnn.backward(*ctx, w.data(), gy.data(), ghn.data(), gcn.data(), nullptr, nullptr, nullptr, acc.data(),
               GradMode::Accumulate);
  for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(acc[i], 2 * dw[i], 1e-12 * (1 + std::fabs(dw[i]))) << i;
  std::vector<double> untouched(rnn.n_params(), 7.0);
  rnn.backward(*ctx, w.data(), gy.data(), ghn.data(), gcn.data(), dx2.data(), nullptr, nullptr, untouched.data(),
               GradMode::Ignore);
  for (double v : untouched) ASSERT_EQ(v, 7.0);
  for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(dx2[i], dx[i], 1e-14);
}

INSTANTIATE_TEST_SUITE_P(
    Cells, RnnGradCheck,
    ::testing::Values(Case{CellType::Lstm, 3, 4, 1, 1, 1, 0.0f}, Case{CellType::Lstm, 3, 4, 2, 5, 3, 0.0f},
                      Case{CellType::Lstm, 2, 5, 3, 4, 2, 0.3f}, Case{CellType::Gru, 3, 4, 1, 1, 1, 0.0f},
                      Case{CellType::Gru, 3, 4, 2, 5, 3, 0.0f}, Case{CellType::Gru, 2, 5, 3, 4, 2, 0.3f}),
    [](const ::testing::TestParamInfo<Case>& i) {
      return std::string(i.param.cell == CellType::Lstm ? "Lstm" : "Gru") + "_L" + std::to_string(i.param.L) +
             "_T" + std::to_string(i.param.T) + "_B" + std::to_string(i.param.B) +
             (i.param.dropout > 0 ? "_dropout" : "");
    });

// ------------------------------------------------------------- dense head ----
TEST(DenseGradCheck, MatchesFiniteDifferences) {
  std::mt19937_64 rng(5);
  Dense<double> dense(6, 3);
  const int64_t N = 7;
  std::vector<double> w = random_vec(dense.n_params(), rng), x = random_vec(N * 6, rng);
  const std::vector<double> gy = random_vec(N * 3, rng);
  auto objective = [&]() { return dot(dense.forward(w.data(), x.data(), N)->y(), gy); };
  auto ctx = dense.forward(w.data(), x.data(), N);
  std::vector<double> dw(dense.n_params()), dx(x.size());
  dense.backward(*ctx, w.data(), gy.data(), dx.data(), dw.data(), GradMode::Overwrite);
  auto numeric = [&](std::vector<double>& v) {
    std::vector<double> g(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const double keep = v[i];
      v[i] = keep + 1e-6;
      const double jp = objective();
      v[i] = keep - 1e-6;
      const double jm = objective();
      v[i] = keep;
      g[i] = (jp - jm) / 2e-6;
    }
    return g;
  };
  expect_grads("dense dweights", numeric(w), dw);
  expect_grads("dense dx", numeric(x), dx);
  std::vector<double> acc = dw;
  dense.backward(*ctx, w.data(), gy.data(), nullptr, acc.data(), GradMode::Accumulate);
  for (size_t i = 0; i < dw.size(); ++i) ASSERT_NEAR(acc[i], 2 * dw[i], 1e-12);
}

// ------------------------------------------------------- dropout, invariance ----
TEST(RnnDropout, SeededTrainingOnlyAndScaled) {
  RnnConfig cfg{CellType::Lstm, 4, 16, 2, 0.5f};
  Rnn<double> rnn(cfg);
  std::vector<double> w(rnn.n_params());
  rnn.init_uniform(w.data(), 3);
  std::mt19937_64 rng(9);
  const int64_t T = 6, B = 40;
  std::vector<double> x = random_vec(T * B * 4, rng);
  auto a = rnn.forward(w.data(), x.data(), T, B, nullptr, nullptr, Phase::Training, 1);
  auto b = rnn.forward(w.data(), x.data(), T, B, nullptr, nullptr, Phase::Training, 1);
  auto c = rnn.forward(w.data(), x.data(), T, B, nullptr, nullptr, Phase::Training, 2);
  auto i1 = rnn.forward(w.data(), x.data(), T, B, nullptr, nullptr, Phase::Inference, 1);
  auto i2 = rnn.forward(w.data(), x.data(), T, B, nullptr, nullptr, Phase::Inference, 2);
  const int64_t n = T * B * 16;
  double diff_seed = 0, diff_phase = 0;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(a->y()[i], b->y()[i]) << "same seed must give the same mask";
    ASSERT_EQ(i1->y()[i], i2->y()[i]) << "inference must not use dropout";
    diff_seed = std::max(diff_seed, std::fabs(a->y()[i] - c->y()[i]));
    diff_phase = std::max(diff_phase, std::fabs(a->y()[i] - i1->y()[i]));
  }
  EXPECT_GT(diff_seed, 1e-3);
  EXPECT_GT(diff_phase, 1e-3);
}

TEST(RnnBatch, BatchOfNEqualsBatchesOfOne) {
  for (CellType cell : {CellType::Lstm, CellType::Gru}) {
    RnnConfig cfg{cell, 3, 8, 2, 0.0f};
    Rnn<float> rnn(cfg);
    std::vector<float> w(rnn.n_params());
    rnn.init_uniform(w.data(), 11);
    const int64_t T = 9, B = 257, F = 3, Hd = 8;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> x(T * B * F);
    for (auto& v : x) v = u(rng);
    auto all = rnn.forward(w.data(), x.data(), T, B, nullptr, nullptr, Phase::Inference, 0);
    // |got - ref| <= atol + rtol |ref| (STYLE T1, fp32): the batch-of-one run takes other
    // GEMM shapes (and, with threads, other row blocks), so it agrees to rounding only; a
    // purely relative measure fails on outputs near zero (1 ulp of 0.4 on a value of 1e-4).
    constexpr double kAtol = 1e-6, kRtol = 1e-5;
    double worst = 0;  // largest |got - ref| / (atol + rtol |ref|): the fraction of the budget used
    for (int64_t b = 0; b < B; b += 37) {
      std::vector<float> xb(T * F);
      for (int64_t t = 0; t < T; ++t)
        for (int64_t f = 0; f < F; ++f) xb[t * F + f] = x[(t * B + b) * F + f];
      auto one = rnn.forward(w.data(), xb.data(), T, 1, nullptr, nullptr, Phase::Inference, 0);
      for (int64_t t = 0; t < T; ++t)
        for (int64_t k = 0; k < Hd; ++k) {
          const double ref = all->y()[(t * B + b) * Hd + k], got = one->y()[t * Hd + k];
          worst = std::max(worst, std::fabs(ref - got) / (kAtol + kRtol * std::fabs(ref)));
        }
    }
    EXPECT_LE(worst, 1.0) << (cell == CellType::Lstm ? "lstm" : "gru") << ": " << 100 * worst << "% of the budget";
  }
}

// Rnn::forward_into's pre0 (Note [Shared input columns] in engine/deepar/paths.cpp): layer 0
// on the first Fp input columns, with the other columns' projection x[:, Fp:] W0[:, Fp:]^T
// given per group of `rep` rows, equals the network on every column, when each group's rows
// share those columns. In double: the two differ only in the order of the sums.
TEST(RnnPreActivation, SharedColumnsProjectedOnceEqualTheFullInputs) {
  for (CellType cell : {CellType::Lstm, CellType::Gru}) {
    const int64_t F = 7, Fp = 3, Hd = 5, T = 4, rep = 3, n_groups = 4, B = rep * n_groups;
    Rnn<double> full(RnnConfig{cell, F, Hd, 2, 0.0f}), part(RnnConfig{cell, Fp, Hd, 2, 0.0f});
    const int64_t GH = full.config().n_gates() * Hd;
    std::vector<double> w(full.n_params()), wp(part.n_params());
    full.init_uniform(w.data(), 21);
    rnn_cut_inputs(full.config(), w.data(), Fp, wp.data());  // the same weights, layer 0's W cut to Fp columns
    std::mt19937_64 rng(5);
    std::vector<double> x = random_vec(T * B * F, rng), h0 = random_vec(2 * B * Hd, rng),
                        c0 = random_vec(2 * B * Hd, rng), shared = random_vec(n_groups * (F - Fp), rng);
    // Columns Fp.. are the group's at every step; the pre-activations those columns give.
    for (int64_t r = 0; r < T * B; ++r)
      for (int64_t k = Fp; k < F; ++k) x[r * F + k] = shared[((r % B) / rep) * (F - Fp) + k - Fp];
    std::vector<double> xp(T * B * Fp), pre(n_groups * GH, 0.0);
    for (int64_t r = 0; r < T * B; ++r)
      for (int64_t k = 0; k < Fp; ++k) xp[r * Fp + k] = x[r * F + k];
    const double* w0 = full.layer(w.data(), 0).w;
    for (int64_t g = 0; g < n_groups; ++g)
      for (int64_t j = 0; j < GH; ++j)
        for (int64_t k = Fp; k < F; ++k) pre[g * GH + j] += shared[g * (F - Fp) + k - Fp] * w0[j * F + k];
    const bool lstm = cell == CellType::Lstm;
    auto ref = full.forward(w.data(), x.data(), T, B, h0.data(), lstm ? c0.data() : nullptr, Phase::Inference, 0);
    RnnContext<double> got;
    part.forward_into(got, wp.data(), xp.data(), T, B, h0.data(), lstm ? c0.data() : nullptr, Phase::Inference, 0,
                      pre.data(), rep);
    for (int64_t i = 0; i < T * B * Hd; ++i) ASSERT_NEAR(got.y()[i], ref->y()[i], 1e-12) << i;
    for (int64_t i = 0; i < 2 * B * Hd; ++i) ASSERT_NEAR(got.h_n()[i], ref->h_n()[i], 1e-12) << i;
    if (lstm) {
      for (int64_t i = 0; i < 2 * B * Hd; ++i) ASSERT_NEAR(got.c_n()[i], ref->c_n()[i], 1e-12) << i;
    }
    // A batch that is not a multiple of the repeat is refused.
    EXPECT_THROW(part.forward_into(got, wp.data(), xp.data(), 1, B - 1, nullptr, nullptr, Phase::Inference, 0,
                                   pre.data(), rep),
                 skucast::InputError);
  }
}

// Note [Per-window input columns] in engine/deepar/step.cpp: columns Fp.. the same at every step
// of a window, read through pre0 (repeat 1) by the network cut to Fp inputs with x's full row
// stride; its weight gradient (rnn_uncut_inputs plus dpre0^T x for the cut columns) and the
// cut columns' input gradient (dpre0 W, summed over the steps) equal the full network's.
TEST(RnnPreActivation, PerWindowColumnsGiveTheFullGradients) {
  for (CellType cell : {CellType::Lstm, CellType::Gru}) {
    const int64_t F = 7, Fp = 3, Hd = 5, T = 4, B = 6;
    const RnnConfig cfg{cell, F, Hd, 2, 0.25f};
    Rnn<double> full(cfg), part(rnn_cut_config(cfg, Fp));
    const int64_t GH = cfg.n_gates() * Hd;
    std::vector<double> w(full.n_params()), wp(part.n_params());
    full.init_uniform(w.data(), 23);
    rnn_cut_inputs(cfg, w.data(), Fp, wp.data());
    std::mt19937_64 rng(6);
    std::vector<double> x = random_vec(T * B * F, rng), gy = random_vec(T * B * Hd, rng),
                        ghn = random_vec(2 * B * Hd, rng), gcn = random_vec(2 * B * Hd, rng);
    for (int64_t t = 1; t < T; ++t)  // columns Fp.. the window's own at every step
      for (int64_t b = 0; b < B; ++b)
        for (int64_t k = Fp; k < F; ++k) x[(t * B + b) * F + k] = x[b * F + k];
    const bool lstm = cell == CellType::Lstm;
    auto ref = full.forward(w.data(), x.data(), T, B, nullptr, nullptr, Phase::Training, 9);
    std::vector<double> gw(full.n_params()), dx(T * B * F, 0.0);
    full.backward(*ref, w.data(), gy.data(), ghn.data(), lstm ? gcn.data() : nullptr, dx.data(), nullptr, nullptr,
                  gw.data(), GradMode::Overwrite);

    const double* w0 = full.layer(w.data(), 0).w;  // [GH, F]
    std::vector<double> pre(B * GH, 0.0), dpre(B * GH), gp(part.n_params());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < GH; ++j)
        for (int64_t k = Fp; k < F; ++k) pre[b * GH + j] += x[b * F + k] * w0[j * F + k];
    RnnContext<double> ctx;
    part.forward_into(ctx, wp.data(), x.data(), T, B, nullptr, nullptr, Phase::Training, 9, pre.data(), 1, F);
    for (int64_t i = 0; i < T * B * Hd; ++i) ASSERT_NEAR(ctx.y()[i], ref->y()[i], 1e-12) << i;
    part.backward(ctx, wp.data(), gy.data(), ghn.data(), lstm ? gcn.data() : nullptr, nullptr, nullptr, nullptr,
                  gp.data(), GradMode::Overwrite, 0, dpre.data());
    std::vector<double> got(full.n_params(), 0.0);
    rnn_uncut_inputs(cfg, gp.data(), Fp, got.data());
    double* g0 = full.layer(got.data(), 0).w;
    for (int64_t j = 0; j < GH; ++j)
      for (int64_t k = Fp; k < F; ++k)
        for (int64_t b = 0; b < B; ++b) g0[j * F + k] += dpre[b * GH + j] * x[b * F + k];
    for (int64_t i = 0; i < full.n_params(); ++i) ASSERT_NEAR(got[i], gw[i], 1e-10 * (1 + std::abs(gw[i]))) << i;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = Fp; k < F; ++k) {
        double want = 0, have = 0;
        for (int64_t t = 0; t < T; ++t) want += dx[(t * B + b) * F + k];
        for (int64_t j = 0; j < GH; ++j) have += dpre[b * GH + j] * w0[j * F + k];
        ASSERT_NEAR(have, want, 1e-10 * (1 + std::abs(want))) << b << " " << k;
      }
  }
  // The cut round trip, and a cut wider than the inputs refused.
  const RnnConfig cfg{CellType::Gru, 4, 3, 2, 0.0f};
  std::vector<double> w(rnn_n_params(cfg)), cut(rnn_n_params(rnn_cut_config(cfg, 2))), back(w.size(), -1.0);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<double>(i);
  rnn_cut_inputs(cfg, w.data(), 2, cut.data());
  rnn_uncut_inputs(cfg, cut.data(), 2, back.data());
  for (size_t i = 0; i < w.size(); ++i) {
    const int64_t col = static_cast<int64_t>(i) % 4;
    const bool cut_col = static_cast<int64_t>(i) < 9 * 4 && col >= 2;  // layer 0's W [9, 4], columns 2..
    EXPECT_EQ(back[i], cut_col ? -1.0 : w[i]) << i;
  }
  EXPECT_THROW(rnn_cut_config(cfg, 5), skucast::Error);
}

TEST(RnnContextReuse, ReusedContextMatchesFreshOne) {
  for (CellType cell : {CellType::Lstm, CellType::Gru}) {
    Rnn<double> rnn(RnnConfig{cell, 3, 5, 2, 0.25f});
    std::vector<double> w(rnn.n_params());
    rnn.init_uniform(w.data(), 4);
    std::mt19937_64 rng(8);
    const auto x_big = random_vec(9 * 6 * 3, rng), x_small = random_vec(4 * 2 * 3, rng);
    const auto gy = random_vec(4 * 2 * 5, rng);
    RnnContext<double> reused;
    rnn.forward_into(reused, w.data(), x_big.data(), 9, 6, nullptr, nullptr, Phase::Training, 1);
    std::vector<double> g1(rnn.n_params()), g2(rnn.n_params()), dx1(x_small.size()), dx2(x_small.size());
    rnn.backward(reused, w.data(), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, g1.data(), GradMode::Overwrite);
    rnn.forward_into(reused, w.data(), x_small.data(), 4, 2, nullptr, nullptr, Phase::Training, 2);
    auto fresh = rnn.forward(w.data(), x_small.data(), 4, 2, nullptr, nullptr, Phase::Training, 2);
    for (int64_t i = 0; i < 4 * 2 * 5; ++i) ASSERT_EQ(reused.y()[i], fresh->y()[i]);
    rnn.backward(reused, w.data(), gy.data(), nullptr, nullptr, dx1.data(), nullptr, nullptr, g1.data(), GradMode::Overwrite);
    rnn.backward(*fresh, w.data(), gy.data(), nullptr, nullptr, dx2.data(), nullptr, nullptr, g2.data(), GradMode::Overwrite);
    EXPECT_EQ(g1, g2);
    EXPECT_EQ(dx1, dx2);
  }
}

// Note [Per-layer threading] (lstm.cpp): with several threads each owns a block of windows
// through the recurrence and a block of rows / gate rows of the big GEMMs. The finite-
// difference checks above run one thread (small batches); here a batch large enough to
// split runs with 1 and 3 threads (blocks of unequal size), with initial states, Accumulate
// and input gradients, and must agree to rounding; two runs with 3 threads bit for bit.
TEST(RnnThreads, BlocksOfWindowsMatchOneThread) {
  for (CellType cell : {CellType::Lstm, CellType::Gru}) {
    const int64_t T = 6, B = 200, F = 5, Hd = 12, L = 2, BH = B * Hd;
    Rnn<double> rnn(RnnConfig{cell, F, Hd, L, 0.0f});
    std::mt19937_64 rng(21);
    const auto w = random_vec(rnn.n_params(), rng, -0.6, 0.6), x = random_vec(T * B * F, rng);
    const auto h0 = random_vec(L * BH, rng, -0.5, 0.5), c0 = random_vec(L * BH, rng, -0.5, 0.5);
    const auto gy = random_vec(T * BH, rng), ghn = random_vec(L * BH, rng), gcn = random_vec(L * BH, rng);
    const auto g_init = random_vec(rnn.n_params(), rng);
    struct Out {
      std::vector<double> y, g, dx, dh0, dc0;
    };
    auto run = [&](int threads) {
      const int prev = omp_get_max_threads();
      omp_set_num_threads(threads);
      Out o;
      auto ctx = rnn.forward(w.data(), x.data(), T, B, h0.data(), c0.data(), Phase::Training, 0);
      o.y.assign(ctx->y(), ctx->y() + T * BH);
      o.g = g_init;
      o.dx.resize(T * B * F);
      o.dh0.resize(L * BH);
      o.dc0.resize(L * BH);
      rnn.backward(*ctx, w.data(), gy.data(), ghn.data(), gcn.data(), o.dx.data(), o.dh0.data(), o.dc0.data(),
                   o.g.data(), GradMode::Accumulate);
      omp_set_num_threads(prev);
      return o;
    };
    const Out one = run(1), three = run(3), again = run(3);
    const char* name = cell == CellType::Lstm ? "lstm" : "gru";
    auto near = [&](const std::vector<double>& ref, const std::vector<double>& got, const char* what) {
      ASSERT_EQ(ref.size(), got.size());
      for (size_t i = 0; i < ref.size(); ++i)
        ASSERT_NEAR(got[i], ref[i], 1e-12 + 1e-12 * std::fabs(ref[i])) << name << " " << what << " index " << i;
    };
    near(one.y, three.y, "y");
    near(one.g, three.g, "dweights");
    near(one.dx, three.dx, "dx");
    near(one.dh0, three.dh0, "dh0");
    if (cell == CellType::Lstm) near(one.dc0, three.dc0, "dc0");
    EXPECT_EQ(three.y, again.y) << name;
    EXPECT_EQ(three.g, again.g) << name;
    EXPECT_EQ(three.dx, again.dx) << name;
  }
}

TEST(Activations, FloatTanhWithinFewUlp) {
  double worst = 0;
  for (int i = -200000; i <= 200000; ++i) {
    const float x = static_cast<float>(i) * 1e-4f;  // -20 .. 20
    const double ref = std::tanh(static_cast<double>(x));
    const double err = std::fabs(tanh_act(x) - ref) / std::max(std::fabs(ref), 1e-30);
    worst = std::max(worst, err);
  }
  std::printf("[activations] float tanh max rel error %.3g\n", worst);
  EXPECT_LT(worst, 4e-7);  // about 3 ulp of float
  EXPECT_EQ(tanh_act(100.0f), 1.0f);
  EXPECT_EQ(tanh_act(-100.0f), -1.0f);
  EXPECT_EQ(tanh_act(0.0f), 0.0f);
}

// Note [Vectorizable float exp] (activations.h): exp_act within 2 ulp on its range, finite
// and positive beyond it; sigmoid_act within a few ulp of the double reference.
TEST(Activations, FloatExpAndSigmoidWithinFewUlp) {
  double worst_exp = 0, worst_sig = 0;
  for (int i = -870000; i <= 880000; ++i) {
    const float x = static_cast<float>(i) * 1e-4f;  // -87 .. 88
    const double e = std::exp(static_cast<double>(x));
    worst_exp = std::max(worst_exp, std::fabs(exp_act(x) - e) / e);
    const double s = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
    worst_sig = std::max(worst_sig, std::fabs(sigmoid_act(x) - s) / s);
  }
  std::printf("[activations] float exp max rel error %.3g, sigmoid %.3g\n", worst_exp, worst_sig);
  EXPECT_LT(worst_exp, 1.2e-7);  // 2 ulp
  EXPECT_LT(worst_sig, 4e-7);
  for (float x : {-1000.0f, -100.0f, 100.0f, 1000.0f}) EXPECT_TRUE(std::isfinite(exp_act(x)) && exp_act(x) > 0) << x;
  EXPECT_EQ(sigmoid_act(200.0f), 1.0f);
  EXPECT_LT(sigmoid_act(-200.0f), 1e-37f);
}

TEST(RnnConfigTest, RejectsBadSizes) {
  EXPECT_THROW(Rnn<float>(RnnConfig{CellType::Lstm, 0, 4, 1, 0.0f}), skucast::InputError);
  EXPECT_THROW(Rnn<float>(RnnConfig{CellType::Gru, 3, 4, 1, 1.0f}), skucast::InputError);
  // Layout: LSTM F=3, Hd=4, L=2 -> layer 0: 16*3 + 16*4 + 32 = 144; layer 1: 16*4 + 16*4 + 32 = 160.
  EXPECT_EQ(rnn_n_params(RnnConfig{CellType::Lstm, 3, 4, 2, 0.0f}), 304);
  EXPECT_EQ(rnn_layer_offset(RnnConfig{CellType::Gru, 3, 4, 2, 0.0f}, 1), 12 * 3 + 12 * 4 + 24);
}

}  // namespace

// tests/deepar/test_deepar_kernels.cpp — the CPU twins of the DeepAR training step's engine
// kernels (engine/deepar/kernels.h) against values computed by hand (each case's arithmetic
// is in its comments), the host lists of their arguments (embedding_columns,
// embedding_segments), and the device-order embedding gradient against the CPU trainer's
// embedding_backward (Note [Embedding gradient order]). The CUDA launchers are checked
// against these twins in tests/gpu/test_deepar_kernel_parity.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "engine/deepar/internal.h"
#include "engine/deepar/kernels.h"
#include "engine/deepar/sample.h"

using namespace skucast;
using namespace skucast::deepar;

namespace {

constexpr float kUntouched = -7.0f;  // what a kernel must leave alone

// A layout with two static attributes and nothing else that the kernels read:
//   attribute 0: K = 2 levels, width 2, input columns 2..3, weights 10..13 ([K, d] row-major);
//   attribute 1: K = 3 levels, width 1, input column 4,     weights 14..16.
// F = 5 (columns 0..1 stand for the base and covariate columns), n_params = 17.
Layout two_attr_layout() {
  Layout l;
  l.n_base = 1;
  l.n_dyn = 1;
  l.n_features = 5;
  l.emb_k = {2, 3};
  l.emb_dim = {2, 1};
  l.emb_col = {2, 4};
  l.emb_off = {10, 14};
  l.n_params = 17;
  return l;
}

}  // namespace

TEST(DeepArKernels, EmbeddingColumnsFollowTheLayout) {
  const std::vector<EmbeddingColumn> c = embedding_columns(two_attr_layout());
  ASSERT_EQ(c.size(), 3u);  // widths 2 + 1
  // Column j = 0, 1: attribute 0, element k = j: w_offset = 10 + k, d = 2, K = 2.
  EXPECT_EQ(c[0].w_offset, 10);
  EXPECT_EQ(c[1].w_offset, 11);
  EXPECT_EQ(c[1].dim, 2);
  EXPECT_EQ(c[1].n_levels, 2);
  EXPECT_EQ(c[1].attr, 0);
  // Column j = 2: attribute 1, k = 0: w_offset 14, d = 1, K = 3.
  EXPECT_EQ(c[2].w_offset, 14);
  EXPECT_EQ(c[2].dim, 1);
  EXPECT_EQ(c[2].n_levels, 3);
  EXPECT_EQ(c[2].attr, 1);
  const std::vector<EmbeddingAttr> a = embedding_attrs(two_attr_layout());
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].w_offset, 14);
  EXPECT_EQ(a[1].dim, 1);
  EXPECT_EQ(a[1].col, 4);
}

TEST(DeepArKernels, EmbeddingFwdReadsTheCodesRow) {
  const Layout l = two_attr_layout();
  const std::vector<EmbeddingColumn> cols = embedding_columns(l);
  std::vector<float> w(17, 0.0f);
  const float t0[4] = {1, 2, 3, 4};  // attribute 0's table [2, 2]: row 0 = (1, 2), row 1 = (3, 4)
  const float t1[3] = {7, 8, 9};     // attribute 1's table [3, 1]: rows 7, 8, 9
  std::copy(t0, t0 + 4, w.begin() + 10);
  std::copy(t1, t1 + 3, w.begin() + 14);
  // B = 2 windows, T = 2 steps (rows r = t*B + b: 0 = (0,0), 1 = (0,1), 2 = (1,0), 3 = (1,1)).
  // codes [A, B]: attribute 0 = {1, 5} (5 >= K: reads 0), attribute 1 = {0, 2}.
  const int32_t codes[4] = {1, 5, 0, 2};
  std::vector<float> x(4 * 5, kUntouched);
  embedding_fwd_cpu(cols.data(), 3, 2, codes, w.data(), x.data(), 4, 2, 5);
  // Window 0 (rows 0, 2): attribute 0 row 1 = (3, 4), attribute 1 row 0 = 7.
  // Window 1 (rows 1, 3): attribute 0 code 5 -> (0, 0), attribute 1 row 2 = 9.
  const std::vector<float> want = {kUntouched, kUntouched, 3, 4, 7,   // r = 0
                                   kUntouched, kUntouched, 0, 0, 9,   // r = 1
                                   kUntouched, kUntouched, 3, 4, 7,   // r = 2
                                   kUntouched, kUntouched, 0, 0, 9};  // r = 3
  EXPECT_EQ(x, want);
}

TEST(DeepArKernels, LossRowSumIsTheTotal) {
  const float loss[3] = {0.5f, 1.25f, -0.25f};
  double out = -1;
  loss_row_sum_cpu(loss, 3, &out);
  EXPECT_EQ(out, 1.5);  // 0.5 + 1.25 - 0.25
  loss_row_sum_cpu(loss, 0, &out);
  EXPECT_EQ(out, 0.0);  // no rows
}

TEST(DeepArKernels, ComposeTailCopiesBaseAndCovariates) {
  // n_base = 1, n_dyn = 2 covariates over S = 2 series and n_cov = 3 steps, F = 4 (column 3
  // stands for an embedding column: untouched). B = 2, T = 2.
  const float base[4] = {10, 11, 12, 13};  // [T*B, 1]
  const float dyn[12] = {0.1f, 0.2f, 0.3f,   // covariate 0, series 0, steps 0..2
                         1.1f, 1.2f, 1.3f,   // covariate 0, series 1
                         2.1f, 2.2f, 2.3f,   // covariate 1, series 0
                         3.1f, 3.2f, 3.3f};  // covariate 1, series 1
  const int64_t series[2] = {1, 0}, t0[2] = {-1, 2};
  std::vector<float> x(4 * 4, kUntouched);
  const DynColumn cols[2] = {{DynKind::Value, 0, 0}, {DynKind::Value, 1, 0}};
  compose_tail_cpu(base, 1, dyn, nullptr, cols, 2, 2, 3, series, t0, 2, 2, x.data(), 4);
  // r = 0 (t 0, window 0): series 1, tau = -1 + 0 = -1 < 0 -> both covariates 0.
  // r = 1 (t 0, window 1): series 0, tau = 2 + 0 = 2 -> 0.3, 2.3.
  // r = 2 (t 1, window 0): series 1, tau = -1 + 1 = 0 -> 1.1, 3.1.
  // r = 3 (t 1, window 1): series 0, tau = 3 >= n_cov: the last step, 2 -> 0.3, 2.3.
  const std::vector<float> want = {10, 0, 0, kUntouched,        //
                                   11, 0.3f, 2.3f, kUntouched,  //
                                   12, 1.1f, 3.1f, kUntouched,  //
                                   13, 0.3f, 2.3f, kUntouched};
  EXPECT_EQ(x, want);
}

TEST(DeepArKernels, ComposeTailDerivedColumns) {
  // Note [Derived inputs]: covariate 0 of the test above with its lead, lag and change, and
  // one static real. S = 2, n_cov = 3, one window of series 0 from tau = 0, T = 3, no base.
  const float dyn[6] = {0.1f, 0.2f, 0.5f,   // covariate 0, series 0, steps 0..2
                        1.1f, 1.2f, 1.3f};  // series 1
  const float sreal[2] = {-0.75f, 2.5f};    // [1, S]
  const DynColumn cols[5] = {{DynKind::Value, 0, 0},
                             {DynKind::Value, 0, 1},
                             {DynKind::Value, 0, -1},
                             {DynKind::Change, 0, 0},
                             {DynKind::Static, 0, 0}};
  const int64_t series[1] = {0}, t0[1] = {0};
  std::vector<float> x(3 * 5, kUntouched);
  compose_tail_cpu(nullptr, 0, dyn, sreal, cols, 5, 2, 3, series, t0, 1, 3, x.data(), 5);
  // tau 0: value 0.1, lead 0.2, lag (before the axis) 0, change 0.1 - 0, static -0.75.
  // tau 1: 0.2, 0.5, 0.1, 0.2 - 0.1, -0.75.
  // tau 2: 0.5, lead past the axis repeats the last 0.5, 0.2, 0.5 - 0.2, -0.75.
  const std::vector<float> want = {0.1f, 0.2f, 0.0f, 0.1f,         -0.75f,  //
                                   0.2f, 0.5f, 0.1f, 0.2f - 0.1f,  -0.75f,  //
                                   0.5f, 0.5f, 0.2f, 0.5f - 0.2f,  -0.75f};
  EXPECT_EQ(x, want);
}

TEST(DeepArKernels, MaskTargetMasksTheLeadAndTheHeldOut) {
  // B = 2 windows from absolute steps 0 and 5, T = 3; mask the first step of every window
  // and every absolute step >= 6.
  const int64_t t0[2] = {0, 5};
  std::vector<float> target = {1, 2, 3, 4, 5, 6};  // [T, B]
  mask_target_cpu(t0, 2, 3, 6, 1, target.data());
  // t = 0: t < mask_first -> both masked.
  // t = 1: window 0 at step 1 kept (3); window 1 at step 6 >= 6 masked.
  // t = 2: window 0 at step 2 kept (5); window 1 at step 7 masked.
  EXPECT_TRUE(std::isnan(target[0]) && std::isnan(target[1]));
  EXPECT_EQ(target[2], 3.0f);
  EXPECT_TRUE(std::isnan(target[3]));
  EXPECT_EQ(target[4], 5.0f);
  EXPECT_TRUE(std::isnan(target[5]));
}

TEST(DeepArKernels, GatherCodesPicksTheWindowsSeries) {
  const int32_t codes[6] = {10, 11, 12,   // attribute 0 of series 0, 1, 2
                            20, 21, 22};  // attribute 1
  const int64_t series[2] = {2, 0};
  int32_t out[4] = {-1, -1, -1, -1};
  gather_codes_cpu(codes, 2, 3, series, 2, out);
  // [A, B]: attribute 0 = (series 2, series 0) = (12, 10); attribute 1 = (22, 20).
  EXPECT_EQ(std::vector<int32_t>(out, out + 4), (std::vector<int32_t>{12, 10, 22, 20}));
}

TEST(DeepArKernels, EmbeddingDxSumSumsEachWindowsSteps) {
  // T = 2, B = 2, F = 3; the embedding columns are 1..2 (col0 = 1, n_cols = 2).
  const float dx[12] = {9, 1, 2,       // t 0, window 0
                        9, 3, 4,       // t 0, window 1
                        9, 0.5f, 0.25f,  // t 1, window 0
                        9, -3, 1};     // t 1, window 1
  std::vector<float> out(2 * 3, kUntouched);
  embedding_dx_sum_cpu(dx, 2, 2, 3, 1, 2, out.data());
  // Window 0: 1 + 0.5 = 1.5, 2 + 0.25 = 2.25; window 1: 3 - 3 = 0, 4 + 1 = 5; column 0 untouched.
  EXPECT_EQ(out, (std::vector<float>{kUntouched, 1.5f, 2.25f, kUntouched, 0.0f, 5.0f}));
  // The sum is in double, rounded once: 1e8 + 1 - 1e8 is 1 (in float, 1e8 + 1 rounds back to
  // 1e8, whose ulp is 8, and the float sum would be 0).
  const float big[3] = {1e8f, 1.0f, -1e8f};  // T = 3, B = 1, F = 1
  float one = kUntouched;
  embedding_dx_sum_cpu(big, 3, 1, 1, 0, 1, &one);
  EXPECT_EQ(one, 1.0f);
}

TEST(DeepArKernels, EmbeddingBwdSumsEachRowsWindows) {
  // Attribute 0: weights 4..7 = [K 2, d 2], input columns 1..2; attribute 1: weights 8..9 =
  // [K 2, d 1], input column 0. max_dim = 2 (attribute 1's element k = 1 does not exist).
  const EmbeddingAttr attrs[2] = {{4, 2, 1}, {8, 1, 0}};
  const float dx_sum[9] = {7, 1, 2,       // window 0 [B 3, F 3]
                           8, 10, 20,     // window 1
                           9, 100, 200};  // window 2
  // Segments: attribute 0 row 0 <- window 1; attribute 0 row 1 <- windows 0, 2;
  // attribute 1 row 0 <- window 2.
  const EmbeddingSegment segs[3] = {{0, 0, 0, 1}, {0, 1, 1, 3}, {1, 0, 3, 4}};
  const int32_t win[4] = {1, 0, 2, 2};
  std::vector<float> grad(10, kUntouched);
  embedding_bwd_cpu(segs, 3, 2, win, attrs, dx_sum, 3, grad.data());
  // grad[4 + 0*2 + k] = dx_sum[1, 1 + k] = 10, 20.
  // grad[4 + 1*2 + k] = dx_sum[0, 1 + k] + dx_sum[2, 1 + k] = 1 + 100, 2 + 200 = 101, 202.
  // grad[8 + 0] = dx_sum[2, 0] = 9; grad[9] (attribute 1 row 1) untouched, as grad[0..3].
  const std::vector<float> want = {kUntouched, kUntouched, kUntouched, kUntouched, 10, 20, 101, 202, 9, kUntouched};
  EXPECT_EQ(grad, want);
}

TEST(DeepArKernels, HeadFirstTakesColumnZero) {
  const float head[6] = {1, 2, 3, 4, 5, 6};  // [3 rows, P 2]
  float out[3] = {0, 0, 0};
  head_first_cpu(head, 2, 3, out);
  EXPECT_EQ(std::vector<float>(out, out + 3), (std::vector<float>{1, 3, 5}));  // head[r * 2]
}

TEST(DeepArKernels, EmbeddingSegmentsListRowsByCodeThenWindow) {
  const Layout l = two_attr_layout();
  // S = 4 series: attribute 0 codes {1, 0, 1, -1}, attribute 1 codes {2, 2, 3, 0} (3 >= K).
  const std::vector<int32_t> c0 = {1, 0, 1, -1}, c1 = {2, 2, 3, 0};
  const std::vector<const int32_t*> codes = {c0.data(), c1.data()};
  const int64_t series[5] = {0, 2, 1, 3, 0};  // B = 5 windows
  std::vector<std::pair<int32_t, int32_t>> scratch;
  EmbeddingSegment segs[10];
  int32_t win[10];
  const int n = embedding_segments(l, codes, series, 5, scratch, segs, win);
  // Attribute 0: window codes {1, 1, 0, -1, 1} -> row 0 <- window 2; row 1 <- windows 0, 1, 4
  //   (window 3's code -1 touches no row).
  // Attribute 1: window codes {2, 3, 2, 0, 2} -> row 0 <- window 3; row 2 <- windows 0, 2, 4
  //   (window 1's code 3 >= K touches no row).
  ASSERT_EQ(n, 4);
  const int32_t want_seg[4][4] = {{0, 0, 0, 1}, {0, 1, 1, 4}, {1, 0, 4, 5}, {1, 2, 5, 8}};
  for (int u = 0; u < 4; ++u) {
    EXPECT_EQ(segs[u].attr, want_seg[u][0]) << u;
    EXPECT_EQ(segs[u].code, want_seg[u][1]) << u;
    EXPECT_EQ(segs[u].begin, want_seg[u][2]) << u;
    EXPECT_EQ(segs[u].end, want_seg[u][3]) << u;
  }
  EXPECT_EQ(std::vector<int32_t>(win, win + 8), (std::vector<int32_t>{2, 0, 1, 4, 3, 0, 2, 4}));
}

// The device-order gradient (embedding_dx_sum_cpu then embedding_bwd_cpu, the twins of the
// GPU step's kernels) against the CPU trainer's embedding_backward (serial float sums): the
// same terms in another order and precision (Note [Embedding gradient order]). Each table
// row sums ~B/K windows x T steps = ~150 terms of N(0, 1); a float running sum of them is off
// by at most ~150 half-ulps of the partial sums (~1e-4 at |partial| ~ 20), in practice by
// under 2e-5 (the worst of 2,000 such rows simulated): atol 1e-4, rtol 1e-5.
TEST(DeepArKernels, DeviceOrderGradientMatchesEmbeddingBackward) {
  Layout l = two_attr_layout();
  l.emb_k = {5, 3};
  l.emb_dim = {3, 2};
  l.emb_col = {2, 5};
  l.emb_off = {10, 25};
  l.n_features = 7;
  l.n_params = 31;
  const int64_t S = 40, B = 64, T = 12, F = l.n_features;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> code0(-1, 5), code1(0, 3);  // some codes outside [0, K)
  std::vector<int32_t> c0(S), c1(S);
  for (int64_t s = 0; s < S; ++s) c0[s] = code0(rng), c1[s] = code1(rng);
  PanelData d;
  d.n_series = S;
  d.codes = {c0.data(), c1.data()};
  std::vector<int64_t> series(B);
  std::uniform_int_distribution<int64_t> us(0, S - 1);
  for (auto& s : series) s = us(rng);
  std::normal_distribution<float> N(0.0f, 1.0f);
  std::vector<float> dx(T * B * F);
  for (auto& v : dx) v = N(rng);

  std::vector<float> ref(l.n_params, 0.0f);
  embedding_backward(d, l, series.data(), B, T, dx.data(), ref.data());

  std::vector<float> dx_sum(B * F, 0.0f), got(l.n_params, 0.0f);
  embedding_dx_sum_cpu(dx.data(), T, B, F, 2, 5, dx_sum.data());
  const std::vector<EmbeddingAttr> attrs = embedding_attrs(l);
  std::vector<EmbeddingSegment> segs(2 * B);
  std::vector<int32_t> win(2 * B);
  std::vector<std::pair<int32_t, int32_t>> scratch;
  const int n = embedding_segments(l, d.codes, series.data(), B, scratch, segs.data(), win.data());
  embedding_bwd_cpu(segs.data(), n, 3, win.data(), attrs.data(), dx_sum.data(), F, got.data());
  int64_t nonzero = 0;
  for (int64_t i = 0; i < l.n_params; ++i) {
    nonzero += ref[i] != 0.0f;
    EXPECT_NEAR(got[i], ref[i], 1e-4 + 1e-5 * std::fabs(ref[i])) << "weight " << i;
  }
  EXPECT_GT(nonzero, 15);  // most rows are touched
}

// ------------------------------------------------------------- sampling draws ----
// The Student-t draw of engine/deepar/sample.h (normal / sqrt(chi-square / df)) against the
// t distribution's quantiles: df = 3 (raw2 = log(e - 1)), mu = nu * raw0, sigma = nu * sp(raw1).
TEST(DeepArDraws, StudentTDrawsFollowTheTDistribution) {
  const double nu = 2.0, sp1 = 0.5;
  const float raw[3] = {1.0f, static_cast<float>(std::log(std::expm1(sp1))), static_cast<float>(std::log(std::expm1(1.0)))};
  const double mu = nu * raw[0], sigma = nu * (sp1 + 1e-6);
  constexpr int kN = 200000;
  std::vector<double> v(kN);
  for (int i = 0; i < kN; ++i) {
    PathDraws r(path_draw_key(7, 0, i, 0));
    v[i] = draw_value(Likelihood::StudentT, 1.5, raw, nu, 1.0, r);
  }
  std::sort(v.begin(), v.end());
  // t_3 quantiles: 0.5 -> 0, 0.9 -> 1.637744, 0.99 -> 4.540703 (standard tables).
  EXPECT_NEAR((v[kN / 2] - mu) / sigma, 0.0, 0.01);
  EXPECT_NEAR((v[kN * 9 / 10] - mu) / sigma, 1.637744, 0.03);
  EXPECT_NEAR((v[kN * 99 / 100] - mu) / sigma, 4.540703, 0.15);
}

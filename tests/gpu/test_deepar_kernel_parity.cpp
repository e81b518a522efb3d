// tests/gpu/test_deepar_kernel_parity.cpp — the engine kernels of the DeepAR GPU training step
// (engine/deepar/cuda/train_kernels.h) against their CPU twins (engine/deepar/kernels.h), in
// one table-driven harness (STYLE T12, T1, T3): one row per op, each run on seeded inputs for
// batch sizes 1, 2, 257 and 10,000. Adding a kernel adds one row to kOps.
//
// Every row starts the CPU and the device output from the same buffer: a finite sentinel
// where the op must not write (it has to survive), NaN where the op must write everything
// (an unwritten element fails), and compares the whole buffer.
// Tolerances (the table's atol, rtol):
//   - copies and masks (embedding_fwd, compose_tail, mask_target, gather_codes, head_first):
//     exact;
//   - embedding_dx_sum, embedding_bwd: exact — both sides run the same double sums in the
//     same order (engine/deepar/kernels_math.h) and round once; additions only, so no FMA
//     contraction;
//   - loss_row_sum: the twin adds in index order, the device as a tree (kernels/cuda/reduce.cuh);
//     positive terms in double: rtol 1e-12 (T1's fp64 default; the order changes the sum
//     by ~sqrt(n) ulp, ~1e-14 relative here).
// The order in which the GPU step sums the embedding gradient is not the CPU trainer's:
// tests/deepar/test_deepar_kernels.cpp compares the twins with embedding_backward.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/deepar/cuda/train_kernels.h"
#include "engine/deepar/internal.h"
#include "engine/deepar/kernels.h"
#include "kernels/device_buffer.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using namespace skucast::deepar;
using skucast::test::kNaNf;

namespace {

constexpr float kUntouched = -7.0f;  // where an op must not write

// Seeded inputs of one batch size, shared by every row. The layout has three static
// attributes (K = 4, 1, 9 levels; widths 3, 1, 5) after n_base = 6 base columns and
// n_dyn = 2 covariates: F = 17, embedding columns 8..16.
struct Problem {
  int64_t B = 0, T = 0, S = 23, n_cov = 0, P = 3;
  Layout l;
  std::vector<EmbeddingColumn> cols;
  std::vector<EmbeddingAttr> attrs;
  int max_dim = 0;
  std::vector<int64_t> series, t0;     // [B]
  std::vector<int32_t> codes_s;        // [A, S], some outside [0, K)
  std::vector<int32_t> codes_b;        // [A, B] the windows' codes (gather_codes_cpu)
  std::vector<float> w;                // [n_params]
  std::vector<float> base;             // [T*B, n_base]
  std::vector<float> dyn;              // [n_slabs, S, n_cov]
  std::vector<float> sreal;            // [n_sreal, S]
  std::vector<float> target;           // [T, B] with NaN holes
  std::vector<float> dx;               // [T, B, F]
  std::vector<float> dx_sum;           // [B, F] embedding columns summed (embedding_dx_sum_cpu)
  std::vector<EmbeddingSegment> segs;  // the rows the batch touches (embedding_segments)
  std::vector<int32_t> win;
  std::vector<float> loss;             // [T*B] positive
  std::vector<float> head;             // [T*B, P]
  int64_t mask_from = 0, mask_first = 0;

  int64_t rows() const { return T * B; }
  int64_t F() const { return l.n_features; }
  int64_t col0() const { return l.n_base + l.n_dyn; }
  int64_t n_attr() const { return static_cast<int64_t>(l.emb_k.size()); }
};

Problem make_problem(int64_t B) {
  Problem p;
  p.B = B;
  p.T = B >= 10000 ? 4 : 30;  // 10,000 windows of 4 steps; 30 steps where it is cheap
  p.n_cov = 40;
  Layout& l = p.l;
  l.n_base = 6;
  // Two per-series columns of other kinds than a plain value (Note [Derived inputs]): covariate
  // 1's change from a step ahead, and static real 0.
  l.n_slabs = 2;
  l.n_sreal = 1;
  l.dyn_cols = {{DynKind::Change, 1, 1}, {DynKind::Static, 0, 0}};
  l.n_dyn = 2;
  l.emb_k = {4, 1, 9};
  l.emb_dim = {3, 1, 5};
  l.emb_col = {8, 11, 12};
  l.emb_off = {50, 62, 63};  // weights 0..49 stand for the network's
  l.n_features = 17;
  l.n_params = 63 + 9 * 5;
  p.cols = embedding_columns(l);
  p.attrs = embedding_attrs(l);
  p.max_dim = 5;

  std::mt19937 rng(static_cast<uint32_t>(1000 + B));
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  std::uniform_int_distribution<int64_t> us(0, p.S - 1), ut(-10, p.n_cov + 5);  // before and past the covariates
  auto fill = [&](std::vector<float>& v, int64_t n) {
    v.resize(static_cast<size_t>(n));
    for (float& x : v) x = U(rng);
  };
  p.series.resize(B);
  p.t0.resize(B);
  for (int64_t b = 0; b < B; ++b) p.series[b] = us(rng), p.t0[b] = ut(rng);
  p.codes_s.resize(p.n_attr() * p.S);
  for (int64_t a = 0; a < p.n_attr(); ++a) {
    std::uniform_int_distribution<int32_t> uc(-1, static_cast<int32_t>(l.emb_k[a]));  // -1 and K: unknown levels
    for (int64_t s = 0; s < p.S; ++s) p.codes_s[a * p.S + s] = uc(rng);
  }
  p.codes_b.resize(p.n_attr() * B);
  gather_codes_cpu(p.codes_s.data(), p.n_attr(), p.S, p.series.data(), B, p.codes_b.data());
  fill(p.w, l.n_params);
  fill(p.base, p.rows() * l.n_base);
  fill(p.dyn, l.n_slabs * p.S * p.n_cov);
  fill(p.sreal, l.n_sreal * p.S);
  fill(p.target, p.rows());
  for (int64_t i = 0; i < p.rows(); i += 7) p.target[i] = kNaNf;
  fill(p.dx, p.rows() * p.F());
  p.dx_sum.assign(B * p.F(), kUntouched);
  embedding_dx_sum_cpu(p.dx.data(), p.T, B, p.F(), p.col0(), p.F() - p.col0(), p.dx_sum.data());
  std::vector<const int32_t*> codes;
  for (int64_t a = 0; a < p.n_attr(); ++a) codes.push_back(p.codes_s.data() + a * p.S);
  p.segs.resize(p.n_attr() * B);
  p.win.resize(p.n_attr() * B);
  std::vector<std::pair<int32_t, int32_t>> scratch;
  p.segs.resize(embedding_segments(l, codes, p.series.data(), B, scratch, p.segs.data(), p.win.data()));
  p.win.resize(p.segs.empty() ? 0 : p.segs.back().end);
  fill(p.loss, p.rows());
  for (float& x : p.loss) x = 1.5f + x;  // positive, as most losses: no cancellation in the sum
  fill(p.head, p.rows() * p.P);
  p.mask_from = p.n_cov - 8;
  p.mask_first = 3;
  return p;
}

// What one row returns: the CPU twin's output and the device's, as doubles.
struct Outputs {
  std::vector<double> ref, got;
};

template <class T>
std::vector<double> as_double(const std::vector<T>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// Waits for the launcher queued on the legacy stream, then downloads its output.
template <class T>
std::vector<double> finish(const DeviceBuffer<T>& out) {
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  return as_double(out.download());
}

// ---------------------------------------------------------------- rows ----
Outputs run_embedding_fwd(const Problem& p) {
  std::vector<float> x(p.rows() * p.F(), kUntouched);  // the other columns must survive
  DeviceBuffer<float> d_x(x);
  embedding_fwd_cpu(p.cols.data(), static_cast<int>(p.cols.size()), p.col0(), p.codes_b.data(), p.w.data(), x.data(),
                    p.rows(), p.B, p.F());
  DeviceBuffer<EmbeddingColumn> d_cols(p.cols);
  DeviceBuffer<int32_t> d_codes(p.codes_b);
  DeviceBuffer<float> d_w(p.w);
  embedding_fwd(d_cols.data(), static_cast<int>(p.cols.size()), p.col0(), d_codes.data(), d_w.data(), d_x.data(),
                p.rows(), p.B, p.F(), nullptr);
  return {as_double(x), finish(d_x)};
}

Outputs run_loss_row_sum(const Problem& p) {
  double ref = 0;
  loss_row_sum_cpu(p.loss.data(), p.rows(), &ref);
  DeviceBuffer<float> d_loss(p.loss);
  DeviceBuffer<double> d_out(std::vector<double>{kNaNf});
  loss_row_sum(d_loss.data(), p.rows(), d_out.data(), nullptr);
  return {{ref}, finish(d_out)};
}

Outputs run_compose_tail(const Problem& p) {
  std::vector<float> x(p.rows() * p.F(), kUntouched);  // the embedding columns must survive
  for (int64_t r = 0; r < p.rows(); ++r)
    for (int64_t c = 0; c < p.col0(); ++c) x[r * p.F() + c] = kNaNf;  // every other one written
  DeviceBuffer<float> d_x(x);
  compose_tail_cpu(p.base.data(), p.l.n_base, p.dyn.data(), p.sreal.data(), p.l.dyn_cols.data(), p.l.n_dyn, p.S,
                   p.n_cov, p.series.data(), p.t0.data(), p.B, p.T, x.data(), p.F());
  DeviceBuffer<float> d_base(p.base), d_dyn(p.dyn), d_sreal(p.sreal);
  DeviceBuffer<DynColumn> d_cols(p.l.dyn_cols);
  DeviceBuffer<int64_t> d_series(p.series), d_t0(p.t0);
  compose_tail(d_base.data(), p.l.n_base, d_dyn.data(), d_sreal.data(), d_cols.data(), p.l.n_dyn, p.S, p.n_cov,
               d_series.data(), d_t0.data(), p.B, p.T, d_x.data(), p.F(), nullptr);
  return {as_double(x), finish(d_x)};
}

Outputs run_mask_target(const Problem& p) {
  std::vector<float> target = p.target;
  DeviceBuffer<float> d_target(target);
  mask_target_cpu(p.t0.data(), p.B, p.T, p.mask_from, p.mask_first, target.data());
  DeviceBuffer<int64_t> d_t0(p.t0);
  mask_target(d_t0.data(), p.B, p.T, p.mask_from, p.mask_first, d_target.data(), nullptr);
  return {as_double(target), finish(d_target)};
}

Outputs run_gather_codes(const Problem& p) {
  std::vector<int32_t> out(p.n_attr() * p.B, -99);
  gather_codes_cpu(p.codes_s.data(), p.n_attr(), p.S, p.series.data(), p.B, out.data());
  DeviceBuffer<int32_t> d_codes(p.codes_s), d_out(std::vector<int32_t>(out.size(), -99));
  DeviceBuffer<int64_t> d_series(p.series);
  gather_codes(d_codes.data(), p.n_attr(), p.S, d_series.data(), p.B, d_out.data(), nullptr);
  return {as_double(out), finish(d_out)};
}

Outputs run_embedding_dx_sum(const Problem& p) {
  std::vector<float> out(p.B * p.F(), kUntouched);  // the base and covariate columns must survive
  DeviceBuffer<float> d_out(out);
  embedding_dx_sum_cpu(p.dx.data(), p.T, p.B, p.F(), p.col0(), p.F() - p.col0(), out.data());
  DeviceBuffer<float> d_dx(p.dx);
  embedding_dx_sum(d_dx.data(), p.T, p.B, p.F(), p.col0(), p.F() - p.col0(), d_out.data(), nullptr);
  return {as_double(out), finish(d_out)};
}

Outputs run_embedding_bwd(const Problem& p) {
  std::vector<float> grad(p.l.n_params, kUntouched);  // rows no segment names must survive
  DeviceBuffer<float> d_grad(grad);
  const int n_segs = static_cast<int>(p.segs.size());
  embedding_bwd_cpu(p.segs.data(), n_segs, p.max_dim, p.win.data(), p.attrs.data(), p.dx_sum.data(), p.F(),
                    grad.data());
  DeviceBuffer<EmbeddingSegment> d_segs(p.segs);
  DeviceBuffer<int32_t> d_win(p.win);
  DeviceBuffer<EmbeddingAttr> d_attrs(p.attrs);
  DeviceBuffer<float> d_dx_sum(p.dx_sum);
  embedding_bwd(d_segs.data(), n_segs, p.max_dim, d_win.data(), d_attrs.data(), d_dx_sum.data(), p.F(),
                d_grad.data(), nullptr);
  return {as_double(grad), finish(d_grad)};
}

Outputs run_head_first(const Problem& p) {
  std::vector<float> out(p.rows(), kNaNf);
  head_first_cpu(p.head.data(), p.P, p.rows(), out.data());
  DeviceBuffer<float> d_head(p.head), d_out(std::vector<float>(out.size(), kNaNf));
  head_first(d_head.data(), p.P, p.rows(), d_out.data(), nullptr);
  return {as_double(out), finish(d_out)};
}

// ---------------------------------------------------------------- table ----
struct OpRow {
  const char* name;
  Outputs (*run)(const Problem&);
  double atol, rtol;  // see the file comment
};

const OpRow kOps[] = {
    {"embedding_fwd", run_embedding_fwd, 0.0, 0.0},
    {"loss_row_sum", run_loss_row_sum, 0.0, 1e-12},
    {"compose_tail", run_compose_tail, 0.0, 0.0},
    {"mask_target", run_mask_target, 0.0, 0.0},
    {"gather_codes", run_gather_codes, 0.0, 0.0},
    {"embedding_dx_sum", run_embedding_dx_sum, 0.0, 0.0},
    {"embedding_bwd", run_embedding_bwd, 0.0, 0.0},
    {"head_first", run_head_first, 0.0, 0.0},
};
constexpr int kNumOps = static_cast<int>(sizeof kOps / sizeof kOps[0]);

const Problem& problem(int64_t B) {  // built once per batch size
  static std::map<int64_t, Problem> cache;
  auto it = cache.find(B);
  if (it == cache.end()) it = cache.emplace(B, make_problem(B)).first;
  return it->second;
}

}  // namespace

class DeepArKernelParity : public GpuTest, public ::testing::WithParamInterface<std::tuple<int, int64_t>> {};

TEST_P(DeepArKernelParity, MatchesCpuTwin) {
  const OpRow& op = kOps[std::get<0>(GetParam())];
  const Problem& p = problem(std::get<1>(GetParam()));
  const Outputs o = op.run(p);
  EXPECT_TRUE(all_close(o.ref, o.got, op.atol, op.rtol)) << op.name << " B=" << p.B << " T=" << p.T;
}

INSTANTIATE_TEST_SUITE_P(Ops, DeepArKernelParity,
                         ::testing::Combine(::testing::Range(0, kNumOps),
                                            ::testing::Values(int64_t{1}, int64_t{2}, int64_t{257}, int64_t{10000})),
                         [](const ::testing::TestParamInfo<std::tuple<int, int64_t>>& info) {
                           return std::string(kOps[std::get<0>(info.param)].name) + "_B" +
                                  std::to_string(std::get<1>(info.param));
                         });

class DeepArKernelsGpu : public GpuTest {};

// An empty batch queues nothing (the launchers return before a zero-block grid).
TEST_F(DeepArKernelsGpu, EmptyBatchIsANoOp) {
  embedding_fwd(nullptr, 0, 0, nullptr, nullptr, nullptr, 0, 1, 1, nullptr);
  compose_tail(nullptr, 0, nullptr, nullptr, nullptr, 0, 0, 0, nullptr, nullptr, 0, 0, nullptr, 1, nullptr);
  mask_target(nullptr, 0, 0, 0, 0, nullptr, nullptr);
  gather_codes(nullptr, 0, 0, nullptr, 0, nullptr, nullptr);
  embedding_dx_sum(nullptr, 0, 0, 1, 0, 0, nullptr, nullptr);
  embedding_bwd(nullptr, 0, 0, nullptr, nullptr, nullptr, 1, nullptr, nullptr);
  head_first(nullptr, 1, 0, nullptr, nullptr);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

// tests/gpu/test_rnn_cudnn_parity.cpp — CudnnRnn (cuDNN v8 API) vs the CPU Rnn<float>
// (engine/nn/rnn.h): the same weights give the same outputs and gradients (STYLE T1, T6, T7).
//
// Tolerances (per tensor, |got - ref| <= atol + rtol |ref| with atol = a * max|ref|):
//   FP32 outputs y, h_n, c_n:  a = 1e-5, rtol 1e-4. cuDNN's GEMMs sum in another order than
//     OpenBLAS, and T steps of recurrence carry the rounding forward (CUDNN_FMA_MATH: no TF32).
//   FP32 gradients:            a = 1e-4, rtol 1e-3. dW sums T*B outer products in cuDNN's
//     order, and backward through T steps compounds the forward's rounding.
//   FP16 / BF16 (tensor ops, FP32 accumulation): relative L2 error ||got-ref|| / ||ref|| below
//     2e-2 (outputs) and 5e-2 (gradients) against the FP32 CPU reference: half precision
//     stores carry ~1e-3 (fp16) / ~8e-3 (bf16) relative error per element (STYLE T1's bf16
//     rtol 8e-2 is the element-wise bound; the norm bound is tighter and more telling).
//   Dropout (Note [cuDNN dropout]): cuDNN's masks cannot equal the CPU's, so there is no
//     Training parity. Inference never drops: vs the CPU at the FP32 output tolerance above,
//     and vs the same network with p = 0 bit for bit (same kernels, same data). Same seed,
//     first Training forward: bit for bit. "Differs" means a relative L2 difference above
//     1e-2: dropping 30% of a layer's outputs moves the next layer's by O(10%), while FP32
//     rounding between two runs is ~1e-6, so the margin is four orders of magnitude.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "engine/nn/rnn.h"
#include "engine/nn/cuda/cudnn_rnn.h"
#include "kernels/common.hpp"
#include "kernels/device.hpp"
#include "kernels/device_buffer.hpp"
#include "tests/gpu/parity_util.hpp"
#include "tests/gpu_fixture.hpp"

using namespace skucast;
using namespace skucast::nn;
using skucast::test::normal_with_nan;
using skucast::test::poison;

namespace {

struct Shape {
  CellType cell;
  int64_t F, Hd, L, T, B;
  std::string name() const {
    return std::string(cell == CellType::Lstm ? "lstm" : "gru") + " F=" + std::to_string(F) + " Hd=" +
           std::to_string(Hd) + " L=" + std::to_string(L) + " T=" + std::to_string(T) + " B=" + std::to_string(B);
  }
};

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
  return m;
}

::testing::AssertionResult close_scaled(const std::vector<float>& ref, const std::vector<float>& got, double a,
                                        double rtol) {
  return all_close(ref, got, a * std::max(max_abs(ref), 1e-30), rtol);
}

// ||got - ref|| / ||ref|| (same sizes).
double rel_l2_diff(const std::vector<float>& ref, const std::vector<float>& got) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(got[i]) - ref[i];
    num += d * d;
    den += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

::testing::AssertionResult rel_l2(const std::vector<float>& ref, const std::vector<float>& got, double bound) {
  const double r = rel_l2_diff(ref, got);
  if (r <= bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "relative L2 error " << r << " > " << bound;
}

// Bit-for-bit equality; on failure the first differing index and both values.
::testing::AssertionResult bit_equal(const std::vector<float>& ref, const std::vector<float>& got) {
  if (ref.size() != got.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != reference size " << ref.size();
  for (size_t i = 0; i < ref.size(); ++i)
    if (std::memcmp(&ref[i], &got[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "index " << i << ": ref " << ref[i] << " got " << got[i];
  return ::testing::AssertionSuccess();
}

// Relative L2 difference ||a - b|| / ||a|| above `bound`: the two clearly differ.
::testing::AssertionResult rel_l2_above(const std::vector<float>& a, const std::vector<float>& b, double bound) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "size " << b.size() << " != " << a.size();
  const double r = rel_l2_diff(a, b);
  if (r > bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "relative L2 difference " << r << " <= " << bound << " (expected to differ)";
}

bool all_finite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

// Inputs and CPU reference results of one forward + backward.
struct Reference {
  std::vector<float> w, x, h0, c0, dy, dhn, dcn;        // inputs
  std::vector<float> y, hn, cn, dx, dh0, dc0, dw;        // CPU results
};

Reference cpu_reference(const Shape& s, uint64_t seed) {
  RnnConfig cfg{s.cell, s.F, s.Hd, s.L, 0.0f};
  Rnn<float> rnn(cfg);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  Reference r;
  r.w.resize(rnn.n_params());
  rnn.init_uniform(r.w.data(), seed);
  const int64_t n_h = s.L * s.B * s.Hd;
  r.x = normal_with_nan(rng, s.T * s.B * s.F, 0.0f, 1.0f, 0.0);
  r.h0 = normal_with_nan(rng, n_h, 0.0f, 0.5f, 0.0);
  r.c0 = normal_with_nan(rng, n_h, 0.0f, 0.5f, 0.0);
  r.dy = normal_with_nan(rng, s.T * s.B * s.Hd, 0.0f, 1.0f, 0.0);
  r.dhn = normal_with_nan(rng, n_h, 0.0f, 1.0f, 0.0);
  r.dcn = normal_with_nan(rng, n_h, 0.0f, 1.0f, 0.0);
  const bool lstm = s.cell == CellType::Lstm;
  auto ctx = rnn.forward(r.w.data(), r.x.data(), s.T, s.B, r.h0.data(), lstm ? r.c0.data() : nullptr,
                         Phase::Training, 0);
  r.y.assign(ctx->y(), ctx->y() + s.T * s.B * s.Hd);
  r.hn.assign(ctx->h_n(), ctx->h_n() + n_h);
  if (lstm) r.cn.assign(ctx->c_n(), ctx->c_n() + n_h);
  r.dx.resize(r.x.size());
  r.dh0.resize(n_h);
  r.dc0.resize(n_h);
  r.dw.resize(r.w.size());
  rnn.backward(*ctx, r.w.data(), r.dy.data(), r.dhn.data(), lstm ? r.dcn.data() : nullptr, r.dx.data(),
               r.dh0.data(), lstm ? r.dc0.data() : nullptr, r.dw.data(), GradMode::Overwrite);
  return r;
}

// GPU results of the same forward + backward.
struct GpuResult {
  std::vector<float> y, hn, cn, dx, dh0, dc0, dw;
};

GpuResult gpu_run(const CudnnRnn& rnn, const Shape& s, const Reference& r, GradMode mode = GradMode::Overwrite,
                  const std::vector<float>* dw_init = nullptr) {
  const bool lstm = s.cell == CellType::Lstm;
  const int64_t n_h = s.L * s.B * s.Hd;
  DeviceBuffer<float> w(r.w), x(r.x), h0(r.h0), c0(r.c0), dy(r.dy), dhn(r.dhn), dcn(r.dcn);
  DeviceBuffer<float> dx(r.x.size()), dh0(n_h), dc0(n_h), dw(r.w.size());
  poison(dx);
  poison(dh0);
  poison(dc0);
  if (dw_init) dw.upload(*dw_init);
  else poison(dw);
  auto ctx = rnn.forward(w.data(), x.data(), s.T, s.B, nullptr, h0.data(), lstm ? c0.data() : nullptr,
                         Phase::Training, nullptr);
  rnn.backward(*ctx, w.data(), dy.data(), dhn.data(), lstm ? dcn.data() : nullptr, dx.data(), dh0.data(),
               lstm ? dc0.data() : nullptr, dw.data(), mode, nullptr);
  SKU_CUDA_CHECK(cudaDeviceSynchronize());
  GpuResult g;
  auto down = [](const float* p, int64_t n) {
    std::vector<float> v(n);
    SKU_CUDA_CHECK(cudaMemcpy(v.data(), p, n * sizeof(float), cudaMemcpyDeviceToHost));
    return v;
  };
  g.y = down(ctx->y(), s.T * s.B * s.Hd);
  g.hn = down(ctx->h_n(), n_h);
  if (lstm) g.cn = down(ctx->c_n(), n_h);
  g.dx = dx.download();
  g.dh0 = dh0.download();
  if (lstm) g.dc0 = dc0.download();
  g.dw = dw.download();
  return g;
}

// y, h_n, c_n (empty for a GRU) of one forward with the reference's inputs, on the default stream.
struct Outputs {
  std::vector<float> y, hn, cn;
};

Outputs gpu_forward(const CudnnRnn& rnn, const Shape& s, const Reference& r, Phase phase) {
  const bool lstm = s.cell == CellType::Lstm;
  const int64_t n_h = s.L * s.B * s.Hd;
  DeviceBuffer<float> w(r.w), x(r.x), h0(r.h0), c0(r.c0);
  auto ctx = rnn.forward(w.data(), x.data(), s.T, s.B, nullptr, h0.data(), lstm ? c0.data() : nullptr, phase, nullptr);
  SKU_CUDA_CHECK(cudaDeviceSynchronize());
  auto down = [](const float* p, int64_t n) {
    std::vector<float> v(n);
    SKU_CUDA_CHECK(cudaMemcpy(v.data(), p, n * sizeof(float), cudaMemcpyDeviceToHost));
    return v;
  };
  Outputs o;
  o.y = down(ctx->y(), s.T * s.B * s.Hd);
  o.hn = down(ctx->h_n(), n_h);
  if (lstm) o.cn = down(ctx->c_n(), n_h);
  return o;
}

RnnConfig with_dropout(const Shape& s, float p) { return RnnConfig{s.cell, s.F, s.Hd, s.L, p}; }

}  // namespace

// Runs everywhere: the dropout range is checked (RnnConfig::validate) before any device is
// touched, so a bad p is an InputError with or without a GPU.
TEST(CudnnRnnNoDevice, DropoutOutOfRangeThrowsInputError) {
  for (float p : {-0.1f, 1.0f, 1.5f}) {
    EXPECT_THROW({ CudnnRnn rnn(RnnConfig{CellType::Lstm, 4, 8, 2, p}); }, InputError) << "p = " << p;
  }
}

// Without a device, a valid dropout no longer fails as unsupported input: it reaches the
// device check and throws DeviceError like any other configuration.
TEST(CudnnRnnNoDevice, DropoutConfigThrowsDeviceErrorNotInputError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW({ CudnnRnn rnn(RnnConfig{CellType::Lstm, 4, 8, 2, 0.3f}, RnnPrecision::Fp32, 42); }, DeviceError);
}

// Runs where there is NO device (this is the path CI and CPU machines take): constructing
// the cuDNN RNN must throw DeviceError with the reason, never crash.
TEST(CudnnRnnNoDevice, ConstructorThrowsDeviceError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  try {
    CudnnRnn rnn(RnnConfig{CellType::Lstm, 4, 8, 1, 0.0f});
    FAIL() << "expected DeviceError";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("no usable CUDA device"), std::string::npos) << e.what();
  }
}

class CudnnRnnGpu : public GpuTest {};

TEST_F(CudnnRnnGpu, Fp32MatchesCpuRnn) {
  const std::vector<Shape> shapes = {
      {CellType::Lstm, 11, 64, 2, 28, 1},   {CellType::Lstm, 11, 64, 2, 28, 31}, {CellType::Lstm, 7, 31, 1, 9, 257},
      {CellType::Gru, 11, 64, 2, 28, 31},   {CellType::Gru, 5, 33, 3, 12, 257},
      {CellType::Lstm, 11, 64, 2, 140, 1024},  // the DeepAR training shape (context 112 + horizon 28)
  };
  for (const Shape& s : shapes) {
    const Reference r = cpu_reference(s, 1234);
    CudnnRnn rnn(RnnConfig{s.cell, s.F, s.Hd, s.L, 0.0f});
    std::printf("%s: cuDNN weight space %s rnn.h's layout\n", s.name().c_str(),
                rnn.identity_layout() ? "is" : "is NOT");
    const GpuResult g = gpu_run(rnn, s, r);
    const bool lstm = s.cell == CellType::Lstm;
    EXPECT_TRUE(close_scaled(r.y, g.y, 1e-5, 1e-4)) << "y " << s.name();
    EXPECT_TRUE(close_scaled(r.hn, g.hn, 1e-5, 1e-4)) << "h_n " << s.name();
    if (lstm) {
      EXPECT_TRUE(close_scaled(r.cn, g.cn, 1e-5, 1e-4)) << "c_n " << s.name();
    }
    EXPECT_TRUE(close_scaled(r.dx, g.dx, 1e-4, 1e-3)) << "dx " << s.name();
    EXPECT_TRUE(close_scaled(r.dh0, g.dh0, 1e-4, 1e-3)) << "dh0 " << s.name();
    if (lstm) {
      EXPECT_TRUE(close_scaled(r.dc0, g.dc0, 1e-4, 1e-3)) << "dc0 " << s.name();
    }
    EXPECT_TRUE(close_scaled(r.dw, g.dw, 1e-4, 1e-3)) << "dw " << s.name();
  }
}

TEST_F(CudnnRnnGpu, AccumulateAddsToExistingGradient) {
  const Shape s{CellType::Lstm, 6, 16, 2, 10, 31};
  const Reference r = cpu_reference(s, 77);
  CudnnRnn rnn(RnnConfig{s.cell, s.F, s.Hd, s.L, 0.0f});
  std::vector<float> twice = r.dw;
  for (auto& v : twice) v *= 2.0f;
  const GpuResult g = gpu_run(rnn, s, r, GradMode::Accumulate, &r.dw);  // starts from the CPU gradient
  EXPECT_TRUE(close_scaled(twice, g.dw, 1e-4, 1e-3));
}

TEST_F(CudnnRnnGpu, VariableLengthsMatchPerSequenceCpu) {
  // Each sequence b of length len[b] must behave as a batch of one of that length: y past
  // len[b] is 0, h_n/c_n are the states at its last step, and the gradients sum over b.
  const int64_t F = 5, Hd = 24, L = 2, T = 17, B = 31;
  const RnnConfig cfg{CellType::Lstm, F, Hd, L, 0.0f};
  Rnn<float> cpu(cfg);
  std::mt19937 rng(9);
  std::vector<float> w(cpu.n_params());
  cpu.init_uniform(w.data(), 5);
  std::vector<float> x = normal_with_nan(rng, T * B * F, 0.0f, 1.0f, 0.0);
  std::vector<float> dy = normal_with_nan(rng, T * B * Hd, 0.0f, 1.0f, 0.0);
  std::vector<int32_t> len(B);
  std::uniform_int_distribution<int32_t> U(1, static_cast<int32_t>(T));
  for (auto& v : len) v = U(rng);
  len[0] = static_cast<int32_t>(T);
  for (int64_t t = 0; t < T; ++t)  // no gradient arrives past a sequence's end
    for (int64_t b = 0; b < B; ++b)
      if (t >= len[b])
        for (int64_t k = 0; k < Hd; ++k) dy[(t * B + b) * Hd + k] = 0.0f;

  std::vector<float> y_ref(T * B * Hd, 0.0f), hn_ref(L * B * Hd), dx_ref(T * B * F, 0.0f), dw_ref(w.size(), 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = len[b];
    std::vector<float> xb(n * F), dyb(n * Hd), dxb(n * F);
    for (int64_t t = 0; t < n; ++t) {
      std::copy_n(x.data() + (t * B + b) * F, F, xb.data() + t * F);
      std::copy_n(dy.data() + (t * B + b) * Hd, Hd, dyb.data() + t * Hd);
    }
    auto ctx = cpu.forward(w.data(), xb.data(), n, 1, nullptr, nullptr, Phase::Training, 0);
    for (int64_t t = 0; t < n; ++t) std::copy_n(ctx->y() + t * Hd, Hd, y_ref.data() + (t * B + b) * Hd);
    for (int64_t l = 0; l < L; ++l) std::copy_n(ctx->h_n() + l * Hd, Hd, hn_ref.data() + (l * B + b) * Hd);
    cpu.backward(*ctx, w.data(), dyb.data(), nullptr, nullptr, dxb.data(), nullptr, nullptr, dw_ref.data(),
                 GradMode::Accumulate);
    for (int64_t t = 0; t < n; ++t) std::copy_n(dxb.data() + t * F, F, dx_ref.data() + (t * B + b) * F);
  }

  CudnnRnn rnn(cfg);
  DeviceBuffer<float> dw_(w), dx_(x), ddy(dy), ddx(T * B * F), ddw(w.size());
  auto ctx = rnn.forward(dw_.data(), dx_.data(), T, B, len.data(), nullptr, nullptr, Phase::Training, nullptr);
  rnn.backward(*ctx, dw_.data(), ddy.data(), nullptr, nullptr, ddx.data(), nullptr, nullptr, ddw.data(),
               GradMode::Overwrite, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<float> y(T * B * Hd), hn(L * B * Hd);
  SKU_CUDA_CHECK(cudaMemcpy(y.data(), ctx->y(), y.size() * sizeof(float), cudaMemcpyDeviceToHost));
  SKU_CUDA_CHECK(cudaMemcpy(hn.data(), ctx->h_n(), hn.size() * sizeof(float), cudaMemcpyDeviceToHost));
  std::vector<float> dx = ddx.download();
  for (int64_t t = 0; t < T; ++t)  // dx past a sequence's end is unspecified: compare the valid part
    for (int64_t b = 0; b < B; ++b)
      if (t >= len[b])
        for (int64_t k = 0; k < F; ++k) dx[(t * B + b) * F + k] = 0.0f;
  EXPECT_TRUE(close_scaled(y_ref, y, 1e-5, 1e-4)) << "y";
  EXPECT_TRUE(close_scaled(hn_ref, hn, 1e-5, 1e-4)) << "h_n";
  EXPECT_TRUE(close_scaled(dx_ref, dx, 1e-4, 1e-3)) << "dx";
  EXPECT_TRUE(close_scaled(dw_ref, ddw.download(), 1e-4, 1e-3)) << "dw";
}

TEST_F(CudnnRnnGpu, InferenceMatchesTrainingAndRefusesBackward) {
  const Shape s{CellType::Gru, 8, 32, 2, 20, 31};
  const Reference r = cpu_reference(s, 4);
  CudnnRnn rnn(RnnConfig{s.cell, s.F, s.Hd, s.L, 0.0f});
  DeviceBuffer<float> w(r.w), x(r.x), h0(r.h0);
  auto ctx = rnn.forward(w.data(), x.data(), s.T, s.B, nullptr, h0.data(), nullptr, Phase::Inference, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<float> y(r.y.size());
  SKU_CUDA_CHECK(cudaMemcpy(y.data(), ctx->y(), y.size() * sizeof(float), cudaMemcpyDeviceToHost));
  EXPECT_TRUE(close_scaled(r.y, y, 1e-5, 1e-4));
  EXPECT_THROW(rnn.backward(*ctx, w.data(), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                            GradMode::Ignore, nullptr),
               InputError);
}

TEST_F(CudnnRnnGpu, HalfPrecisionTracksFp32Reference) {
  const Shape s{CellType::Lstm, 11, 64, 2, 28, 257};
  const Reference r = cpu_reference(s, 99);
  for (RnnPrecision p : {RnnPrecision::Fp16, RnnPrecision::Bf16}) {
    const char* name = p == RnnPrecision::Fp16 ? "fp16" : "bf16";
    std::unique_ptr<CudnnRnn> rnn;
    try {
      rnn = std::make_unique<CudnnRnn>(RnnConfig{s.cell, s.F, s.Hd, s.L, 0.0f}, p);
    } catch (const DeviceError& e) {
      // cuDNN documents HALF data with FLOAT math; BFLOAT16 RNN data may be refused.
      if (p == RnnPrecision::Bf16) {
        std::printf("bf16 refused by cuDNN: %s\n", e.what());
        continue;
      }
      throw;
    }
    EXPECT_FALSE(rnn->identity_layout()) << name;  // half weights always go through the mapping
    const GpuResult g = gpu_run(*rnn, s, r);
    EXPECT_TRUE(rel_l2(r.y, g.y, 2e-2)) << "y " << name;
    EXPECT_TRUE(rel_l2(r.hn, g.hn, 2e-2)) << "h_n " << name;
    EXPECT_TRUE(rel_l2(r.cn, g.cn, 2e-2)) << "c_n " << name;
    EXPECT_TRUE(rel_l2(r.dx, g.dx, 5e-2)) << "dx " << name;
    EXPECT_TRUE(rel_l2(r.dw, g.dw, 5e-2)) << "dw " << name;
  }
}

// ------------------------------------------------------------------ dropout ----
// Note [cuDNN dropout]: Inference never drops, so with p = 0.3 it matches the CPU Rnn's
// inference (FP32 output tolerance) and the p = 0 network bit for bit, even after a
// Training forward has advanced the dropout states.
TEST_F(CudnnRnnGpu, DropoutInferenceMatchesCpuAndNoDropout) {
  const std::vector<Shape> shapes = {{CellType::Lstm, 11, 64, 2, 28, 31}, {CellType::Gru, 5, 33, 3, 12, 257}};
  for (const Shape& s : shapes) {
    const bool lstm = s.cell == CellType::Lstm;
    const Reference r = cpu_reference(s, 321);  // weights and inputs; its outputs are p = 0 Training
    Rnn<float> cpu(with_dropout(s, 0.3f));
    auto cctx = cpu.forward(r.w.data(), r.x.data(), s.T, s.B, r.h0.data(), lstm ? r.c0.data() : nullptr,
                            Phase::Inference, 5);
    const int64_t n_h = s.L * s.B * s.Hd;
    const std::vector<float> y_ref(cctx->y(), cctx->y() + s.T * s.B * s.Hd);
    const std::vector<float> hn_ref(cctx->h_n(), cctx->h_n() + n_h);

    CudnnRnn drop(with_dropout(s, 0.3f), RnnPrecision::Fp32, 7);
    CudnnRnn plain(with_dropout(s, 0.0f));
    gpu_forward(drop, s, r, Phase::Training);  // advances the dropout states; must not matter below
    const Outputs g = gpu_forward(drop, s, r, Phase::Inference);
    const Outputs g0 = gpu_forward(plain, s, r, Phase::Inference);
    EXPECT_TRUE(close_scaled(y_ref, g.y, 1e-5, 1e-4)) << "y vs CPU " << s.name();
    EXPECT_TRUE(close_scaled(hn_ref, g.hn, 1e-5, 1e-4)) << "h_n vs CPU " << s.name();
    EXPECT_TRUE(bit_equal(g0.y, g.y)) << "y vs p = 0 " << s.name();
    EXPECT_TRUE(bit_equal(g0.hn, g.hn)) << "h_n vs p = 0 " << s.name();
    if (lstm) {
      const std::vector<float> cn_ref(cctx->c_n(), cctx->c_n() + n_h);
      EXPECT_TRUE(close_scaled(cn_ref, g.cn, 1e-5, 1e-4)) << "c_n vs CPU " << s.name();
      EXPECT_TRUE(bit_equal(g0.cn, g.cn)) << "c_n vs p = 0 " << s.name();
    }
  }
}

// Dropout acts between layers only: a 2-layer Training forward differs from Inference, a
// 1-layer one (nothing between layers) equals it to the FP32 output tolerance (Training and
// Inference may run different cuDNN kernels, so not bit for bit).
TEST_F(CudnnRnnGpu, DropoutActsBetweenLayersOnly) {
  for (CellType cell : {CellType::Lstm, CellType::Gru}) {
    const Shape two{cell, 11, 64, 2, 28, 31};
    const Reference r2 = cpu_reference(two, 11);
    CudnnRnn rnn2(with_dropout(two, 0.3f), RnnPrecision::Fp32, 3);
    const Outputs inf2 = gpu_forward(rnn2, two, r2, Phase::Inference);
    const Outputs tr2 = gpu_forward(rnn2, two, r2, Phase::Training);
    EXPECT_TRUE(rel_l2_above(inf2.y, tr2.y, 1e-2)) << "2-layer y " << two.name();
    EXPECT_TRUE(rel_l2_above(inf2.hn, tr2.hn, 1e-2)) << "2-layer h_n " << two.name();

    const Shape one{cell, 11, 64, 1, 28, 31};
    const Reference r1 = cpu_reference(one, 11);
    CudnnRnn rnn1(with_dropout(one, 0.3f), RnnPrecision::Fp32, 3);
    const Outputs inf1 = gpu_forward(rnn1, one, r1, Phase::Inference);
    const Outputs tr1 = gpu_forward(rnn1, one, r1, Phase::Training);
    EXPECT_TRUE(close_scaled(inf1.y, tr1.y, 1e-5, 1e-4)) << "1-layer y " << one.name();
    EXPECT_TRUE(close_scaled(inf1.hn, tr1.hn, 1e-5, 1e-4)) << "1-layer h_n " << one.name();
    EXPECT_TRUE(close_scaled(r1.y, tr1.y, 1e-5, 1e-4)) << "1-layer y vs CPU " << one.name();
  }
}

// The masks depend on the seed and the call sequence since construction: two objects with
// the same seed give bit-identical first Training forwards; another seed gives other masks.
TEST_F(CudnnRnnGpu, DropoutSeedReproducesMasks) {
  const Shape s{CellType::Lstm, 11, 64, 3, 28, 31};
  const Reference r = cpu_reference(s, 8);
  CudnnRnn a(with_dropout(s, 0.3f), RnnPrecision::Fp32, 42);
  CudnnRnn b(with_dropout(s, 0.3f), RnnPrecision::Fp32, 42);
  CudnnRnn c(with_dropout(s, 0.3f), RnnPrecision::Fp32, 43);
  const Outputs ga = gpu_forward(a, s, r, Phase::Training);
  const Outputs gb = gpu_forward(b, s, r, Phase::Training);
  const Outputs gc = gpu_forward(c, s, r, Phase::Training);
  EXPECT_TRUE(bit_equal(ga.y, gb.y)) << "y, same seed";
  EXPECT_TRUE(bit_equal(ga.hn, gb.hn)) << "h_n, same seed";
  EXPECT_TRUE(bit_equal(ga.cn, gb.cn)) << "c_n, same seed";
  EXPECT_TRUE(rel_l2_above(ga.y, gc.y, 1e-2)) << "y, other seed";
}

// Backward after a dropout Training forward: the reserve space carries the masks, so the
// gradients are those of the dropped network. No finite-difference check (each forward
// draws new masks); instead: every gradient is written and finite, and the weight gradient
// differs clearly from the p = 0 one (the gradient of layers below the dropout, and of
// layer l+1's input weights, sees the masks).
TEST_F(CudnnRnnGpu, DropoutBackwardGivesFiniteMaskedGradients) {
  for (CellType cell : {CellType::Lstm, CellType::Gru}) {
    const Shape s{cell, 11, 64, 2, 28, 31};
    const bool lstm = cell == CellType::Lstm;
    const Reference r = cpu_reference(s, 17);
    CudnnRnn drop(with_dropout(s, 0.3f), RnnPrecision::Fp32, 9);
    CudnnRnn plain(with_dropout(s, 0.0f));
    const GpuResult g = gpu_run(drop, s, r);   // outputs poisoned with NaN first: unwritten fails
    const GpuResult g0 = gpu_run(plain, s, r);
    EXPECT_TRUE(all_finite(g.y)) << "y " << s.name();
    EXPECT_TRUE(all_finite(g.dx)) << "dx " << s.name();
    EXPECT_TRUE(all_finite(g.dh0)) << "dh0 " << s.name();
    if (lstm) {
      EXPECT_TRUE(all_finite(g.dc0)) << "dc0 " << s.name();
    }
    EXPECT_TRUE(all_finite(g.dw)) << "dw " << s.name();
    EXPECT_TRUE(rel_l2_above(g0.dw, g.dw, 1e-2)) << "dw vs p = 0 " << s.name();
    EXPECT_TRUE(close_scaled(r.dw, g0.dw, 1e-4, 1e-3)) << "p = 0 dw vs CPU (sanity) " << s.name();
  }
}

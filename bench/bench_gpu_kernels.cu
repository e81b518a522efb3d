// bench/bench_gpu_kernels.cu — GPU benchmarks for bench/gpu_check.sh (needs a CUDA device).
//
//   bench_gpu_kernels kernels   feature, likelihood and AdamW kernels as a fraction of
//                               the device-to-device cudaMemcpy bandwidth measured in the same
//                               run (bytes = each input read once + each output written once;
//                               goal >= 0.70 for features).
//   bench_gpu_kernels lstm H    one DeepAR training step on the GPU (cuDNN LSTM, 2 layers,
//                               hidden H, context 112 + horizon 28, batch 1,024, F = 11):
//                               forward, dense head (cuBLAS), Gaussian NLL, backward, global
//                               norm clipping and AdamW, all on one stream with no host sync
//                               inside the step; prints windows/s.
//   bench_gpu_kernels train H   the full DeepAR training step of `skucast train --device cuda`
//                               (engine/deepar/cuda/train_step.h, CudaTrainStep), the same shapes as
//                               `lstm` (F = 11: no statics, covariates or events): the resident
//                               panel with windows cut on the device, then with two static
//                               embeddings (F = 32, the embedding gather and the host's
//                               device embedding backward), then windows composed on the host into
//                               pinned staging while the device trains on the previous batch,
//                               then BF16 and FP16 recurrent layers. Wall-clock windows/s.
// Each line it prints that starts with "BENCH" is parsed by gpu_check.sh. Timing: CUDA
// events around many repetitions after a warm-up (METHOD.md); inputs are random, not zero.
// This is a plain program, not Google Benchmark (STYLE T11): device time is read from CUDA
// events, which the script combines with the PyTorch peer into RESULT lines.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/deepar/cuda/train_step.h"
#include "engine/deepar/internal.h"
#include "engine/nn/rnn.h"
#include "engine/nn/cuda/cudnn_rnn.h"
#include "kernels/adam.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/device.hpp"
#include "kernels/device_buffer.hpp"
#include "kernels/features.hpp"
#include "kernels/likelihood.hpp"

using namespace skucast;

namespace {

std::vector<float> randn(size_t n, float mu, float sd, uint32_t seed, double p_nan = 0.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> N(mu, sd);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::vector<float> v(n);
  for (auto& x : v) x = (p_nan > 0 && U(rng) < p_nan) ? NAN : N(rng);
  return v;
}

// Median milliseconds of `reps` timed calls of f after `warm` untimed ones.
template <class F>
double time_ms(F&& f, int warm, int reps) {
  for (int i = 0; i < warm; ++i) f();
  cudaEvent_t a, b;
  SKU_CUDA_CHECK(cudaEventCreate(&a));
  SKU_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> ms(reps);
  for (int i = 0; i < reps; ++i) {
    SKU_CUDA_CHECK(cudaEventRecord(a));
    f();
    SKU_CUDA_CHECK(cudaEventRecord(b));
    SKU_CUDA_CHECK(cudaEventSynchronize(b));
    SKU_CUDA_CHECK(cudaEventElapsedTime(&ms[i], a, b));
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[reps / 2];
}

void report(const char* name, double bytes, double ms, double copy_gbps) {
  const double gbps = bytes / (ms * 1e-3) / 1e9;
  std::printf("BENCH %s ms=%.4f gbps=%.1f memcpy_gbps=%.1f fraction=%.3f\n", name, ms, gbps, copy_gbps,
              gbps / copy_gbps);
  std::fflush(stdout);
}

int run_kernels() {
  // Device-to-device copy of 2 GiB: bytes read + bytes written (METHOD.md's ceiling).
  const size_t n_copy = size_t(1) << 29;  // floats
  DeviceBuffer<float> src(n_copy), dst(n_copy);
  SKU_CUDA_CHECK(cudaMemset(src.data(), 1, n_copy * sizeof(float)));
  const double copy_ms = time_ms(
      [&] { SKU_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), n_copy * sizeof(float), cudaMemcpyDeviceToDevice)); },
      3, 20);
  const double copy_gbps = 2.0 * n_copy * sizeof(float) / (copy_ms * 1e-3) / 1e9;
  std::printf("BENCH memcpy_d2d ms=%.4f gbps=%.1f\n", copy_ms, copy_gbps);

  // --- features: 30,000 x 1,941 panel, 65,536 windows of 140 steps, F = 11 (calendar 4).
  {
    const int64_t S = 30000, N = 1941, B = 65536, T = 140, C = 4;
    FeatureSpec spec;
    spec.n_calendar = C;
    const int64_t F = feature_count(spec);
    std::vector<float> y = randn(S * N, 20.f, 8.f, 1, 0.05);
    std::vector<int64_t> series(B), t0(B);
    std::mt19937 rng(2);
    for (int64_t b = 0; b < B; ++b) {
      series[b] = rng() % S;
      t0[b] = static_cast<int64_t>(rng() % (N - T)) - 20;
    }
    DeviceBuffer<float> dy(y), dscale(B), dx(T * B * F), dcal(N * C), dtarget(T * B);
    DeviceBuffer<int64_t> dseries(series), dt0(t0);
    WindowBatch wb{dseries.data(), dt0.data(), B, T};
    window_scale(dy.data(), S, N, wb, 112, dscale.data(), nullptr);
    const double ms = time_ms(
        [&] { features_fwd(spec, dy.data(), S, N, dscale.data(), wb, dcal.data(), N, dx.data(), nullptr); }, 3, 20);
    // Fewest bytes: x written once, each window's T values of y and its scale, series, t0 read once.
    report("features_fwd", double(T * B * F) * 4 + double(T * B) * 4 + double(B) * (4 + 16), ms, copy_gbps);
    const double ms_t =
        time_ms([&] { window_target(dy.data(), S, N, wb, dtarget.data(), nullptr); }, 3, 20);
    report("window_target", double(T * B) * 8 + double(B) * 16, ms_t, copy_gbps);
  }
  // --- likelihood (Gaussian) and AdamW, for reference.
  {
    const int64_t T = 140, B = 65536;
    LikelihoodParams lp;
    DeviceBuffer<float> raw(randn(T * B * 2, 0.f, 1.f, 7)), y(randn(T * B, 20.f, 8.f, 8, 0.05));
    DeviceBuffer<float> scale(std::vector<float>(B, 20.f)), loss(T * B), draw(T * B * 2);
    const double ms = time_ms(
        [&] {
          likelihood_fwd_bwd(lp, raw.data(), y.data(), scale.data(), nullptr, T, B, 1.0, nullptr, loss.data(),
                             draw.data(), nullptr);
        },
        3, 20);
    report("likelihood_gaussian", double(T * B) * (8 + 4 + 4 + 8), ms, copy_gbps);
    const int64_t n = int64_t(1) << 26;
    DeviceBuffer<float> w(randn(n, 0.f, 1.f, 9)), g(randn(n, 0.f, 1.f, 10)), m(n), v(n);
    SKU_CUDA_CHECK(cudaMemset(m.data(), 0, n * 4));
    SKU_CUDA_CHECK(cudaMemset(v.data(), 0, n * 4));
    DeviceBuffer<double> sq(1);
    AdamParams ap;
    const double ms_a = time_ms(
        [&] {
          grad_sq_norm(g.data(), n, sq.data(), NormWrite::Overwrite, nullptr);
          adam_step(ap, AdamClip{sq.data(), 1.0}, w.data(), g.data(), m.data(), v.data(), n, nullptr);
        },
        3, 20);
    report("adamw_clip", double(n) * (4 + 16 + 12), ms_a, copy_gbps);  // norm reads g; step reads 4, writes 3
  }
  return 0;
}

// ------------------------------------------------------------------ lstm ----
__global__ void add_bias_kernel(float* raw, const float* bias, int64_t n_rows, int P) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n_rows * P) raw[i] += bias[i % P];
}

int run_lstm(int64_t Hd) {
  const int64_t T = 140, B = 1024, F = 11, L = 2, P = 2;
  const int64_t N = T * B;
  nn::RnnConfig cfg{nn::CellType::Lstm, F, Hd, L, 0.0f};
  nn::CudnnRnn rnn(cfg);
  const int64_t n_rnn = rnn.n_params(), n_head = P * Hd + P, n_all = n_rnn + n_head;
  // One flat parameter buffer: [rnn weights | head W [P, Hd] | head b [P]]; grads alike.
  std::vector<float> w_host(n_all);
  nn::Rnn<float>(cfg).init_uniform(w_host.data(), 1);
  std::vector<float> head = randn(n_head, 0.f, 0.1f, 2);
  std::copy(head.begin(), head.end(), w_host.begin() + n_rnn);
  DeviceBuffer<float> w(w_host), g(n_all), m(n_all), v(n_all);
  SKU_CUDA_CHECK(cudaMemset(m.data(), 0, n_all * 4));
  SKU_CUDA_CHECK(cudaMemset(v.data(), 0, n_all * 4));
  DeviceBuffer<float> x(randn(N * F, 0.f, 1.f, 3)), y(randn(N, 0.f, 1.f, 4)), scale(std::vector<float>(B, 1.f));
  DeviceBuffer<float> raw(N * P), loss(N), draw(N * P), dy(N * Hd), ones(std::vector<float>(N, 1.f));
  DeviceBuffer<double> wsum(1), sq(1);
  cublasHandle_t blas = nullptr;
  SKU_CUBLAS_CHECK(cublasCreate(&blas));
  SKU_CUBLAS_CHECK(cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH));  // FP32, as the RNN (no TF32)
  const float one = 1.f, zero = 0.f;
  float* hw = w.data() + n_rnn;          // head W, row-major [P, Hd] = column-major [Hd, P]
  float* hb = hw + P * Hd;               // head b [P]
  float* ghw = g.data() + n_rnn;
  float* ghb = ghw + P * Hd;
  AdamParams ap;
  int64_t step = 0;
  auto train_step = [&] {
    auto ctx = rnn.forward(w.data(), x.data(), T, B, nullptr, nullptr, nullptr, nn::Phase::Training, nullptr);
    // raw [N, P] (column-major [P, N]) = head W · y + b
    SKU_CUBLAS_CHECK(cublasSgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, P, N, Hd, &one, hw, Hd, ctx->y(), Hd, &zero,
                                 raw.data(), P));
    add_bias_kernel<<<(N * P + 255) / 256, 256>>>(raw.data(), hb, N, P);
    SKU_CHECK_LAUNCH("add_bias_kernel");
    likelihood_weight_sum(y.data(), nullptr, T, B, wsum.data(), nullptr);
    likelihood_fwd_bwd(LikelihoodParams{}, raw.data(), y.data(), scale.data(), nullptr, T, B, 1.0, wsum.data(),
                       loss.data(), draw.data(), nullptr);
    // head grads: dW [Hd, P] (col-major) = y · drawᵀ; db = draw · 1; dy = W · draw
    SKU_CUBLAS_CHECK(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_T, Hd, P, N, &one, ctx->y(), Hd, draw.data(), P, &zero,
                                 ghw, Hd));
    SKU_CUBLAS_CHECK(cublasSgemv(blas, CUBLAS_OP_N, P, N, &one, draw.data(), P, ones.data(), 1, &zero, ghb, 1));
    SKU_CUBLAS_CHECK(cublasSgemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, Hd, N, P, &one, hw, Hd, draw.data(), P, &zero,
                                 dy.data(), Hd));
    rnn.backward(*ctx, w.data(), dy.data(), nullptr, nullptr, nullptr, nullptr, nullptr, g.data(),
                 nn::GradMode::Overwrite, nullptr);
    grad_sq_norm(g.data(), n_all, sq.data(), NormWrite::Overwrite, nullptr);
    ap.step = ++step;
    adam_step(ap, AdamClip{sq.data(), 10.0}, w.data(), g.data(), m.data(), v.data(), n_all, nullptr);
  };
  const int reps = 30;
  const double ms = time_ms(train_step, 5, reps);
  // Sanity: the loss after training is finite (a broken step shows up as NaN here).
  std::vector<float> l = loss.download();
  double mean_loss = 0;
  for (float e : l) mean_loss += e;
  mean_loss /= static_cast<double>(l.size());
  std::printf("BENCH lstm_step hidden=%lld ms=%.3f windows_per_s=%.1f mean_loss=%.4f identity_layout=%d\n",
              static_cast<long long>(Hd), ms, B / (ms * 1e-3), mean_loss, rnn.identity_layout() ? 1 : 0);
  cublasDestroy(blas);
  return std::isfinite(mean_loss) ? 0 : 1;
}

// ----------------------------------------------------------------- train ----
// One synthetic catalog in memory (no HDF5): S series of T days of counts; `statics` adds two
// static attributes (50 and 10 levels: embedding widths 16 and 5).
// resident: the panel on the device and windows cut there (submit_windows), else composed on
// the host into pinned staging (next_inputs/submit); precision: the recurrent layers'.
int run_train_case(int64_t Hd, bool statics, bool resident, TrainPrecision precision) {
  using namespace skucast::deepar;
  DeepArOptions o;
  o.hidden = Hd;
  o.layers = 2;
  o.context = 112;
  o.horizon = 28;
  o.dropout = 0.0;
  o.batch = 1024;
  o.season_length = 7;
  const int64_t S = 4096, T = 730, B = o.batch, W = o.context + o.horizon;
  PanelFingerprint fp;
  fp.n_series = S;
  fp.season_length = 7;
  if (statics) {
    fp.static_names = {"item", "store"};
    fp.static_levels.assign(2, {});
    for (int k = 0; k < 50; ++k) fp.static_levels[0].push_back("i" + std::to_string(k));
    for (int k = 0; k < 10; ++k) fp.static_levels[1].push_back("s" + std::to_string(k));
  }
  const Layout l = make_layout(o, fp);
  PanelData d;
  d.n_series = S;
  d.n_time = T;
  d.n_cov = T;
  d.y = randn(S * T, 5.f, 2.f, 7);
  for (float& v : d.y) v = std::max(0.f, std::round(v));
  d.first.assign(S, 0);
  d.last.assign(S, T - 1);
  d.pad = o.context + lookback(l) + o.horizon;
  d.n_shared = T + o.horizon;
  d.n_shared_cols = l.spec.n_calendar;
  d.shared = randn((d.pad + d.n_shared) * d.n_shared_cols, 0.f, 0.5f, 8);
  for (size_t a = 0; a < fp.static_names.size(); ++a) {
    std::vector<int32_t> c(S);
    for (int64_t i = 0; i < S; ++i) c[i] = static_cast<int32_t>(i % static_cast<int64_t>(fp.static_levels[a].size()));
    d.code_store.push_back(std::move(c));
  }
  for (const auto& c : d.code_store) d.codes.push_back(c.data());
  std::vector<float> w;
  init_weights(l, 1, w);
  CudaTrainSetup setup;
  setup.precision = precision;
  setup.context = o.context;
  CudaTrainStep gpu(l, d, B, W, nn::AdamWConfig{1e-3, 0.9, 0.999, 1e-8, 0.0, 10.0}, setup);
  gpu.upload(w, std::vector<float>(w.size(), 0.f), std::vector<float>(w.size(), 0.f), 0);
  if (resident) {
    std::string why;
    if (!gpu.upload_panel(0, &why)) {
      std::fprintf(stderr, "bench_gpu_kernels: panel not resident: %s\n", why.c_str());
      return 1;
    }
  }
  std::vector<int64_t> series(B), t0(B);
  std::vector<float> target(B * W);
  ComposeScratch cs;
  std::mt19937 rng(3);
  auto step = [&] {  // what deepar_train does per batch on the GPU path
    for (int64_t b = 0; b < B; ++b) {
      series[b] = static_cast<int64_t>(rng() % S);
      t0[b] = static_cast<int64_t>(rng() % (T - W));
    }
    if (resident) {
      gpu.submit_windows(series.data(), t0.data(), B, W, T, 0);
      return;
    }
    const CudaStepInputs in = gpu.next_inputs(B, W);
    const WindowBatch wb{series.data(), t0.data(), B, W};
    window_scale_cpu(d.y.data(), S, T, wb, o.context, in.scale);
    window_target_cpu(d.y.data(), S, T, wb, in.target);
    compose_inputs(d, l, w.data(), d.y.data(), S, T, 0, series.data(), series.data(), t0.data(), B, W, in.scale, cs,
                   in.x);
    gpu.submit(series.data(), B, W);
  };
  for (int i = 0; i < 5; ++i) step();  // warm-up: pools, cuDNN plans, page faults
  gpu.finish();
  const int reps = 40;
  const auto t_start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) step();
  gpu.finish();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  double mean_loss = 0;
  const std::vector<nn::LossValue> losses = gpu.take_losses(true);
  for (const nn::LossValue& v : losses) mean_loss += v.loss / static_cast<double>(losses.size());
  const char* prec = precision == TrainPrecision::Fp16 ? "fp16" : precision == TrainPrecision::Bf16 ? "bf16" : "fp32";
  std::printf("BENCH train_step hidden=%lld features=%lld ms=%.3f windows_per_s=%.1f mean_loss=%.4f path=%s "
              "precision=%s%s\n",
              static_cast<long long>(Hd), static_cast<long long>(l.n_features), 1e3 * s / reps, B * reps / s,
              mean_loss, resident ? "resident" : "host", prec, statics ? " embeddings=1" : "");
  return std::isfinite(mean_loss) ? 0 : 1;
}

// The path `skucast train --device cuda` takes by default (resident panel, FP32) first, with
// and without embeddings, then the host-composed path and the half-precision options. A case
// cuDNN refuses (BF16 RNNs on an older cuDNN) prints why and does not fail the others.
int run_train(int64_t Hd) {
  int rc = 0;
  struct Case {
    bool statics, resident;
    TrainPrecision precision;
  };
  for (const Case c : {Case{false, true, TrainPrecision::Fp32}, Case{true, true, TrainPrecision::Fp32},
                       Case{false, false, TrainPrecision::Fp32}, Case{false, true, TrainPrecision::Bf16},
                       Case{false, true, TrainPrecision::Fp16}}) {
    try {
      rc = std::max(rc, run_train_case(Hd, c.statics, c.resident, c.precision));
    } catch (const DeviceError& e) {
      std::printf("BENCH train_step hidden=%lld refused: %s\n", static_cast<long long>(Hd), e.what());
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_gpu_kernels kernels | lstm HIDDEN | train HIDDEN\n");
    return 2;
  }
  if (cuda_device_count() == 0) {
    std::fprintf(stderr, "bench_gpu_kernels: %s; nothing to measure\n", cuda_device_description().c_str());
    return 77;  // "skipped", as the ctest convention
  }
  try {
    // Keep freed stream-ordered memory in the pool across synchronizations (the default
    // threshold 0 hands it back to the driver at every sync, and the next step re-maps it).
    cudaMemPool_t pool;
    SKU_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, 0));
    uint64_t keep = UINT64_MAX;
    SKU_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
    if (std::strcmp(argv[1], "kernels") == 0) return run_kernels();
    if (std::strcmp(argv[1], "lstm") == 0 && argc >= 3) return run_lstm(std::atoll(argv[2]));
    if (std::strcmp(argv[1], "train") == 0 && argc >= 3) return run_train(std::atoll(argv[2]));
    std::fprintf(stderr, "bench_gpu_kernels: unknown mode '%s'\n", argv[1]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu_kernels: %s\n", e.what());
    return 1;
  }
}

// engine/deepar/cuda/sampler.cpp — host orchestration of DeepAR sampling on the GPU
// (engine/deepar/cuda/sampler.h, Note [DeepAR forecasting on the GPU]): the stream, cuBLAS handle,
// CudnnRnn, pinned staging and device buffers (all RAII, sized once for the largest block),
// and the order of one block. CUDA builds only; engine/deepar/sampler_cpu_only.cpp stands in for
// it in CPU builds.
#include "engine/deepar/cuda/sampler.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/deepar/cuda/util.h"
#include "engine/deepar/cuda/sampler_kernels.h"
#include "engine/stat/normal.h"
#include "engine/nn/cuda/cudnn_rnn.h"
#include "kernels/common.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/device.hpp"
#include "kernels/device_buffer.hpp"
#include "kernels/features.hpp"

namespace skucast::deepar {

namespace {

// One block's host inputs in page-locked memory (Note [DeepAR forecasting on the GPU], 1).
// Two of them alternate, so the host composes block k+1 into one while the device reads
// block k's from the other.
struct BlockStaging {
  PinnedBuffer<float> ys, scale, loc, xenc, exog;
  PinnedBuffer<uint8_t> nonneg, log1p;
  size_t n_ys = 0, n_scale = 0, n_loc = 0, n_xenc = 0, n_exog = 0, n_nonneg = 0, n_log1p = 0;  // elements staged
};

// Host vector -> pinned staging; returns the element count.
template <class T>
size_t stage(const std::vector<T>& host, PinnedBuffer<T>& pinned) {
  if (host.size() > pinned.size())
    throw Error("deepar: GPU forecast staging of " + std::to_string(pinned.size()) + " elements, got " +
                std::to_string(host.size()));
  if (!host.empty()) std::memcpy(pinned.data(), host.data(), host.size() * sizeof(T));
  return host.size();
}

// Pinned staging -> device, async on the stream (the staging stays untouched until the block's
// final synchronization).
template <class T>
void send(const PinnedBuffer<T>& pinned, size_t n, T* dev, cudaStream_t s) {
  if (n > 0) SKU_CUDA_CHECK(cudaMemcpyAsync(dev, pinned.data(), n * sizeof(T), cudaMemcpyHostToDevice, s));
}

void check_request(const Layout& l, const PanelData& d, const PathRequest& r) {
  if (!r.weights) throw InputError("deepar: the GPU forecast needs the model's weights");
  if (r.horizon < 1) throw InputError("deepar: horizon must be at least 1, got " + std::to_string(r.horizon));
  if (r.n_paths < 1) throw InputError("deepar: n_paths must be at least 1, got " + std::to_string(r.n_paths));
  if (r.context < 1) throw InputError("deepar: context must be at least 1, got " + std::to_string(r.context));
  for (double q : r.levels)
    if (!(q > 0 && q < 1)) throw InputError("deepar: quantile levels must be in (0, 1), got " + std::to_string(q));
  if (static_cast<int64_t>(d.y.size()) != d.n_series * d.n_time)
    throw InputError("deepar: the panel holds " + std::to_string(d.y.size()) + " values, expected S*T = " +
                     std::to_string(d.n_series * d.n_time));
  if (d.n_shared_cols != l.spec.n_calendar)
    throw InputError("deepar: the panel has " + std::to_string(d.n_shared_cols) + " shared columns, the model " +
                     std::to_string(l.spec.n_calendar));
  const int64_t A = d.n_time - r.context - lookback(l);  // first step of the local history
  if (d.pad + A < 0 || d.n_shared < d.n_time + r.horizon)
    throw InputError("deepar: the panel's shared columns cover steps " + std::to_string(-d.pad) + " .. " +
                     std::to_string(d.n_shared - 1) + ", the forecast reads " + std::to_string(A) + " .. " +
                     std::to_string(d.n_time + r.horizon - 1));
}

}  // namespace

PathForecast forecast_paths_cuda(const Layout& l, const PanelData& d, const PathRequest& req,
                                 const CudaForecastOptions& opt) {
  check_request(l, d, req);
  if (cuda_device_count() == 0)
    throw DeviceError("deepar: no usable CUDA device for the forecast (" + cuda_device_description() +
                      "); forecast on the CPU (--device cpu)");
  const bool point = l.lik.kind == Likelihood::Mse || l.lik.kind == Likelihood::Mae;
  const int64_t N = forecast_n_paths(l, req), T = d.n_time, H = req.horizon, ctx = req.context;
  const auto [S0, S1] = forecast_series_range(req, d.n_series);  // the series forecast (panel indices)
  const int64_t S = S1 - S0;
  const int64_t Q = static_cast<int64_t>(req.levels.size());
  const int64_t lb = lookback(l), L = lb + ctx + H, A = T - ctx - lb;
  const int64_t Ly = l.rnn.n_layers, Hd = l.rnn.n_hidden, P = likelihood_n_params(l.lik.kind);
  const int64_t F = l.n_features, F0 = l.n_base, E = F - F0, C = l.spec.n_calendar;
  const bool lstm = l.rnn.cell == nn::CellType::Lstm;

  PathForecast out;
  out.mean.assign(checked_mul(S, H), 0.0f);
  out.quantiles.assign(checked_mul(checked_mul(S, H), Q), 0.0f);
  if (S == 0) return out;

  const int64_t block = forecast_block_series(l, req, S, opt.max_block_bytes);
  const int64_t Rmax = checked_mul(block, N);

  // ------------------------------------------------------------ setup ----
  keep_default_pool();
  cudaStream_t raw_stream = nullptr;
  SKU_CUDA_CHECK(cudaStreamCreateWithFlags(&raw_stream, cudaStreamNonBlocking));
  const StreamPtr stream(raw_stream);  // declared first among the GPU owners: destroyed last
  const cudaStream_t s = stream.get();
  const BlasPtr blas = make_head_blas(s);  // FP32 SGEMM without TF32, as the training step
  // Dropout masks only training steps; inference ignores it on both devices (Phase::Inference),
  // so the device network is built without it (no cuDNN dropout states to allocate).
  nn::RnnConfig cfg = l.rnn;
  cfg.dropout = 0.0f;
  const nn::CudnnRnn rnn(cfg, nn::RnnPrecision::Fp32);

  // Sized once for the largest block (STYLE M3: no allocation per block or step, except the
  // contexts' stream-ordered buffers inside CudnnRnn).
  DeviceBuffer<float> w(std::vector<float>(req.weights, req.weights + l.n_params));  // [n_params]
  DeviceBuffer<float> shared_cal;                                                      // [pad + n_shared, C]
  if (C > 0 && !d.shared.empty()) shared_cal = DeviceBuffer<float>(d.shared);
  std::vector<double> z(static_cast<size_t>(Q));
  for (int64_t k = 0; k < Q; ++k) z[k] = inverse_normal_cdf(req.levels[k]);
  DeviceBuffer<double> levels_d(std::max<int64_t>(Q, 1)), z_d(std::max<int64_t>(Q, 1));
  if (Q > 0) {
    levels_d.upload(req.levels);
    z_d.upload(z);
  }
  DeviceBuffer<float> ys_d(checked_mul(block, L));                      // [nb, L]
  DeviceBuffer<float> scale_d(block);                                    // [nb]
  DeviceBuffer<float> loc_d(l.window_loc ? block : 0);                   // [nb] Note [Window location]
  DeviceBuffer<float> xenc(checked_mul(checked_mul(ctx, block), F));     // [ctx, nb, F]
  DeviceBuffer<float> exog(std::max<int64_t>(1, checked_mul(checked_mul(H, block), E)));  // [H, nb, E]
  DeviceBuffer<uint8_t> nonneg_d(block);                                 // [nb]
  DeviceBuffer<uint8_t> log1p_d(block);                                  // [nb] Note [Target transform]
  DeviceBuffer<float> yp(checked_mul(Rmax, L));                          // [R, L]
  DeviceBuffer<float> scale_r(Rmax);                                     // [R]
  DeviceBuffer<float> loc_r(l.window_loc ? Rmax : 0);                    // [R]
  DeviceBuffer<int64_t> rows(Rmax), t0(Rmax);                            // [R]
  DeviceBuffer<float> base(checked_mul(Rmax, F0));                       // [R, F0]
  DeviceBuffer<float> x(checked_mul(Rmax, F));                           // [R, F]
  DeviceBuffer<float> h_init(checked_mul(checked_mul(Ly, Rmax), Hd));    // [Ly, R, Hd]
  DeviceBuffer<float> c_init(lstm ? checked_mul(checked_mul(Ly, Rmax), Hd) : 0);
  DeviceBuffer<float> head_out(checked_mul(Rmax, P));                    // [R, P]
  DeviceBuffer<float> ones(Rmax);                                        // [R] of 1: the head's bias
  DeviceBuffer<float> paths(checked_mul(checked_mul(block, H), N));      // [nb, H, N]
  DeviceBuffer<float> sorted(point ? 0 : checked_mul(checked_mul(block, H), N));
  DeviceBuffer<float> mean_d(checked_mul(block, H));                     // [nb, H]
  DeviceBuffer<float> q_d(std::max<int64_t>(1, checked_mul(checked_mul(block, H), Q)));  // [nb, H, Q]
  fill_f32(ones.data(), Rmax, 1.0f, s);
  fill_affine_i64(rows.data(), Rmax, 0, 1, s);  // path r reads row r of yp

  BlockStaging staging[2];
  for (BlockStaging& st : staging) {
    st.ys = PinnedBuffer<float>(checked_mul(block, L));
    st.scale = PinnedBuffer<float>(block);
    st.loc = PinnedBuffer<float>(l.window_loc ? block : 0);
    st.xenc = PinnedBuffer<float>(checked_mul(checked_mul(ctx, block), F));
    st.exog = PinnedBuffer<float>(std::max<int64_t>(1, checked_mul(checked_mul(H, block), E)));
    st.nonneg = PinnedBuffer<uint8_t>(block);
    st.log1p = PinnedBuffer<uint8_t>(block);
  }
  PinnedBuffer<float> mean_h(checked_mul(block, H)), q_h(std::max<int64_t>(1, checked_mul(checked_mul(block, H), Q)));

  // Declared after every buffer, so destroyed before them: on an exception, queued work that
  // reads them finishes first (errors ignored: a destructor must not throw).
  struct SyncOnExit {
    cudaStream_t s;
    ~SyncOnExit() { cudaStreamSynchronize(s); }
  } const sync_on_exit{s};

  const std::vector<uint8_t> nonneg = nonneg_series(d);
  const std::vector<uint8_t> log1p = d.log1p.empty() ? std::vector<uint8_t>(static_cast<size_t>(d.n_series), 0) : d.log1p;
  const float* head_a = w.data() + l.n_rnn;  // [P, Hd]
  const float* head_b = head_a + Hd * P;     // [P]
  const int Pi = checked_int(P, "head outputs"), Hdi = checked_int(Hd, "hidden");
  const float* calendar = shared_cal.size() > 0 ? shared_cal.data() + (d.pad + A) * C : nullptr;
  const int64_t n_cal = d.n_shared - A;

  ComposeScratch cs;
  std::vector<float> ys, scale, loc, xe, ex;
  // 1. (host part) The inputs of the block of series i0 .. i0+nb-1, composed into `st`.
  auto compose = [&](int64_t i0, BlockStaging& st) {
    const int64_t nb = std::min(block, S1 - i0);
    forecast_block_inputs(l, d, req.weights, ctx, H, i0, nb, cs, ys, scale, xe, E > 0 ? &ex : nullptr, &loc);
    st.n_ys = stage(ys, st.ys);
    st.n_scale = stage(scale, st.scale);
    st.n_loc = l.window_loc ? stage(loc, st.loc) : 0;
    st.n_xenc = stage(xe, st.xenc);
    st.n_exog = E > 0 ? stage(ex, st.exog) : 0;
    st.n_nonneg = stage(std::vector<uint8_t>(nonneg.begin() + i0, nonneg.begin() + i0 + nb), st.nonneg);
    st.n_log1p = stage(std::vector<uint8_t>(log1p.begin() + i0, log1p.begin() + i0 + nb), st.log1p);
  };
  compose(S0, staging[0]);
  int64_t k = 0;
  for (int64_t i0 = S0; i0 < S1; i0 += block, ++k) {
    const int64_t nb = std::min(block, S1 - i0), R = nb * N;
    const int Ri = checked_int(R, "forecast rows");
    // 1. The block's inputs, in (composed while the device worked on the previous block).
    const BlockStaging& st = staging[k % 2];
    send(st.ys, st.n_ys, ys_d.data(), s);
    send(st.scale, st.n_scale, scale_d.data(), s);
    send(st.loc, st.n_loc, loc_d.data(), s);
    send(st.xenc, st.n_xenc, xenc.data(), s);
    send(st.exog, st.n_exog, exog.data(), s);
    send(st.nonneg, st.n_nonneg, nonneg_d.data(), s);
    send(st.log1p, st.n_log1p, log1p_d.data(), s);

    // 2. Encoder, from zero states over the whole context (the CPU's convention).
    {
      const std::unique_ptr<nn::CudnnRnnContext> enc =
          rnn.forward(w.data(), xenc.data(), ctx, nb, nullptr, nullptr, nullptr, nn::Phase::Inference, s);
      // 3. States, history and scales to the paths (row r = i * N + p).
      replicate_rows(enc->h_n(), Ly, nb, Hd, N, h_init.data(), s);
      if (lstm) replicate_rows(enc->c_n(), Ly, nb, Hd, N, c_init.data(), s);
    }  // the encoder's buffers return to the pool in stream order
    replicate_rows(ys_d.data(), 1, nb, L, N, yp.data(), s);
    replicate_rows(scale_d.data(), 1, nb, 1, N, scale_r.data(), s);
    if (l.window_loc) replicate_rows(loc_d.data(), 1, nb, 1, N, loc_r.data(), s);
    const float* loc_rows = l.window_loc ? loc_r.data() : nullptr;  // Note [Window location]

    // 4. The horizon, one recurrent step per horizon step for every path.
    std::unique_ptr<nn::CudnnRnnContext> prev;
    const float* h0 = h_init.data();
    const float* c0 = lstm ? c_init.data() : nullptr;
    for (int64_t h = 0; h < H; ++h) {
      fill_affine_i64(t0.data(), R, lb + ctx + h, 0, s);  // local column of step T+h
      features_fwd(l.spec, yp.data(), R, L, scale_r.data(), WindowBatch{rows.data(), t0.data(), R, 1}, calendar,
                   n_cal, base.data(), s, loc_rows);
      step_inputs_fwd(base.data(), E > 0 ? exog.data() + h * nb * E : nullptr, R, N, F0, F, x.data(), s);
      std::unique_ptr<nn::CudnnRnnContext> cur =
          rnn.forward(w.data(), x.data(), 1, R, nullptr, h0, c0, nn::Phase::Inference, s);
      head_forward_cublas(blas.get(), head_a, head_b, cur->y(), ones.data(), head_out.data(), Ri, Pi, Hdi);
      SampleParams sp;
      sp.kind = l.lik.kind;
      sp.tweedie_power = l.lik.tweedie_power;
      sp.tweedie_phi = req.tweedie_phi;
      sp.seed = req.seed;
      sp.n_rows = R;
      sp.n_paths = N;
      sp.n_out = P;
      sp.first_series = i0;
      sp.step = h;
      sp.n_horizon = H;
      sp.y_stride = L;
      sp.y_col = lb + ctx + h;
      sp.raw = head_out.data();
      sp.scale = scale_r.data();
      sp.loc = loc_rows;
      sp.nonneg = nonneg_d.data();
      sp.log1p = log1p_d.data();
      sp.point = point;
      sp.y = yp.data();
      sp.paths = paths.data();
      sample_paths_fwd(sp, s);
      // The next step starts from this one's final states; the previous context's buffers go
      // back to the pool in stream order, after this step's forward has read them.
      prev = std::move(cur);
      h0 = prev->h_n();
      c0 = lstm ? prev->c_n() : nullptr;
    }
    prev.reset();

    // 5. Means and quantiles.
    if (!point) path_sort(paths.data(), sorted.data(), nb * H, N, s);
    PathStatsParams ps;
    ps.n_series = nb;
    ps.n_horizon = H;
    ps.n_paths = N;
    ps.n_levels = Q;
    ps.paths = paths.data();
    ps.sorted = point ? nullptr : sorted.data();
    ps.levels = levels_d.data();
    ps.z = z_d.data();
    ps.point = point;
    ps.resid_sd = req.resid_sd;
    ps.scale = scale_d.data();
    ps.nonneg = nonneg_d.data();
    ps.log1p = log1p_d.data();
    ps.mean = mean_d.data();
    ps.quantiles = q_d.data();
    path_stats_fwd(ps, s);

    // 6. Out.
    SKU_CUDA_CHECK(cudaMemcpyAsync(mean_h.data(), mean_d.data(), static_cast<size_t>(nb * H) * sizeof(float),
                                   cudaMemcpyDeviceToHost, s));
    if (Q > 0)
      SKU_CUDA_CHECK(cudaMemcpyAsync(q_h.data(), q_d.data(), static_cast<size_t>(nb * H * Q) * sizeof(float),
                                     cudaMemcpyDeviceToHost, s));
    // While the device works on this block, the host composes the next one into the other
    // staging (last read by the previous block, which has finished).
    if (i0 + block < S1) compose(i0 + block, staging[(k + 1) % 2]);
    SKU_CUDA_CHECK(cudaStreamSynchronize(s));  // the block's results, and its staging free again
    std::copy(mean_h.data(), mean_h.data() + nb * H, out.mean.begin() + (i0 - S0) * H);
    std::copy(q_h.data(), q_h.data() + nb * H * Q, out.quantiles.begin() + (i0 - S0) * H * Q);
  }
  return out;
}

}  // namespace skucast::deepar

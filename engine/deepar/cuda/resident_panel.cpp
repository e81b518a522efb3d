// engine/deepar/cuda/resident_panel.cpp — ResidentPanel (engine/deepar/cuda/resident_panel.h):
// the panel on the device for the DeepAR GPU training step, whether it fits, its upload, the
// checks of windows cut there and the order of the cutting kernels.
// CUDA builds only.
#include "engine/deepar/cuda/resident_panel.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/deepar/cuda/train_kernels.h"
#include "kernels/common.hpp"
#include "kernels/cuda/check.cuh"
#include "kernels/features.hpp"
#include "kernels/likelihood.hpp"

namespace skucast::deepar {

ResidentPanel::ResidentPanel(const Layout& l, const PanelData& d, int64_t max_batch, int64_t max_steps,
                             int64_t context)
    : m_l(l),
      m_d(d),
      m_max_batch(max_batch),
      m_max_steps(max_steps),
      m_context(context),
      m_n_attr(static_cast<int64_t>(l.emb_k.size())),
      m_win_series(max_batch),
      m_win_t0(max_batch),
      m_loc(l.window_loc ? max_batch : 0) {}

int64_t ResidentPanel::bytes() const {
  const PanelData& d = m_d;
  const Layout& l = m_l;
  const int64_t rows = checked_mul(m_max_batch, m_max_steps);
  int64_t floats = checked_mul(d.n_series, d.n_time);
  floats += checked_mul(checked_mul(l.n_slabs, d.n_series), d.n_cov) + checked_mul(l.n_sreal, d.n_series);
  floats += checked_mul(d.pad + d.n_shared, d.n_shared_cols);
  floats += checked_mul(rows, l.n_base) + rows + l.n_params;  // base, head0, w_eval
  if (l.window_loc) floats += m_max_batch;                     // the windows' locations
  return checked_mul(floats, 4) + checked_mul(checked_mul(m_n_attr, d.n_series), 4) +
         checked_mul(l.n_dyn, static_cast<int64_t>(sizeof(DynColumn)));
}

bool ResidentPanel::fits(int64_t max_bytes, std::string* why) const {
  const PanelData& d = m_d;
  const Layout& l = m_l;
  auto gib = [](double b) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
    return std::string(buf);
  };
  if (m_context < 1)
    throw InputError("deepar: the resident panel needs the context length (CudaTrainSetup::context), got " +
                     std::to_string(m_context));
  const int64_t need = bytes();
  // The budget: --gpu-memory when given, never more than 80 % of what the device has free.
  size_t free_b = 0, total_b = 0;
  SKU_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const int64_t free80 = static_cast<int64_t>(0.8 * static_cast<double>(free_b));
  int64_t limit = free80;
  std::string limit_name = "80 % of the free device memory, " + gib(static_cast<double>(free80));
  if (max_bytes > 0 && max_bytes < free80) {
    limit = max_bytes;
    limit_name = "--gpu-memory " + gib(static_cast<double>(max_bytes));
  }
  if (need > limit) {
    if (why) *why = "the panel needs " + gib(static_cast<double>(need)) + " on the device, over " + limit_name;
    return false;
  }
  // What the per-step host checks (loss_check_inputs) would refuse must stay on that path,
  // where the step that draws it names it.
  const bool counts = l.lik.kind == Likelihood::NegBin || l.lik.kind == Likelihood::Tweedie;
  for (int64_t i = 0; i < static_cast<int64_t>(d.y.size()); ++i) {
    const float v = d.y[i];
    if (std::isnan(v)) continue;
    if (!std::isfinite(v) || (counts && v < 0)) {
      if (why) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "series %lld step %lld holds %g, which the %s loss refuses",
                      static_cast<long long>(i / d.n_time), static_cast<long long>(i % d.n_time),
                      static_cast<double>(v), nn::likelihood_name(l.lik.kind).c_str());
        *why = buf;
      }
      return false;
    }
  }
  return true;
}

bool ResidentPanel::upload(std::string* why) {
  const PanelData& d = m_d;
  const Layout& l = m_l;
  DeviceBuffer<float> y, dyn, sreal, shared, base, w_eval, head0;
  DeviceBuffer<DynColumn> dyn_cols;
  DeviceBuffer<int32_t> codes;
  try {
    y = DeviceBuffer<float>(d.y);
    const int64_t n_dyn_values = checked_mul(checked_mul(l.n_slabs, d.n_series), d.n_cov);
    if (static_cast<int64_t>(d.dyn.size()) != n_dyn_values)
      throw Error("deepar: the per-series covariates hold " + std::to_string(d.dyn.size()) +
                  " values, expected covariates x series x steps " + std::to_string(n_dyn_values));
    dyn = DeviceBuffer<float>(d.dyn);  // [n_slabs, S, T+F], PanelData's layout
    if (static_cast<int64_t>(d.sreal.size()) != checked_mul(l.n_sreal, d.n_series))
      throw Error("deepar: the static reals hold " + std::to_string(d.sreal.size()) + " values, expected " +
                  std::to_string(l.n_sreal) + " x " + std::to_string(d.n_series) + " series");
    if (!d.sreal.empty()) sreal = DeviceBuffer<float>(d.sreal);  // [n_sreal, S]
    if (!l.dyn_cols.empty()) dyn_cols = DeviceBuffer<DynColumn>(l.dyn_cols);
    shared = DeviceBuffer<float>(d.shared);
    std::vector<int32_t> host_codes(static_cast<size_t>(checked_mul(m_n_attr, d.n_series)));
    for (int64_t a = 0; a < m_n_attr; ++a)
      std::copy(d.codes[a], d.codes[a] + d.n_series, host_codes.begin() + a * d.n_series);
    codes = DeviceBuffer<int32_t>(host_codes);
    const int64_t rows = checked_mul(m_max_batch, m_max_steps);
    base = DeviceBuffer<float>(static_cast<size_t>(checked_mul(rows, l.n_base)));
    head0 = DeviceBuffer<float>(static_cast<size_t>(rows));
    w_eval = DeviceBuffer<float>(static_cast<size_t>(l.n_params));
    // From pageable memory a copy may return before it lands; the step runs on a non-blocking
    // stream, which does not wait for the legacy one.
    SKU_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
  } catch (const DeviceError& e) {
    // Out of device memory after all (another process took some): the host path still works.
    cudaGetLastError();  // the failed allocation's error must not surface at the next launch check
    if (why) *why = std::string("the panel did not fit on the device after all (") + e.what() + ")";
    return false;
  }
  m_y = std::move(y);
  m_dyn = std::move(dyn);
  m_sreal = std::move(sreal);
  m_dyn_cols = std::move(dyn_cols);
  m_shared = std::move(shared);
  m_codes = std::move(codes);
  m_base = std::move(base);
  m_head0 = std::move(head0);
  m_w_eval = std::move(w_eval);
  m_on = true;
  return true;
}

void ResidentPanel::check_windows(const int64_t* series, const int64_t* t0, int64_t B, int64_t T) const {
  const PanelData& d = m_d;
  if (B < 1 || B > m_max_batch || T < 1 || T > m_max_steps)
    throw InputError("deepar: the GPU step was sized for batches of 1.." + std::to_string(m_max_batch) +
                     " windows of 1.." + std::to_string(m_max_steps) + " steps, got " + std::to_string(B) + " x " +
                     std::to_string(T));
  for (int64_t b = 0; b < B; ++b) {
    if (series[b] < 0 || series[b] >= d.n_series)
      throw InputError("deepar: window " + std::to_string(b) + " names series " + std::to_string(series[b]) +
                       ", the panel has " + std::to_string(d.n_series));
    if (t0[b] < -d.pad || t0[b] + T > d.n_shared)
      throw InputError("deepar: window " + std::to_string(b) + " spans steps " + std::to_string(t0[b]) + ".." +
                       std::to_string(t0[b] + T - 1) + ", outside the panel's calendar " + std::to_string(-d.pad) +
                       ".." + std::to_string(d.n_shared - 1));
  }
}

void ResidentPanel::queue_windows(const int64_t* series_pinned, const int64_t* t0_pinned, int64_t B,
                                  cudaStream_t st) {
  SKU_CUDA_CHECK(cudaMemcpyAsync(m_win_series.data(), series_pinned, static_cast<size_t>(B) * sizeof(int64_t),
                                 cudaMemcpyHostToDevice, st));
  SKU_CUDA_CHECK(cudaMemcpyAsync(m_win_t0.data(), t0_pinned, static_cast<size_t>(B) * sizeof(int64_t),
                                 cudaMemcpyHostToDevice, st));
}

void ResidentPanel::cut(int64_t B, int64_t T, int64_t mask_from, int64_t mask_first, const float* wd,
                        const WindowOutputs& out, cudaStream_t st) {
  const PanelData& d = m_d;
  const Layout& l = m_l;
  const WindowBatch wb{m_win_series.data(), m_win_t0.data(), B, T};
  // Note [Window location] in engine/deepar/internal.h: the targets and the lags relative to each
  // window's location (HostWindows::cut's order: scale, target, mask, features).
  const float* loc = l.window_loc ? m_loc.data() : nullptr;
  if (l.window_loc)
    window_loc_scale(m_y.data(), d.n_series, d.n_time, wb, m_context, m_loc.data(), out.scale, st);
  else
    window_scale(m_y.data(), d.n_series, d.n_time, wb, m_context, out.scale, st);
  window_target(m_y.data(), d.n_series, d.n_time, wb, out.target, st, loc);
  mask_target(m_win_t0.data(), B, T, mask_from, mask_first, out.target, st);
  const int64_t C = d.n_shared_cols;
  features_fwd(l.spec, m_y.data(), d.n_series, d.n_time, out.scale, wb, m_shared.data() + d.pad * C, d.n_shared,
               m_base.data(), st, loc);
  compose_tail(m_base.data(), l.n_base, m_dyn.data(), m_sreal.data(), m_dyn_cols.data(), l.n_dyn, d.n_series,
               d.n_cov, m_win_series.data(), m_win_t0.data(), B, T, out.x, l.n_features, st);
  gather_codes(m_codes.data(), m_n_attr, d.n_series, m_win_series.data(), B, out.codes, st);
  embedding_fwd(out.emb_cols, static_cast<int>(out.n_emb_cols), out.emb_col0, out.codes, wd, out.x, T * B, B,
                l.n_features, st);
}

}  // namespace skucast::deepar

// engine/deepar/cuda/resident_panel.h — the panel resident on the device for the DeepAR GPU
// training step (Note [DeepAR training on the GPU] in engine/deepar/cuda/train_step.h): the
// device copy of the target, the per-series covariates, the shared calendar table and the
// static codes, the buffers cutting windows there needs, and the cutting itself (the
// kernels of kernels/features.hpp and engine/deepar/cuda/train_kernels.h). CudaTrainStep
// (engine/deepar/cuda/train_step.cpp) owns one: upload_panel, panel_bytes, submit_windows
// and evaluate go through it. Internal to engine/deepar/cuda; CUDA builds only.
#pragma once

#include <cstdint>
#include <string>

#include "engine/deepar/internal.h"
#include "engine/deepar/kernels.h"
#include "kernels/device_buffer.hpp"
#include "kernels/stream.hpp"

namespace skucast::deepar {

// The step's device buffers that cutting B windows of T steps writes (CudaTrainStep's).
struct WindowOutputs {
  float* x = nullptr;                         // [T, B, F] the inputs
  float* target = nullptr;                    // [T, B] masked targets
  float* scale = nullptr;                     // [B] per-window scale
  int32_t* codes = nullptr;                   // [A, B] the windows' static codes
  const EmbeddingColumn* emb_cols = nullptr;  // [n_emb_cols] (device)
  int64_t n_emb_cols = 0, emb_col0 = 0;       // embedding columns of x: emb_col0 .. emb_col0 + n_emb_cols - 1
};

class ResidentPanel {
 public:
  // [in] l: the model layout; d: the panel in memory (both must outlive this object);
  //      max_batch, max_steps: the largest B and window length of a step; context: the
  //      encoder steps (window_scale's span). Allocates the windows' device arrays only.
  ResidentPanel(const Layout& l, const PanelData& d, int64_t max_batch, int64_t max_steps, int64_t context);

  // Device bytes the panel would take (target, covariates, shared table, codes, and the
  // base features, head outputs and weights of the largest step).
  int64_t bytes() const;
  // Whether the panel may go to the device: bytes() fits max_bytes (0: no limit of its own)
  // and 80 % of the free device memory, and every target value is NaN or finite
  // (non-negative for count likelihoods). Otherwise false, and *why (when given) says why in a
  // few words. Throws InputError when the context is < 1.
  bool fits(int64_t max_bytes, std::string* why) const;
  // Copies the panel to the device (synchronous); false, with *why, when an allocation fails
  // after all (the panel then stays off the device).
  bool upload(std::string* why);
  bool on() const { return m_on; }

  // Throws InputError when B or T exceed the step's maxima, or a window names a series
  // outside the panel or steps outside its calendar (what cutting would read outside it).
  void check_windows(const int64_t* series, const int64_t* t0, int64_t n_batch, int64_t n_steps) const;
  // Queues the copies of the windows' series and origins (pinned host [B] each) to the device.
  void queue_windows(const int64_t* series_pinned, const int64_t* t0_pinned, int64_t n_batch, cudaStream_t stream);
  // Queues cutting the windows of the last queue_windows, n_steps each, into out: scale (and
  // location, Note [Window location]), target, the training mask (steps t < mask_first and t0[b] + t >= mask_from, as
  // deepar_train's cut), base features, covariate columns, static codes and the embedding
  // columns from the device weights wd [n_params].
  void cut(int64_t n_batch, int64_t n_steps, int64_t mask_from, int64_t mask_first, const float* wd,
           const WindowOutputs& out, cudaStream_t stream);

  float* w_eval() { return m_w_eval.data(); }  // [n_params] evaluate's weights
  float* head0() { return m_head0.data(); }    // [T*B] evaluate's first head outputs

 private:
  const Layout& m_l;
  const PanelData& m_d;
  int64_t m_max_batch = 0, m_max_steps = 0, m_context = 0, m_n_attr = 0;
  DeviceBuffer<float> m_y;                      // [S, T]
  DeviceBuffer<float> m_dyn;                    // [n_slabs, S, T+F]
  DeviceBuffer<float> m_sreal;                  // [n_sreal, S] (Note [Derived inputs])
  DeviceBuffer<DynColumn> m_dyn_cols;           // [n_dyn] Layout::dyn_cols
  DeviceBuffer<float> m_shared;                 // [pad + n_shared, C]
  DeviceBuffer<int32_t> m_codes;                // [A, S]
  DeviceBuffer<float> m_base;                   // [T*B, n_base] features_fwd's output
  DeviceBuffer<float> m_w_eval, m_head0;        // [n_params], [T*B]
  DeviceBuffer<int64_t> m_win_series, m_win_t0;  // [B] the windows being cut
  DeviceBuffer<float> m_loc;                    // [B] their locations (Note [Window location]); empty without
  bool m_on = false;
};

}  // namespace skucast::deepar

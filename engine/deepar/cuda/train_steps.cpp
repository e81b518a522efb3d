// engine/deepar/cuda/train_steps.cpp — the TrainStep (engine/deepar/train_step.h) of a CUDA
// build's GPU training: CudaTrainStep (train_step.h here) behind the trainer's interface, with
// the panel resident on the device (windows cut and validated there) or, when it does not
// fit, inputs composed on the host into pinned staging and validation on the CPU network
// (Note [DeepAR training on the GPU]).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/cuda/train_step.h"
#include "engine/deepar/train_step.h"
#include "engine/nn/rng.h"

namespace skucast::deepar {

namespace {

class CudaStep final : public TrainStep {
 public:
  CudaStep(std::unique_ptr<CudaTrainStep> gpu, bool resident, std::string note, const Layout& l, const PanelData& d,
           const std::vector<float>& w, int64_t context)
      : m_gpu(std::move(gpu)), m_resident(resident), m_note(std::move(note)), m_l(l), m_d(d), m_cpu(l),
        m_host_w(w), m_context(context) {}
  void set_lr(double lr) override { m_gpu->set_lr(lr); }
  int64_t n_steps() const override { return m_gpu->n_submitted(); }
  void train(const WindowSet& win) override {
    if (m_resident) {
      m_gpu->submit_windows(win.series, win.t0, win.n_batch, win.n_steps, win.mask_from, win.mask_first);
      return;
    }
    // Composed straight into pinned staging; the device refills the embedding columns from its
    // current weights (m_host_w is the copy of the last download).
    const CudaStepInputs in = m_gpu->next_inputs(win.n_batch, win.n_steps);
    m_hw.cut(m_d, m_l, m_context, m_host_w.data(), win, in.x);
    std::copy(m_hw.target.begin(), m_hw.target.end(), in.target);
    std::copy(m_hw.scale.begin(), m_hw.scale.end(), in.scale);
    m_gpu->submit(win.series, win.n_batch, win.n_steps);
  }
  std::vector<nn::LossValue> take_losses(bool wait) override { return m_gpu->take_losses(wait); }
  void download(std::vector<float>& w, std::vector<float>& m, std::vector<float>& v, int64_t& adam_step) override {
    m_gpu->download(w, m, v);
    adam_step = m_gpu->n_submitted();
    m_host_w = w;
  }
  nn::LossValue evaluate(const float* w, const WindowSet& win, EvalRows& rows) override {
    if (m_resident)
      return m_gpu->evaluate(w, win.series, win.t0, win.n_batch, win.n_steps, win.mask_from, win.mask_first,
                             &rows.target, &rows.scale, &rows.head0);
    return evaluate_on_cpu(m_d, m_l, m_context, m_cpu, m_hw, w, win, rows);
  }
  std::string note() const override { return m_note; }

 private:
  std::unique_ptr<CudaTrainStep> m_gpu;
  bool m_resident;
  std::string m_note;
  const Layout& m_l;
  const PanelData& m_d;
  CpuStep m_cpu;               // validation when the panel is not resident
  HostWindows m_hw;            // host-composed inputs
  std::vector<float> m_host_w;  // [n_params] the weights of the last download (embedding columns)
  int64_t m_context;
};

}  // namespace

std::unique_ptr<TrainStep> make_cuda_train_step(const Layout& l, const PanelData& d, const nn::AdamWConfig& adam,
                                                const std::vector<float>& w, const std::vector<float>& m,
                                                const std::vector<float>& v, int64_t adam_step,
                                                const TrainStepSetup& setup) {
  CudaTrainSetup cs;
  cs.precision = setup.precision;
  // cuDNN's dropout states: seeded from the run's seed and its AdamW step, so a resumed run
  // does not replay the masks of its first epochs.
  cs.dropout_seed = nn::splitmix64(setup.seed ^ nn::splitmix64(0xD5A61266F0C9392Cull + static_cast<uint64_t>(adam_step)));
  cs.context = setup.context;
  auto gpu = std::make_unique<CudaTrainStep>(l, d, setup.max_batch, setup.max_steps, adam, cs);
  gpu->upload(w, m, v, adam_step);
  std::string why;
  const bool resident = gpu->upload_panel(setup.max_panel_bytes, &why);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(gpu->panel_bytes()) / (1u << 30));
  std::string note = resident ? std::string("the panel is resident on the GPU (") + buf +
                                    "): windows are cut and validated there"
                              : "windows are composed on the host and validated on the CPU: " + why;
  return std::make_unique<CudaStep>(std::move(gpu), resident, std::move(note), l, d, w, setup.context);
}

}  // namespace skucast::deepar

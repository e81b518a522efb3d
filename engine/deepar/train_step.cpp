// engine/deepar/train_step.cpp — the CPU training step (CpuTrainStep), the host window cutter
// shared with the CUDA step that composes its inputs on the host, and make_train_step
// (engine/deepar/train_step.h).
#include "engine/deepar/train_step.h"

#include <utility>

#include "engine/deepar/kernels.h"
#include "engine/nn/blas.h"
#include "engine/nn/rng.h"
#include "kernels/common.hpp"

#ifdef SKUCAST_HAVE_CUDA
#include "engine/deepar/cuda/train_step.h"
#endif

namespace skucast::deepar {

void HostWindows::cut(const PanelData& d, const Layout& l, int64_t context, const float* w, const WindowSet& win,
                      float* x_out) {
  const int64_t B = win.n_batch, n_steps = win.n_steps;
  const WindowBatch wb{win.series, win.t0, B, n_steps};
  scale.resize(B);
  target.resize(checked_mul(n_steps, B));
  if (!x_out) {
    x.resize(checked_mul(n_steps * B, l.n_features));
    x_out = x.data();
  }
  if (l.window_loc) {  // Note [Window location]: the target relative to the window's location
    loc.resize(B);
    window_loc_scale_cpu(d.y.data(), d.n_series, d.n_time, wb, context, loc.data(), scale.data());
  } else {
    loc.clear();
    window_scale_cpu(d.y.data(), d.n_series, d.n_time, wb, context, scale.data());
  }
  window_target_cpu(d.y.data(), d.n_series, d.n_time, wb, target.data(), loc.empty() ? nullptr : loc.data());
  mask_target_cpu(win.t0, B, n_steps, win.mask_from, win.mask_first, target.data());  // the device's twin
  compose_inputs(d, l, w, d.y.data(), d.n_series, d.n_time, 0, win.series, win.series, win.t0, B, n_steps,
                 scale.data(), cs, x_out, loc.empty() ? nullptr : loc.data());
}

nn::LossValue evaluate_on_cpu(const PanelData& d, const Layout& l, int64_t context, CpuStep& cpu, HostWindows& hw,
                              const float* w, const WindowSet& win, EvalRows& rows) {
  hw.cut(d, l, context, w, win);
  const nn::LossValue v = cpu.run(d, l, w, hw.x.data(), hw.target.data(), hw.scale.data(), win.series, win.n_batch,
                                  win.n_steps, nn::Phase::Inference, 0, nullptr);
  const int64_t n_rows = win.n_steps * win.n_batch, stride = cpu.net.head.n_out();
  const float* y = cpu.dctx->y();  // [n_steps, B, P]
  rows.target = hw.target;
  rows.scale = hw.scale;
  rows.head0.resize(n_rows);
  for (int64_t r = 0; r < n_rows; ++r) rows.head0[r] = y[r * stride];
  return v;
}

namespace {

// The CPU step: the reference every other step is compared with (tests/gpu).
class CpuTrainStep final : public TrainStep {
 public:
  CpuTrainStep(const Layout& l, const PanelData& d, const nn::AdamWConfig& adam, const std::vector<float>& w,
               const std::vector<float>& m, const std::vector<float>& v, int64_t adam_step, int64_t context,
               uint64_t seed)
      : m_l(l), m_d(d), m_cpu(l), m_opt(adam, l.n_params), m_w(w), m_grad(l.n_params), m_context(context),
        m_seed(seed) {
    m_opt.m() = m;
    m_opt.v() = v;
    m_opt.set_step(adam_step);
  }
  void set_lr(double lr) override { m_opt.set_lr(lr); }
  int64_t n_steps() const override { return m_opt.n_steps(); }
  void train(const WindowSet& win) override {
    m_hw.cut(m_d, m_l, m_context, m_w.data(), win);
    // Dropout masks from the run's seed and the step number (Note [DeepAR windows]).
    const uint64_t dseed = nn::splitmix64(m_seed ^ (0xD5A61266F0C9392Cull + static_cast<uint64_t>(m_opt.n_steps())));
    m_losses.push_back(m_cpu.run(m_d, m_l, m_w.data(), m_hw.x.data(), m_hw.target.data(), m_hw.scale.data(),
                                 win.series, win.n_batch, win.n_steps, nn::Phase::Training, dseed, m_grad.data()));
    m_opt.step(m_w.data(), m_grad.data());
  }
  std::vector<nn::LossValue> take_losses(bool) override { return std::exchange(m_losses, {}); }
  void download(std::vector<float>& w, std::vector<float>& m, std::vector<float>& v, int64_t& adam_step) override {
    w = m_w;
    m = m_opt.m();
    v = m_opt.v();
    adam_step = m_opt.n_steps();
  }
  nn::LossValue evaluate(const float* w, const WindowSet& win, EvalRows& rows) override {
    return evaluate_on_cpu(m_d, m_l, m_context, m_cpu, m_hw, w, win, rows);
  }

 private:
  const Layout& m_l;
  const PanelData& m_d;
  CpuStep m_cpu;
  nn::AdamW m_opt;
  std::vector<float> m_w, m_grad;  // [n_params] the current weights and the batch's gradient
  HostWindows m_hw;
  std::vector<nn::LossValue> m_losses;
  int64_t m_context;
  uint64_t m_seed;
  // Note [One BLAS thread while a CPU step lives]
  //   The recurrence owns the threads (Note [Per-layer threading] in engine/nn/lstm.cpp), but
  //   between its passes the head and the per-window projection called BLAS with OpenBLAS's
  //   own pool, whose workers then met the OpenMP workers still spinning from the last
  //   region. At the train_cpu shape, 2 threads, the RNN alone scales 1.93x (forward +
  //   backward microbenchmark, 173 -> 89.6 ms) but the whole step only 1.46-1.54x: the rest
  //   of the step took ~16 ms at 1 thread and ~32 ms at 2. Holding OpenBLAS to one thread
  //   around each train() call gave +5 % (cc329cd) on that machine, and running the whole
  //   process with OPENBLAS_NUM_THREADS=1 seemed to give another ~15 %, so the guard now lives
  //   as long as the step: training batches, validation and the bookkeeping between them, with
  //   no switch of OpenBLAS's thread count per batch. On the next session's machine (a newer
  //   Xeon) the three did not differ: 2,525-2,656 windows/s each, 3 alternating rounds; the
  //   whole step scaled 1.75x there. Every BLAS call here is small beside the
  //   recurrence (the head is [T*B, Hd] x [Hd, P]). OpenBLAS splits a GEMM's rows or
  //   columns, never its sums, so the weights do not change.
  nn::BlasSingleThread m_one_blas_thread;
};

}  // namespace

std::unique_ptr<TrainStep> make_train_step(const Layout& l, const PanelData& d, const nn::AdamWConfig& adam,
                                           const std::vector<float>& w, const std::vector<float>& m,
                                           const std::vector<float>& v, int64_t adam_step,
                                           const TrainStepSetup& setup) {
  if (setup.device == Device::Cuda) {
#ifdef SKUCAST_HAVE_CUDA
    return make_cuda_train_step(l, d, adam, w, m, v, adam_step, setup);
#else
    throw DeviceError("deepar: the GPU training step is not available: this skucast was built without CUDA; "
                      "rebuild with -DSKUCAST_CUDA=ON, or train on the CPU (--device cpu)");
#endif
  }
  return std::make_unique<CpuTrainStep>(l, d, adam, w, m, v, adam_step, setup.context, setup.seed);
}

}  // namespace skucast::deepar

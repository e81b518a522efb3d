// engine/nn/loss.h — the training loss of the global models: a likelihood (or a point
// loss) over a batch of windows, masked and weighted, with its gradient (kernels/likelihood.hpp,
// Note [Likelihood parametrization]).
//
//   loss = sum_{t,b: y[t,b] observed} weight[b] * l(raw[t,b,:], y[t,b], scale[b])
//          / sum_{t,b: y[t,b] observed} weight[b]
// Masked rows (NaN target: not observed, or before launch) contribute nothing to the loss
// or the gradient. A batch with nothing observed has loss 0 and a zero gradient.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/likelihood.hpp"

namespace skucast::nn {

// "gaussian", "negbin", "tweedie", "mse", "mae" -> Likelihood; throws InputError otherwise.
Likelihood likelihood_from_name(const std::string& name);
std::string likelihood_name(Likelihood kind);

struct LossValue {
  double loss = 0.0;        // the weighted mean above
  double weight_sum = 0.0;  // its denominator
};

// [in]  raw [T, B, P], y [T, B] (NaN = masked), scale [B] (> 0), weight [B] (>= 0) or nullptr.
// [out] draw [T, B, P] = d loss / d raw (overwritten). Host pointers.
// Validates once here (STYLE M12): scale positive and finite, weights non-negative and
// finite, Tweedie power in (1, 2), and observed targets non-negative for NegBin and Tweedie;
// throws InputError naming the offending window otherwise.
template <typename T>
LossValue loss_forward_backward(const LikelihoodParams& params, const T* raw, const T* y, const T* scale,
                                const T* weight, int64_t n_steps, int64_t n_batch, T* draw);

// The validation of loss_forward_backward alone, for callers that evaluate the loss elsewhere
// (the GPU training step, engine/deepar/cuda/train_step.h): the same checks, the same messages.
template <typename T>
void loss_check_inputs(const LikelihoodParams& params, const T* y, const T* scale, const T* weight, int64_t n_steps,
                       int64_t n_batch);

}  // namespace skucast::nn

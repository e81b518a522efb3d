// engine/nn/loss.cpp — validation and normalization around the likelihood kernel (loss.h).
#include "engine/nn/loss.h"

#include <cmath>
#include <vector>

#include "kernels/common.hpp"

namespace skucast::nn {

Likelihood likelihood_from_name(const std::string& name) {
  if (name == "gaussian") return Likelihood::Gaussian;
  if (name == "negbin") return Likelihood::NegBin;
  if (name == "tweedie") return Likelihood::Tweedie;
  if (name == "mse") return Likelihood::Mse;
  if (name == "mae") return Likelihood::Mae;
  if (name == "student_t") return Likelihood::StudentT;
  throw InputError("unknown likelihood '" + name + "': expected gaussian, student_t, negbin, tweedie, mse or mae");
}

std::string likelihood_name(Likelihood kind) {
  switch (kind) {
    case Likelihood::Gaussian: return "gaussian";
    case Likelihood::NegBin: return "negbin";
    case Likelihood::Tweedie: return "tweedie";
    case Likelihood::Mse: return "mse";
    case Likelihood::Mae: return "mae";
    case Likelihood::StudentT: return "student_t";
  }
  return "unknown";
}

template <typename T>
void loss_check_inputs(const LikelihoodParams& params, const T* y, const T* scale, const T* weight, int64_t n_steps,
                       int64_t n_batch) {
  if (n_steps < 0 || n_batch < 0) throw InputError("loss: negative batch shape");
  if (params.kind == Likelihood::Tweedie && !(params.tweedie_power > 1.0 && params.tweedie_power < 2.0))
    throw InputError("loss: expected a Tweedie power in (1, 2), got " + std::to_string(params.tweedie_power));
  for (int64_t b = 0; b < n_batch; ++b) {
    if (!(std::isfinite(static_cast<double>(scale[b])) && scale[b] > T(0)))
      throw InputError("loss: window " + std::to_string(b) + ": expected a positive finite scale, got " +
                       std::to_string(static_cast<double>(scale[b])));
    if (weight && !(std::isfinite(static_cast<double>(weight[b])) && weight[b] >= T(0)))
      throw InputError("loss: window " + std::to_string(b) + ": expected a non-negative finite weight, got " +
                       std::to_string(static_cast<double>(weight[b])));
  }
  const int64_t rows = checked_mul(n_steps, n_batch);
  if (params.kind == Likelihood::NegBin || params.kind == Likelihood::Tweedie) {
    for (int64_t i = 0; i < rows; ++i)
      if (y[i] < T(0))  // NaN compares false: masked rows pass
        throw InputError("loss: " + likelihood_name(params.kind) + " needs non-negative targets; window " +
                         std::to_string(i % n_batch) + " step " + std::to_string(i / n_batch) + " has " +
                         std::to_string(static_cast<double>(y[i])));
  }
}

template <typename T>
LossValue loss_forward_backward(const LikelihoodParams& params, const T* raw, const T* y, const T* scale,
                                const T* weight, int64_t n_steps, int64_t n_batch, T* draw) {
  loss_check_inputs(params, y, scale, weight, n_steps, n_batch);
  const int64_t rows = checked_mul(n_steps, n_batch);
  LossValue out;
  out.weight_sum = likelihood_weight_sum_cpu(y, weight, n_steps, n_batch);
  const double grad_scale = out.weight_sum > 0 ? 1.0 / out.weight_sum : 0.0;
  std::vector<T> per_row(rows);  // [T, B]
  likelihood_fwd_bwd_cpu(params, raw, y, scale, weight, n_steps, n_batch, grad_scale, per_row.data(), draw);
  double total = 0.0;
  for (int64_t i = 0; i < rows; ++i) total += (weight ? static_cast<double>(weight[i % n_batch]) : 1.0) * per_row[i];
  out.loss = out.weight_sum > 0 ? total / out.weight_sum : 0.0;
  return out;
}

template void loss_check_inputs<float>(const LikelihoodParams&, const float*, const float*, const float*, int64_t,
                                       int64_t);
template void loss_check_inputs<double>(const LikelihoodParams&, const double*, const double*, const double*, int64_t,
                                        int64_t);
template LossValue loss_forward_backward<float>(const LikelihoodParams&, const float*, const float*, const float*,
                                                const float*, int64_t, int64_t, float*);
template LossValue loss_forward_backward<double>(const LikelihoodParams&, const double*, const double*,
                                                 const double*, const double*, int64_t, int64_t, double*);

}  // namespace skucast::nn

// kernels/likelihood_cpu.cpp — CPU reference for the likelihood losses and their gradients
// (see likelihood.hpp, Note [Likelihood parametrization]): OpenMP loops over the rows, whose
// per-element math is kernels/likelihood_math.hpp's, shared with kernels/cuda/likelihood.cu.
// One template over the storage type, computing in double.
#include "kernels/likelihood.hpp"

#include "kernels/likelihood_math.hpp"

namespace skucast {

namespace {

constexpr int64_t kOmpMinRows = 4096;  // below this, threads cost more than they save

template <typename T>
void fwd_bwd(const LikelihoodParams& params, const T* raw, const T* y, const T* scale, const T* weight,
             int64_t n_steps, int64_t n_batch, double grad_scale, T* loss, T* draw) {
  const int64_t P = likelihood_n_params(params.kind);
  const int64_t rows = n_steps * n_batch;
#pragma omp parallel for schedule(static) if (rows >= kOmpMinRows)
  for (int64_t i = 0; i < rows; ++i)  // row i = (t, b), time-major
    likelihood_row(params.kind, params.tweedie_power, P, raw, y, scale, weight, i, n_batch, grad_scale, loss, draw);
}

template <typename T>
double weight_sum(const T* y, const T* weight, int64_t n_steps, int64_t n_batch) {
  double s = 0.0;
  const int64_t rows = n_steps * n_batch;
  // Adding the 0 of a masked row leaves s unchanged: s is never -0 (it starts at +0).
#pragma omp parallel for schedule(static) reduction(+ : s) if (rows >= kOmpMinRows)
  for (int64_t i = 0; i < rows; ++i) s += likelihood_weight_term(y, weight, i, n_batch);
  return s;
}

}  // namespace

void likelihood_fwd_bwd_cpu(const LikelihoodParams& params, const float* raw, const float* y, const float* scale,
                            const float* weight, int64_t n_steps, int64_t n_batch, double grad_scale, float* loss,
                            float* draw) {
  fwd_bwd(params, raw, y, scale, weight, n_steps, n_batch, grad_scale, loss, draw);
}

void likelihood_fwd_bwd_cpu(const LikelihoodParams& params, const double* raw, const double* y, const double* scale,
                            const double* weight, int64_t n_steps, int64_t n_batch, double grad_scale, double* loss,
                            double* draw) {
  fwd_bwd(params, raw, y, scale, weight, n_steps, n_batch, grad_scale, loss, draw);
}

double likelihood_weight_sum_cpu(const float* y, const float* weight, int64_t n_steps, int64_t n_batch) {
  return weight_sum(y, weight, n_steps, n_batch);
}

double likelihood_weight_sum_cpu(const double* y, const double* weight, int64_t n_steps, int64_t n_batch) {
  return weight_sum(y, weight, n_steps, n_batch);
}

}  // namespace skucast

// engine/deepar/aggregate_paths.cpp — summed sample paths of a hierarchy's aggregates
// (Note [Summed sample paths] in aggregate_paths.h). No I/O.
#include "engine/deepar/aggregate_paths.h"

#include <algorithm>
#include <string>

#include "engine/deepar/sample.h"
#include "kernels/common.hpp"

namespace skucast::deepar {

AggregatePaths::AggregatePaths(const PathHierarchy& h, int64_t n_bottom, int64_t n_paths, int64_t horizon)
    : m_n_aggregates(h.n_aggregates), m_n_paths(n_paths), m_horizon(horizon) {
  const int64_t A = h.n_aggregates, nnz = A > 0 ? h.indptr[A] : 0;
  // Transpose the CSR (counting sort by bottom series): add_block walks a block's series.
  m_parent_ptr.assign(static_cast<size_t>(n_bottom) + 1, 0);
  for (int64_t k = 0; k < nnz; ++k) {
    const int32_t b = h.indices[k];
    if (b < 0 || b >= n_bottom)
      throw InputError("--levels: the hierarchy names bottom series " + std::to_string(b) + ", the panel has " +
                       std::to_string(n_bottom));
    ++m_parent_ptr[static_cast<size_t>(b) + 1];
  }
  for (int64_t b = 0; b < n_bottom; ++b) m_parent_ptr[b + 1] += m_parent_ptr[b];
  m_parents.resize(static_cast<size_t>(nnz));
  std::vector<int64_t> fill(m_parent_ptr.begin(), m_parent_ptr.end() - 1);
  for (int64_t a = 0; a < A; ++a)  // ascending a within each bottom series
    for (int64_t k = h.indptr[a]; k < h.indptr[a + 1]; ++k) m_parents[fill[h.indices[k]]++] = static_cast<int32_t>(a);
  m_sums.assign(checked_mul(checked_mul(A, n_paths), horizon), 0.0f);
}

void AggregatePaths::add_block(const float* paths, int64_t i0, int64_t nb) {
  const int64_t N = m_n_paths, H = m_horizon;
  // Threads split the paths, so each sum is added in the same order whatever their number.
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < N; ++p)
    for (int64_t i = 0; i < nb; ++i) {
      const float* src = paths + (i * N + p) * H;  // series i0 + i, path p [H]
      for (int64_t k = m_parent_ptr[i0 + i]; k < m_parent_ptr[i0 + i + 1]; ++k) {
        float* dst = m_sums.data() + (m_parents[k] * N + p) * H;  // its aggregate, path p [H]
        for (int64_t h = 0; h < H; ++h) dst[h] += src[h];
      }
    }
}

void AggregatePaths::summarise(const std::vector<double>& levels, std::vector<float>& mean,
                               std::vector<float>& quantiles) const {
  const int64_t A = m_n_aggregates, N = m_n_paths, H = m_horizon, Q = static_cast<int64_t>(levels.size());
  mean.assign(checked_mul(A, H), 0.0f);
  quantiles.assign(checked_mul(checked_mul(A, H), Q), 0.0f);
#pragma omp parallel for schedule(static)
  for (int64_t a = 0; a < A; ++a) {
    std::vector<float> v(static_cast<size_t>(N));
    for (int64_t h = 0; h < H; ++h) {
      double sum = 0;
      for (int64_t p = 0; p < N; ++p) v[p] = m_sums[(a * N + p) * H + h], sum += v[p];
      mean[a * H + h] = static_cast<float>(sum / static_cast<double>(N));
      std::sort(v.begin(), v.end());
      for (int64_t k = 0; k < Q; ++k)
        quantiles[(a * H + h) * Q + k] = static_cast<float>(quantile_sorted(v.data(), N, levels[k]));
    }
  }
}

}  // namespace skucast::deepar

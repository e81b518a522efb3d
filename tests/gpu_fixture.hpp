// tests/gpu_fixture.hpp — base fixture for GPU tests (STYLE T8) and the parity check (T1, T2).
// GpuTest::SetUp skips with the reason when no CUDA device can be used.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/device.hpp"

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (skucast::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device: " << skucast::cuda_device_description();
  }
};

// |got − ref| ≤ atol + rtol·|ref| element-wise; on failure reports the worst index, ref,
// got, max abs/rel error and the share of the budget used.
template <class T>
::testing::AssertionResult all_close(const std::vector<T>& ref, const std::vector<T>& got, double atol, double rtol) {
  if (ref.size() != got.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != reference size " << ref.size();
  double worst = 0, max_abs = 0, max_rel = 0;
  size_t at = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double r = static_cast<double>(ref[i]), g = static_cast<double>(got[i]);
    if (std::isnan(r) && std::isnan(g)) continue;
    const double err = std::fabs(g - r);
    const double budget = atol + rtol * std::fabs(r);
    const double used = std::isnan(err) ? INFINITY : err / budget;
    max_abs = std::max(max_abs, err);
    if (r != 0) max_rel = std::max(max_rel, err / std::fabs(r));
    if (used > worst) { worst = used; at = i; }
  }
  if (worst <= 1.0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "index " << at << ": ref " << static_cast<double>(ref[at]) << " got "
                                       << static_cast<double>(got[at]) << "; max abs err " << max_abs
                                       << ", max rel err " << max_rel << ", " << 100.0 * worst << "% of budget";
}

// engine/eval/reconcile.h — coherent forecasts for a hierarchy (`skucast reconcile`): base
// forecasts of every series of an aggregated panel (engine/eval/hierarchy.h) → forecasts whose
// aggregates equal the sums of their bottom series.
//
// Note [Reconciliation in constraint form]
//   With y = [a; b] (A aggregates, B bottom series) coherence is C y = 0, C = [I_A | −S_agg].
//   The linear (MinTrace) methods project the base forecasts ŷ onto that subspace in the
//   metric W⁻¹:  ỹ = ŷ − W Cᵀ (C W Cᵀ)⁻¹ C ŷ,  which equals S (SᵀW⁻¹S)⁻¹ SᵀW⁻¹ ŷ (what
//   hierarchicalforecast's MinTrace computes) but needs no N × N matrix: C W Cᵀ is A × A and
//   sparse when W is diagonal (diag(w_a) + S_agg diag(w_b) S_aggᵀ), factored by Eigen's
//   SimplicialLDLT (fill-reducing AMD ordering).
//     ols          W = I
//     wls_struct   W = diag(number of bottom series under each series)
//     wls_var      W = diag(Σ_t e_it² / T + 2e-8) over the in-sample one-step residuals e
//                  (NaN skipped in the sum, T counts every column: hierarchicalforecast's rule)
//     mint_shrink  W = Schäfer–Strimmer shrinkage of the residuals' sample covariance Σ̂, as
//                  hierarchicalforecast computes it: off-diagonal (1−λ)Σ̂_ij, diagonal
//                  max(Σ̂_ii, 2e-8), λ from the standardised residuals. Written as
//                  W = D + U Uᵀ, D diagonal and U = √((1−λ)/(T−1)) X (X the centred residuals,
//                  N × T), so C W Cᵀ = C D Cᵀ + V Vᵀ with V = C U (A × T), solved by the
//                  Woodbury identity with one sparse factorisation of C D Cᵀ and one T × T
//                  dense Cholesky; λ needs Σ_{i<j} (Σ_t z_it z_jt)², which is
//                  (‖ZᵀZ‖²_F − Σ_i ‖z_i‖⁴)/2, a T × T product. Memory O(N T + nnz(C D Cᵀ)).
//                  Residual cells that are NaN (a series not yet listed) count as 0 after
//                  centring (hierarchicalforecast's NaN variant uses pairwise-complete
//                  observations, which has no low-rank form); the fixtures have no NaN.
//                  Memory: the residuals once as double (they become U), a block of the
//                  standardised ones, T × T, and V, M⁻¹V (A × T each).
//   bu: ỹ_b = ŷ_b, ỹ_a = S_agg ŷ_b. td / mo:LEVEL: forecast proportions (hierarchicalforecast's
//   TopDown("forecast_proportions") and MiddleOut): from the top level (or LEVEL) down, each
//   child gets parent × ŷ_child / Σ ŷ_siblings (the parent split equally when |Σ| < 1e-8);
//   for mo the levels above LEVEL are its sums. Both need strictly nested levels.
//
// Note [Non-negative reconciliation]
//   --nonnegative, as hierarchicalforecast defines it: negative base forecasts are set to 0,
//   then for bu the bottom forecasts are summed and for td/mo the proportions split; for the
//   MinTrace methods the bottom forecasts solve  min_b ½‖ŷ⁺ − S b‖²_{W⁻¹}  subject to b ≥ 0
//   (a quadratic programme; hierarchicalforecast hands it to Clarabel) and ỹ = S b. Here an
//   active-set method: solve the projection with b_j = 0 for j in the active set (extra rows
//   e_jᵀ in C), add the negative b_j, release the j whose multiplier says b_j would grow, until
//   b ≥ 0 and every multiplier has the KKT sign; per horizon step. C W Cᵀ is factored once;
//   the active rows enter by a Schur complement (Note [Active sets by a bordered system] in
//   reconcile.cpp).
//
// Note [Reconciled quantiles]
//   Every quantile of a series moves by the same amount as its mean: q̃ = q + (ỹ − ŷ). Exact
//   for the linear methods' location under a location-shift family, and simple; the widths
//   stay the base model's (no claim of coherent intervals). With --nonnegative the shifted
//   quantiles are clipped at 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/forecast_file.h"
#include "io/hierarchy_file.h"

namespace skucast {

enum class ReconcileMethod { BottomUp, TopDown, MiddleOut, Ols, WlsStruct, WlsVar, MintShrink };

struct ReconcileOptions {
  ReconcileMethod method = ReconcileMethod::BottomUp;
  std::string middle_level;  // mo:LEVEL
  bool nonnegative = false;
  double mint_ridge = 2e-8;  // hierarchicalforecast's mint_shr_ridge
};

// "bu", "td", "mo:LEVEL", "ols", "wls_struct", "wls_var", "mint_shrink"; InputError otherwise.
ReconcileOptions parse_reconcile_method(const std::string& text);
std::string method_name(const ReconcileOptions& o);
bool needs_residuals(ReconcileMethod m);

struct ReconcileInfo {
  double shrinkage = -1.0;   // mint_shrink: hierarchicalforecast's λ (weight of the diagonal target)
  int64_t n_active_sets = 0;  // --nonnegative: projections solved
};

// [in] base [N, H] row-major (series in the structure's order); residuals [N, R] row-major
// (needed by wls_var, mint_shrink; NaN allowed). [out] reconciled [N, H]. Throws InputError on
// a method the structure cannot take (td/mo on crossed levels, an unknown mo level).
std::vector<double> reconcile_means(const HierarchyStructure& h, const ReconcileOptions& o, const double* base,
                                    int64_t horizon, const double* residuals, int64_t n_resid,
                                    ReconcileInfo* info = nullptr);
// The same with float residuals (a forecast file's, used in place).
std::vector<double> reconcile_means(const HierarchyStructure& h, const ReconcileOptions& o, const double* base,
                                    int64_t horizon, const float* residuals, int64_t n_resid,
                                    ReconcileInfo* info = nullptr);

// The whole forecast: means by reconcile_means (residuals: base.residuals), quantiles shifted
// (Note [Reconciled quantiles]); ids must match the structure's order (checked by the caller).
ForecastFile reconcile_forecast(const HierarchyStructure& h, const ReconcileOptions& o, const ForecastFile& base,
                                ReconcileInfo* info = nullptr);

}  // namespace skucast

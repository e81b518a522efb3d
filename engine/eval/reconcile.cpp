// engine/eval/reconcile.cpp — reconciliation methods (see reconcile.h, Note [Reconciliation in
// constraint form]).
#include "engine/eval/reconcile.h"

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <Eigen/SparseCholesky>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>

#include "engine/eval/hierarchy.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

using SpMat = Eigen::SparseMatrix<double>;  // column-major
using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

// C' = [I_A | −S_agg] plus one row e_{A+j}ᵀ per bottom series j in `zero`: (A + |zero|) × N.
SpMat constraint_matrix(const HierarchyStructure& h, const std::vector<int64_t>& zero) {
  const int64_t A = h.n_aggregates, N = h.n_series();
  std::vector<Eigen::Triplet<double>> tr;
  tr.reserve(static_cast<size_t>(A) + h.indices.size() + zero.size());
  for (int64_t a = 0; a < A; ++a) {
    tr.emplace_back(a, a, 1.0);
    for (int64_t p = h.indptr[static_cast<size_t>(a)]; p < h.indptr[static_cast<size_t>(a) + 1]; ++p)
      tr.emplace_back(a, A + h.indices[static_cast<size_t>(p)], -1.0);
  }
  for (size_t k = 0; k < zero.size(); ++k) tr.emplace_back(A + static_cast<int64_t>(k), A + zero[k], 1.0);
  SpMat C(A + static_cast<int64_t>(zero.size()), N);
  C.setFromTriplets(tr.begin(), tr.end());
  return C;
}

// The projection ỹ = ŷ − W C'ᵀ (C' W C'ᵀ)⁻¹ C' ŷ for W = diag(d) + U Uᵀ (U: N × R, R may be 0),
// by the Woodbury identity when R > 0. Returns ỹ (N × H); z (m × H) are the multipliers.
struct Projection {
  Mat y, z;
};

Projection project(const HierarchyStructure& h, const Vec& d, const Mat& U, const std::vector<int64_t>& zero,
                   const Mat& yhat) {
  const SpMat C = constraint_matrix(h, zero);
  const int64_t m = C.rows();
  if (m == 0) return {yhat, Mat(0, yhat.cols())};
  const SpMat CD = C * d.asDiagonal();
  // Entries of C W Cᵀ are sums of positive weights (no cancellation), so the plain product,
  // faster than Eigen's pruning one, has no stored zeros to prune.
  const SpMat M = CD * C.transpose();
  Eigen::SimplicialLDLT<SpMat> ldlt(M);
  if (ldlt.info() != Eigen::Success)
    throw InputError("reconcile: the constraint system C W Cᵀ could not be factored (W is not positive definite: "
                     "a residual variance of 0?)");
  const Mat r = C * yhat;  // m × H
  Mat z = ldlt.solve(r);
  Mat Vt_z;
  Mat V;
  if (U.cols() > 0) {
    V = C * U;                          // m × R
    const Mat Y = ldlt.solve(V);        // M⁻¹ V
    Mat K = V.transpose() * Y;          // R × R
    K.diagonal().array() += 1.0;
    const Eigen::LLT<Mat> llt(K);
    if (llt.info() != Eigen::Success) throw InputError("reconcile: the Woodbury system is not positive definite");
    z -= Y * llt.solve(V.transpose() * z);
  }
  const Mat Ctz = C.transpose() * z;  // N × H
  Mat y = yhat - d.asDiagonal() * Ctz;
  if (U.cols() > 0) y -= U * (U.transpose() * Ctz);
  return {std::move(y), std::move(z)};
}

// Schäfer–Strimmer shrinkage as hierarchicalforecast computes it (no-NaN form), in low-rank
// form: W = diag(dg) + U Uᵀ. [in] X: centred residuals N × R; [out] X becomes U (scaled in
// place, so the residuals are held once). Returns λ. The standardised residuals z_i = x_i / s_i
// are formed a block of rows at a time (ZᵀZ accumulated by blocks), never whole.
double shrunk_covariance(Mat& X, double ridge, Vec& dg) {
  const int64_t N = X.rows(), R = X.cols();
  if (R < 2) throw InputError("reconcile: mint_shrink needs at least 2 in-sample residual steps, got " + std::to_string(R));
  constexpr double eps = 2e-8;
  constexpr int64_t kBlock = 2048;  // rows of Z formed at a time
  const Vec sumsq = X.rowwise().squaredNorm();
  Vec inv(N);
  for (int64_t i = 0; i < N; ++i) inv(i) = 1.0 / (std::sqrt(sumsq(i) / R) + eps);
  Mat gram = Mat::Zero(R, R);  // ZᵀZ (lower triangle)
  Vec col2 = Vec::Zero(R);     // Σ_i z_it²
  double fourth = 0.0, gii2 = 0.0;
  for (int64_t r0 = 0; r0 < N; r0 += kBlock) {
    const int64_t nb = std::min(kBlock, N - r0);
    const Mat Zb = inv.segment(r0, nb).asDiagonal() * X.middleRows(r0, nb);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(Zb.transpose());
    const auto Z2 = Zb.array().square();
    col2 += Z2.colwise().sum().matrix().transpose();
    fourth += Z2.square().sum();
    gii2 += Z2.rowwise().sum().square().sum();
  }
  // Σ_{i<j} Σ_t z_it² z_jt² = ½ Σ_t [(Σ_i z_it²)² − Σ_i z_it⁴]
  const double sum_c2 = 0.5 * (col2.squaredNorm() - fourth);
  // Σ_{i<j} G_ij² with G = Z Zᵀ: ½ (‖ZᵀZ‖²_F − Σ_i G_ii²)
  double fro = 0.0;
  for (int64_t c = 0; c < R; ++c) {
    fro += gram(c, c) * gram(c, c);
    for (int64_t r = c + 1; r < R; ++r) fro += 2.0 * gram(r, c) * gram(r, c);
  }
  const double sum_g2 = 0.5 * (fro - gii2);
  const double Td = static_cast<double>(R);
  const double sum_var = sum_c2 - sum_g2 / Td;
  const double sum_sq = sum_g2 / (Td * Td);
  const double lambda = std::clamp(sum_var / (Td * (Td - 1.0)) / (sum_sq + eps), 0.0, 1.0);
  const double keep = 1.0 - lambda;
  dg.resize(N);
  for (int64_t i = 0; i < N; ++i) {
    const double var = sumsq(i) / (Td - 1.0);
    dg(i) = std::max(var, ridge) - keep * var;
    if (!(dg(i) > 0.0))
      throw InputError("reconcile: mint_shrink's covariance is singular (shrinkage intensity " + std::to_string(lambda) +
                       "); use wls_var or more residual steps");
  }
  X *= std::sqrt(keep / (Td - 1.0));  // X is U now
  return lambda;
}

// Note [Threads in reconciliation]
//   Eigen splits a dense product over its OpenMP threads from about 50,000 multiply-adds per
//   thread on. The products here that grow with the data are the Woodbury system Vᵀ M⁻¹ V
//   (R × A × R, R residual steps) and U (Uᵀ x) (N × R × H); the sparse factorisation and
//   solves run on one thread anyway. Below kParallelWork multiply-adds (tens of ms on one
//   core) a second thread can gain at most that, while a thread that the machine deschedules
//   (a shared machine, the nightly job's other stages) stalls every product at its barrier:
//   on the 4,354-series M5 subset (R = 365, 2e8 multiply-adds) on a loaded 2-core VM the
//   reconciliation took 0.20 s on one thread against 0.44-0.83 s on two, burning 3x the CPU
//   (bench/README.md, hierarchy). So smaller systems run on one thread; larger ones (30,000
//   series with M5's 1,941 residual steps: 5e10) keep Eigen's threads. The count is restored
//   afterwards (Eigen's setting is process-wide).
class EigenThreadScope {
 public:
  static constexpr double kParallelWork = 1e9;  // multiply-adds
  explicit EigenThreadScope(double work) : m_prev(Eigen::nbThreads()) {
    if (work < kParallelWork) Eigen::setNbThreads(1);
  }
  ~EigenThreadScope() { Eigen::setNbThreads(m_prev); }
  EigenThreadScope(const EigenThreadScope&) = delete;
  EigenThreadScope& operator=(const EigenThreadScope&) = delete;

 private:
  int m_prev;
};

// Bottom-up on bottom values b [B, H] → y [N, H].
Mat bottom_up(const HierarchyStructure& h, const Mat& b) {
  const int64_t A = h.n_aggregates, B = h.n_bottom;
  Mat y(A + B, b.cols());
  y.bottomRows(B) = b;
  for (int64_t a = 0; a < A; ++a) {
    y.row(a).setZero();
    for (int64_t p = h.indptr[static_cast<size_t>(a)]; p < h.indptr[static_cast<size_t>(a) + 1]; ++p)
      y.row(a) += b.row(h.indices[static_cast<size_t>(p)]);
  }
  return y;
}

// Forecast proportions from level `top` down (Note [Reconciliation in constraint form]).
Mat top_down(const HierarchyStructure& h, const Mat& yhat, int64_t top) {
  const LevelTree tree = nested_levels(h);  // InputError on crossed levels
  const int64_t L = static_cast<int64_t>(h.level_names.size()), H = yhat.cols();
  Mat rec = yhat;
  for (int64_t l = top + 1; l < L; ++l) {
    const int64_t r0 = tree.level_begin[static_cast<size_t>(l)], p0 = tree.level_begin[static_cast<size_t>(l) - 1];
    const std::vector<int64_t>& par = tree.parent[static_cast<size_t>(l)];
    const int64_t n_par = tree.level_begin[static_cast<size_t>(l)] - p0;
    Mat sums = Mat::Zero(n_par, H);
    std::vector<int64_t> n_kids(static_cast<size_t>(n_par), 0);
    for (size_t g = 0; g < par.size(); ++g) {
      sums.row(par[g]) += yhat.row(r0 + static_cast<int64_t>(g));
      ++n_kids[static_cast<size_t>(par[g])];
    }
    for (size_t g = 0; g < par.size(); ++g) {
      const int64_t row = r0 + static_cast<int64_t>(g), pr = p0 + par[g];
      for (int64_t k = 0; k < H; ++k) {
        const double s = sums(par[g], k);
        rec(row, k) = std::fabs(s) < 1e-8 ? rec(pr, k) / static_cast<double>(n_kids[static_cast<size_t>(par[g])])
                                          : yhat(row, k) * rec(pr, k) / s;
      }
    }
  }
  return bottom_up(h, rec.bottomRows(h.n_bottom));  // levels above `top`: sums
}

// Note [Active sets by a bordered system]
//   The non-negative programme fixes b_j = 0 for the bottom series j of an active set Z: the
//   constraints C'y = 0 with C' = [C; E_Z]. Instead of factoring C'WC'ᵀ for every active set,
//   M = C W Cᵀ is factored once (with the Woodbury correction for mint_shrink) and the rows of
//   E_Z enter through the Schur complement of the bordered system [[M, G], [Gᵀ, E]], with
//   G = C W E_Zᵀ (A × |Z|) and E = E_Z W E_Zᵀ: |Z| × |Z| dense, M⁻¹g_j cached per series j.
class ActiveSetSolver {
 public:
  // Active sets larger than this are solved by factoring C'WC'ᵀ itself (project): forming the
  // |Z| × |Z| Schur complement costs |Z|² A, more than a sparse factorisation once |Z| is large.
  static constexpr int64_t kMaxBordered = 256;

  ActiveSetSolver(const HierarchyStructure& h, const Vec& d, const Mat& U)
      : m_h(h), m_A(h.n_aggregates), m_d(d), m_U(U), m_C(constraint_matrix(h, {})) {
    const SpMat CD = m_C * d.asDiagonal();
    const SpMat M = CD * m_C.transpose();  // no stored zeros (project)
    m_ldlt.compute(M);
    if (m_ldlt.info() != Eigen::Success)
      throw InputError("reconcile: the constraint system C W Cᵀ could not be factored (W is not positive definite)");
    if (U.cols() > 0) {
      m_V = m_C * U;
      m_Y = m_ldlt.solve(m_V);
      Mat K = m_V.transpose() * m_Y;
      K.diagonal().array() += 1.0;
      m_kllt.compute(K);
      if (m_kllt.info() != Eigen::Success) throw InputError("reconcile: the Woodbury system is not positive definite");
    }
  }

  // [in] yhat [N]; zero: active bottom series (ascending). [out] y [N] the projection with
  // b_j = 0 on Z, z2 [|Z|] the multipliers of those constraints.
  void solve(const Vec& yhat, const std::vector<int64_t>& zero, Vec& y, Vec& z2) {
    const int64_t nz = static_cast<int64_t>(zero.size());
    if (nz > kMaxBordered) {  // the dense Schur complement would cost more than a new factorisation
      const Projection pr = project(m_h, m_d, m_U, zero, yhat);
      y = pr.y.col(0);
      z2 = pr.z.col(0).tail(nz);
      return;
    }
    const Vec r1 = m_C * yhat;
    const Vec mr1 = minv(r1);
    Vec z1 = mr1;
    z2.resize(nz);
    if (nz > 0) {
      Mat G(m_A, nz), MG(m_A, nz);
      Vec r2(nz);
      for (int64_t q = 0; q < nz; ++q) {
        const Entry& e = entry(zero[static_cast<size_t>(q)]);
        G.col(q) = e.g;
        MG.col(q) = e.mg;
        r2(q) = yhat(m_A + zero[static_cast<size_t>(q)]);
      }
      Mat S = -(G.transpose() * MG);  // E − Gᵀ M⁻¹ G
      for (int64_t q = 0; q < nz; ++q) S(q, q) += m_d(m_A + zero[static_cast<size_t>(q)]);
      if (m_U.cols() > 0) {
        Mat Uz(nz, m_U.cols());
        for (int64_t q = 0; q < nz; ++q) Uz.row(q) = m_U.row(m_A + zero[static_cast<size_t>(q)]);
        S.noalias() += Uz * Uz.transpose();
      }
      const Eigen::LDLT<Mat> sl(S);
      z2 = sl.solve(r2 - G.transpose() * mr1);
      z1.noalias() -= MG * z2;
    }
    Vec x = m_C.transpose() * z1;  // C'ᵀ z
    for (int64_t q = 0; q < nz; ++q) x(m_A + zero[static_cast<size_t>(q)]) += z2(q);
    y = yhat - m_d.cwiseProduct(x);
    if (m_U.cols() > 0) y.noalias() -= m_U * (m_U.transpose() * x);
  }

 private:
  struct Entry {
    Vec g, mg;  // C W e_{A+j} and M⁻¹ of it
  };
  Vec minv(const Vec& r) const {
    Vec z = m_ldlt.solve(r);
    if (m_U.cols() > 0) z -= m_Y * m_kllt.solve(m_V.transpose() * z);
    return z;
  }
  const Entry& entry(int64_t j) {
    auto it = m_cache.find(j);
    if (it != m_cache.end()) return it->second;
    if (static_cast<int64_t>(m_cache.size()) * m_A > (int64_t{1} << 26)) m_cache.clear();  // ≤ 1 GiB of cache
    const int64_t col = m_A + j;
    Entry e;
    e.g = Vec::Zero(m_A);
    for (SpMat::InnerIterator c(m_C, col); c; ++c) e.g(c.row()) += m_d(col) * c.value();
    if (m_U.cols() > 0) e.g.noalias() += m_V * m_U.row(col).transpose();
    e.mg = minv(e.g);
    return m_cache.emplace(j, std::move(e)).first->second;
  }

  const HierarchyStructure& m_h;
  int64_t m_A;
  const Vec& m_d;
  const Mat& m_U;
  SpMat m_C;
  Eigen::SimplicialLDLT<SpMat> m_ldlt;
  Mat m_V, m_Y;
  Eigen::LLT<Mat> m_kllt;
  std::unordered_map<int64_t, Entry> m_cache;
};

Mat nonnegative_mintrace(const HierarchyStructure& h, const Vec& d, const Mat& U, const Mat& yhat,
                         ReconcileInfo* info) {
  const int64_t A = h.n_aggregates, B = h.n_bottom, H = yhat.cols();
  Mat out(A + B, H);
  const int64_t max_iter = 10 * B + 100;
  ActiveSetSolver solver(h, d, U);  // Note [Active sets by a bordered system]
  Vec y, z2;
  for (int64_t k = 0; k < H; ++k) {
    const Vec col = yhat.col(k);
    std::vector<int64_t> zero;  // active set, ascending
    solver.solve(col, zero, y, z2);
    // Every release at once first (few projections); once an active set comes back (the
    // block moves can cycle), one release at a time, the largest multiplier first, which
    // ends at the KKT point.
    std::set<std::vector<int64_t>> seen;
    bool one_at_a_time = false;
    int64_t iter = 1;
    for (;; ++iter) {
      if (iter > max_iter) throw Error("reconcile --nonnegative: the active-set method did not converge");
      // Primal: add every bottom forecast below 0.
      std::vector<int64_t> add;
      for (int64_t j = 0; j < B; ++j)
        if (y(A + j) < -1e-10 && !std::binary_search(zero.begin(), zero.end(), j)) add.push_back(j);
      if (!add.empty()) {
        zero.insert(zero.end(), add.begin(), add.end());
        std::sort(zero.begin(), zero.end());
      } else {
        // Dual: the gradient of ½‖ŷ − S b‖² for b_j (j active) is −z_j: release those with z_j > 0.
        int64_t best = -1;
        double best_z = 1e-10;
        std::vector<int64_t> keep;
        for (size_t q = 0; q < zero.size(); ++q) {
          const double zq = z2(static_cast<int64_t>(q));
          if (zq > best_z) best_z = zq, best = static_cast<int64_t>(q);
          if (!(zq > 1e-10)) keep.push_back(zero[q]);
        }
        if (best < 0) break;
        if (one_at_a_time) zero.erase(zero.begin() + best);
        else zero = std::move(keep);
      }
      if (!one_at_a_time && !seen.insert(zero).second) one_at_a_time = true;
      solver.solve(col, zero, y, z2);
    }
    if (info) info->n_active_sets += iter;
    // Exactly zero where active, clipped rounding elsewhere, then summed (hierarchicalforecast: S b).
    Mat b = y.tail(B).cwiseMax(0.0);
    out.col(k) = bottom_up(h, b).col(0);
  }
  return out;
}

}  // namespace

ReconcileOptions parse_reconcile_method(const std::string& text) {
  ReconcileOptions o;
  if (text == "bu") o.method = ReconcileMethod::BottomUp;
  else if (text == "td") o.method = ReconcileMethod::TopDown;
  else if (text.rfind("mo:", 0) == 0 && text.size() > 3) o.method = ReconcileMethod::MiddleOut, o.middle_level = text.substr(3);
  else if (text == "ols") o.method = ReconcileMethod::Ols;
  else if (text == "wls_struct") o.method = ReconcileMethod::WlsStruct;
  else if (text == "wls_var") o.method = ReconcileMethod::WlsVar;
  else if (text == "mint_shrink") o.method = ReconcileMethod::MintShrink;
  else
    throw InputError("--method: unknown method '" + text +
                     "'; expected bu, td, mo:LEVEL (a level of the structure), ols, wls_struct, wls_var or mint_shrink");
  return o;
}

std::string method_name(const ReconcileOptions& o) {
  switch (o.method) {
    case ReconcileMethod::BottomUp: return "bu";
    case ReconcileMethod::TopDown: return "td";
    case ReconcileMethod::MiddleOut: return "mo:" + o.middle_level;
    case ReconcileMethod::Ols: return "ols";
    case ReconcileMethod::WlsStruct: return "wls_struct";
    case ReconcileMethod::WlsVar: return "wls_var";
    case ReconcileMethod::MintShrink: return "mint_shrink";
  }
  return "?";
}

bool needs_residuals(ReconcileMethod m) { return m == ReconcileMethod::WlsVar || m == ReconcileMethod::MintShrink; }

namespace {

// Residuals [N, R] stored as double (tests, fixtures) or float (forecast files, read in place).
struct ResidualView {
  const double* d = nullptr;
  const float* f = nullptr;
  bool empty() const { return d == nullptr && f == nullptr; }
  double operator[](int64_t i) const { return d ? d[i] : static_cast<double>(f[i]); }
};

std::vector<double> reconcile_impl(const HierarchyStructure& h, const ReconcileOptions& o, const double* base,
                                   int64_t horizon, ResidualView residuals, int64_t n_resid, ReconcileInfo* info) {
  const int64_t A = h.n_aggregates, B = h.n_bottom, N = A + B, H = horizon;
  Mat yhat(N, H);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t k = 0; k < H; ++k) yhat(i, k) = base[i * H + k];
  if (o.nonnegative) yhat = yhat.cwiseMax(0.0);  // Note [Non-negative reconciliation]
  Mat out;
  switch (o.method) {
    case ReconcileMethod::BottomUp: out = bottom_up(h, yhat.bottomRows(B)); break;
    case ReconcileMethod::TopDown: out = top_down(h, yhat, 0); break;
    case ReconcileMethod::MiddleOut: {
      const auto it = std::find(h.level_names.begin(), h.level_names.end(), o.middle_level);
      if (it == h.level_names.end()) {
        std::string names;
        for (const auto& n : h.level_names) names += (names.empty() ? "" : ", ") + n;
        throw InputError("--method mo:" + o.middle_level + ": the structure has no level '" + o.middle_level +
                         "' (its levels: " + names + ")");
      }
      out = top_down(h, yhat, it - h.level_names.begin());
      break;
    }
    default: {
      // Note [Threads in reconciliation]: R, the columns of the covariance's low-rank part.
      const double R = o.method == ReconcileMethod::MintShrink ? static_cast<double>(n_resid) : 0.0;
      const EigenThreadScope threads(R * R * static_cast<double>(A) + R * static_cast<double>(N * H));
      Vec d(N);
      Mat U(N, 0);
      if (needs_residuals(o.method)) {
        if (residuals.empty() || n_resid < 1)
          throw InputError("--method " + method_name(o) + " needs in-sample one-step residuals in the base forecast "
                           "file: run `skucast forecast ... --residuals`");
        if (o.method == ReconcileMethod::WlsVar) {
          for (int64_t i = 0; i < N; ++i) {
            double s = 0.0;
            for (int64_t t = 0; t < n_resid; ++t) {
              const double e = residuals[i * n_resid + t];
              if (!std::isnan(e)) s += e * e;
            }
            d(i) = s / static_cast<double>(n_resid) + 2e-8;
          }
        } else {
          Mat X(N, n_resid);
          for (int64_t i = 0; i < N; ++i) {
            double s = 0.0;
            int64_t n = 0;
            for (int64_t t = 0; t < n_resid; ++t) {
              const double e = residuals[i * n_resid + t];
              if (!std::isnan(e)) s += e, ++n;
            }
            const double mean = n > 0 ? s / static_cast<double>(n) : 0.0;
            for (int64_t t = 0; t < n_resid; ++t) {
              const double e = residuals[i * n_resid + t];
              X(i, t) = std::isnan(e) ? 0.0 : e - mean;
            }
          }
          const double lambda = shrunk_covariance(X, o.mint_ridge, d);
          U = std::move(X);
          if (info) info->shrinkage = lambda;
        }
      } else if (o.method == ReconcileMethod::Ols) {
        d.setOnes();
      } else {  // wls_struct: the number of bottom series under each series
        for (int64_t a = 0; a < A; ++a)
          d(a) = static_cast<double>(h.indptr[static_cast<size_t>(a) + 1] - h.indptr[static_cast<size_t>(a)]);
        d.tail(B).setOnes();
      }
      out = o.nonnegative ? nonnegative_mintrace(h, d, U, yhat, info) : project(h, d, U, {}, yhat).y;
    }
  }
  std::vector<double> res(static_cast<size_t>(N * H));
  for (int64_t i = 0; i < N; ++i)
    for (int64_t k = 0; k < H; ++k) res[static_cast<size_t>(i * H + k)] = out(i, k);
  return res;
}

}  // namespace

std::vector<double> reconcile_means(const HierarchyStructure& h, const ReconcileOptions& o, const double* base,
                                    int64_t horizon, const double* residuals, int64_t n_resid, ReconcileInfo* info) {
  return reconcile_impl(h, o, base, horizon, ResidualView{residuals, nullptr}, n_resid, info);
}

std::vector<double> reconcile_means(const HierarchyStructure& h, const ReconcileOptions& o, const double* base,
                                    int64_t horizon, const float* residuals, int64_t n_resid, ReconcileInfo* info) {
  return reconcile_impl(h, o, base, horizon, ResidualView{nullptr, residuals}, n_resid, info);
}

ForecastFile reconcile_forecast(const HierarchyStructure& h, const ReconcileOptions& o, const ForecastFile& base,
                                ReconcileInfo* info) {
  const int64_t N = h.n_series(), H = base.horizon, Q = static_cast<int64_t>(base.levels.size());
  if (static_cast<int64_t>(base.ids.size()) != N)
    throw InputError("reconcile: the base forecast has " + std::to_string(base.ids.size()) +
                     " series, the structure " + std::to_string(N));
  std::vector<double> b(base.mean.begin(), base.mean.end());
  const std::vector<double> rec =
      reconcile_means(h, o, b.data(), H, base.residual_steps > 0 ? base.residuals.data() : nullptr,
                      base.residual_steps, info);
  ForecastFile out = base;
  out.model = base.model + "/" + method_name(o);
  out.residuals.clear();
  out.residual_steps = 0;
  if (out.series_level.empty()) {  // the `level` CSV column
    out.series_level.resize(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i)
      out.series_level[static_cast<size_t>(i)] = h.level_names[static_cast<size_t>(h.level[static_cast<size_t>(i)])];
  }
  for (int64_t i = 0; i < N; ++i)
    for (int64_t k = 0; k < H; ++k) {
      const size_t c = static_cast<size_t>(i * H + k);
      out.mean[c] = static_cast<float>(rec[c]);
      const double shift = rec[c] - static_cast<double>(base.mean[c]);  // Note [Reconciled quantiles]
      for (int64_t q = 0; q < Q; ++q) {
        float& v = out.quantiles[c * static_cast<size_t>(Q) + static_cast<size_t>(q)];
        double nv = static_cast<double>(v) + shift;
        if (o.nonnegative) nv = std::max(nv, 0.0);
        v = static_cast<float>(nv);
      }
    }
  return out;
}

}  // namespace skucast

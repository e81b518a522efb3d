// engine/deepar/internal.h — internals shared by engine/deepar/data.cpp (panel in memory,
// input composition), engine/deepar/train.cpp (training) and engine/deepar/forecast.cpp (sampling).
// Not part of the model interface (engine/deepar/model.h).
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/deepar/aggregate_paths.h"
#include "engine/deepar/kernels.h"
#include "engine/deepar/model.h"
#include "engine/deepar/sample.h"
#include "engine/nn/attention.h"
#include "engine/nn/dense.h"
#include "engine/nn/loss.h"
#include "engine/nn/rnn.h"
#include "io/time_axis.h"
#include "kernels/features.hpp"
#include "kernels/likelihood.hpp"

namespace skucast::deepar {

// The panel as the model reads it, in memory.
struct PanelData {
  int64_t n_series = 0, n_time = 0;  // S, T
  int64_t n_cov = 0;                 // T+F: steps of known covariates
  std::vector<float> y;              // [S, T] target, NaN = not observed
  std::vector<int64_t> first, last;  // [S] first / last observed step, -1 when none
  std::vector<float> dyn;            // [n_slabs, S, T+F] per-series covariates, normalised (NaN -> 0)
  std::vector<float> sreal;          // [n_sreal, S] static reals (Note [Derived inputs]); empty: none
  // Shared per-step columns (calendar, events, shared covariates), padded with zero rows in
  // front: row (pad + tau) describes absolute step tau, for tau in [-pad, n_shared).
  int64_t pad = 0, n_shared = 0, n_shared_cols = 0;
  std::vector<float> shared;         // [pad + n_shared, C]
  std::vector<const int32_t*> codes; // per static: [S] codes
  std::vector<std::vector<int32_t>> code_store;
  bool covariates_extended = false;  // future covariates were repeated to reach the horizon
  std::vector<float> weight;         // [S] /series/weight, or empty when the panel has none
  std::vector<uint8_t> log1p;        // [S] 1: y holds log(1 + sales) (Note [Target transform]); empty: none
};

// Note [Target transform]
//   Retail sales are skewed: a promotion multiplies a week's sales by ten, and a Gaussian on
//   the mean-scaled sales then spends its variance on the spikes (on Dominick's orange juice
//   the paths' 10 % quantile was 0 and the median a third below the mean). With
//   target_transform "log1p", load_panel replaces the target of every series without negative
//   values by log(1 + y); everything the model does (window scales, lags and rolling inputs,
//   the likelihood, validation, the residual statistics, the sampled paths fed back as lags)
//   happens on that scale, and the sampler maps each path back with exp(z) - 1 before the
//   means and quantiles (quantiles commute with the monotone map; means are of the mapped
//   paths, so they are means of sales, not exp of a mean). Series with a negative value keep
//   their scale. A sales forecast of 0 stays 0 (log1p(0) = 0, and paths are clipped at 0).
//   The transform applies to the continuous likelihoods (gaussian, student_t, mse, mae); negbin and
//   tweedie model the counts themselves and ignore it. New models never pair it with student_t
//   (deepar_resolve_defaults: the exponential of a Student-t has no mean); files that did keep it.
inline float from_model_scale(const PanelData& d, int64_t s, float z) {
  return to_sales_scale(z, !d.log1p.empty() && d.log1p[s]);
}
// The transform itself: marks the series without negative values in d.log1p and replaces their
// target by log(1 + y) (load_panel calls it when l.log1p).
void apply_log1p(PanelData& d);

// Note [Window location]
//   With target_transform "log1p_window" a window is seen relative to its own level instead of
//   divided by its mean. DeepAR's scale nu = 1 + mean |z| over the context serves counts well,
//   but on log(1 + y) it turns a series at level 8,000 (z = 9) into 0.90 + deviation / 10, and
//   the network does not resolve a smooth series' deviations of 1e-3 on that offset: on M3
//   monthly the default GRU's MASE was 1.56 against theta's 0.86, and bad from the first step
//   (one-step MASE 1.34 against 0.57; a flat series at 8,300 +- 50 got the 80 % interval
//   6,500-11,300). So each window gets a location loc = the mean of the observed context
//   values and the scale nu = 1 + their mean absolute deviation from it (window_loc_scale_cpu):
//   the lags, the seasonal lag and the rolling means read (z - loc) / nu, the rolling stds
//   z / nu as before, the loss sees the target minus loc at scale nu, and each sampled path
//   value is the draw plus loc (the paths feed back on the model's scale, so the next step's
//   inputs subtract it again). Series with no observed context step read loc 0, nu 1. Measured
//   (bench/README.md): M3 monthly 1.563 -> 1.061, yearly 5.65 -> 3.36; on Dominick's orange
//   juice level on the tuning split (0.482) but worse on the test weeks (0.4225 against
//   0.4023, seeds 0-3), so it is chosen from the data (Note [Target transform from the data]
//   in engine/deepar/model.h). Continuous likelihoods only, as the log transform: a count
//   likelihood has no location. The GPU twins: window_loc_scale (kernels/cuda/features.cu, a
//   warp per window, two passes), window_target and features_fwd with a location (the resident
//   panel's cut, engine/deepar/cuda/resident_panel.cpp), and the sampler's per-path location
//   added to each draw and read by its features (engine/deepar/cuda/sampler.cpp); the host-
//   composed GPU step uses HostWindows::cut, as the CPU.

// Note [Weighted window sampling]
//   Training windows draw their series from `eligible`. By default (DeepArOptions::sampling
//   "uniform") every eligible series is equally likely. With "weight", series s is drawn with probability
//   w_s / sum of the eligible w, and the loss stays unweighted: the DeepAR paper's (and
//   GluonTS's) way to make some series count more is non-uniform sampling of training
//   windows, not loss weights. In expectation this trains on the weight-scaled loss, with
//   lower variance than drawing uniformly and scaling, and no batch slot is spent on a
//   series whose weight is 0 (those are never drawn). Weights must be finite and >= 0,
//   and at least one eligible series needs a positive weight (InputError otherwise).
class SeriesSampler {
 public:
  SeriesSampler() = default;  // draws nothing: size() == 0
  // eligible: series indices; weight: [S] or empty (uniform).
  SeriesSampler(const std::vector<int64_t>& eligible, const std::vector<float>& weight);
  // The series for u in [0, 1) (one uniform draw). Uniform sampling is
  // eligible[floor(u * n)], as before weights existed, so unweighted runs are unchanged.
  int64_t draw(double u) const;
  int64_t size() const { return static_cast<int64_t>(m_series.size()); }

 private:
  std::vector<int64_t> m_series;  // series that can be drawn
  std::vector<double> m_cdf;      // [n] cumulative probabilities (last = 1); empty = uniform
};

// Layout of the input columns and of the flat weights.
struct Layout {
  FeatureSpec spec;            // base columns; spec.n_calendar = shared columns
  int64_t n_base = 0;          // columns from features_fwd_cpu (including shared)
  int64_t n_slabs = 0;         // PanelData::dyn slabs: the per-series covariates, then the age (if any)
  int64_t slab_age = -1;       // the slab holding the series' age (Note [Distance inputs]); -1: none
  // With Note [Distance inputs] (the age slab and, per event, two distance columns beside its flag).
  bool distances() const { return slab_age >= 0; }
  int64_t n_cov_slabs() const { return n_slabs - (distances() ? 1 : 0); }  // the per-series covariates
  int64_t n_sreal = 0;         // static reals (PanelData::sreal rows; Note [Derived inputs])
  int64_t sreal_volatility = -1;  // the row of the series' volatility among them; -1: none
  std::vector<DynColumn> dyn_cols;  // the per-series columns after the base ones, in order
  int64_t n_dyn = 0;           // per-series input columns: dyn_cols.size()
  int64_t n_features = 0;      // F
  std::vector<int64_t> emb_k, emb_dim, emb_col, emb_off;  // per static: K, d, first column, weight offset
  // Per static: the model's levels, row k of its table for level k (Note [Static levels by name]).
  std::vector<std::vector<std::string>> static_levels;
  int64_t n_rnn = 0, n_head = 0, n_params = 0;
  int64_t att_off = 0, n_att = 0;  // attention weights (n_att = 0: --attention off), Note [Attention]
  nn::RnnConfig rnn;
  LikelihoodParams lik;
  bool log1p = false;          // Note [Target transform]
  bool window_loc = false;     // Note [Window location]
};

Layout make_layout(const DeepArOptions& o, const PanelFingerprint& p);
// Note [Distance inputs] (engine/deepar/data.cpp): D, the steps over which an event's nearness
// falls from 1 to 0, and A, the age in steps that reads 1, from the panel's axis.
int64_t distance_span(const TimeAxis& axis);
int64_t age_span(const TimeAxis& axis);
int64_t lookback(const Layout& l);  // steps before a window that its first features read

// Loads the panel: target, per-series covariates (normalised), shared table covering
// steps up to max(T+F, T + horizon) (repeating the last known value past T+F), static reals
// (Note [Derived inputs]) from the target's steps before stats_end (< 0: all T; training
// passes T - validation steps, so that no validation target reaches an input).
PanelData load_panel(const PanelReader& panel, const Layout& layout, int64_t horizon, int64_t pad,
                     int64_t stats_end = -1);

// Inputs of a batch. y_rows [n_rows, y_stride] holds target values whose column 0 is absolute
// step y_origin; window b reads row rows[b] and describes panel series series[b] over absolute
// steps t0[b] .. t0[b] + n_steps - 1. scale [B]. weights: the flat weights (embeddings).
// x [n_steps, B, F]. scratch: reused buffers. The covariate and embedding columns are the
// twins' (compose_tail_cpu, gather_codes_cpu, embedding_fwd_cpu: engine/deepar/kernels.h).
struct ComposeScratch {
  std::vector<int64_t> t0_local;
  std::vector<float> base;                  // [n_steps * B, n_base]
  std::vector<int32_t> codes;               // [A, B] the windows' static codes
  std::vector<EmbeddingColumn> emb_cols;    // embedding_columns(l)
};
// loc [n_batch] (nullptr: none): each window's location (Note [Window location]).
void compose_inputs(const PanelData& d, const Layout& l, const float* weights, const float* y_rows, int64_t n_rows,
                    int64_t y_stride, int64_t y_origin, const int64_t* rows, const int64_t* series, const int64_t* t0,
                    int64_t n_batch, int64_t n_steps, const float* scale, ComposeScratch& scratch, float* x,
                    const float* loc = nullptr);

// Adds the embedding part of dx [n_steps, B, F] into grad (flat, like the weights), in the
// CPU trainer's order (Note [Embedding gradient order] in engine/deepar/data.cpp).
void embedding_backward(const PanelData& d, const Layout& l, const int64_t* series, int64_t n_batch, int64_t n_steps,
                        const float* dx, float* grad);

// The arguments of the embedding kernels (engine/deepar/kernels.h) for a layout:
// embedding_columns: one per input column of the embeddings, in column order (attribute a,
//   k < emb_dim[a]), what embedding_fwd reads; embedding_attrs: one per static attribute,
//   what embedding_bwd reads. Throw Error when a width, level count or column exceeds int.
std::vector<EmbeddingColumn> embedding_columns(const Layout& l);
std::vector<EmbeddingAttr> embedding_attrs(const Layout& l);
// The embedding rows the windows of a batch touch, per attribute in code order, each with
// its windows in window order (what embedding_bwd sums): writes segs [<= A*B] and win
// [<= A*B] and returns the number of segments; the windows of segment u are
// win[segs[u].begin .. segs[u].end), consecutive across segments. Windows whose code is
// outside [0, K) touch no row, as in embedding_backward. codes: per attribute [S];
// series [B]; scratch: reused.
int embedding_segments(const Layout& l, const std::vector<const int32_t*>& codes, const int64_t* series,
                       int64_t n_batch, std::vector<std::pair<int32_t, int32_t>>& scratch, EmbeddingSegment* segs,
                       int32_t* win);

// Recurrent stack, attention (when the layout has it) and head on the flat weights.
// Note [Attention] (engine/nn/attention.h): the head reads the attention's output, y_t = h_t + W_o o_t.
struct Net {
  explicit Net(const Layout& l) : rnn(l.rnn), head(l.rnn.n_hidden, likelihood_n_params(l.lik.kind)) {
    if (l.n_att > 0) att.emplace(nn::AttentionConfig{l.rnn.n_hidden, l.rnn.n_hidden});
  }
  nn::Rnn<float> rnn;
  std::optional<nn::Attention<float>> att;
  nn::Dense<float> head;
};

// One batch through the CPU network (engine/deepar/step.cpp), the training step's reference: forward,
// the loss (engine/nn/loss.h, unweighted windows) and, when grad is not null, backward into
// grad [n_params] (overwritten: RNN | head | attention | embeddings, the weights' layout).
//   [in] w [n_params], x [n_steps, B, F] (compose_inputs), target [n_steps, B] (NaN = masked),
//        scale [B], series [B] (panel series of the windows: their embedding rows). Host pointers.
// The contexts keep the last forward (dctx->y(): the head's outputs [n_steps, B, P]). The GPU
// twin is CudaTrainStep (engine/deepar/cuda/train_step.h).
// per_window: Note [Per-window input columns] in engine/deepar/step.cpp (false: the network
// reads every column at every step, the plain form the tests compare with).
struct CpuStep {
  explicit CpuStep(const Layout& l, bool per_window = true);
  Net net;
  std::unique_ptr<nn::RnnContext<float>> rctx = std::make_unique<nn::RnnContext<float>>();
  std::unique_ptr<nn::DenseContext<float>> dctx = std::make_unique<nn::DenseContext<float>>();
  std::unique_ptr<nn::AttentionContext<float>> actx = std::make_unique<nn::AttentionContext<float>>();
  std::vector<float> draw, dy, dh, dx;  // [T, B, P], [T, B, Hd], [T, B, Hd] (attention's input), [T, B, F]
  // Note [Per-window input columns]: the first per-window column (F: none), the network cut to
  // the columns before it, its weights and gradient, pre0 / dpre0 [B, G*Hd], dx summed [B, F].
  int64_t win0 = 0;
  std::optional<nn::Rnn<float>> rnn_cut;
  std::vector<float> w_cut, g_cut, pre0, dpre0, dx_win;

  nn::LossValue run(const PanelData& d, const Layout& l, const float* w, const float* x, const float* target,
                    const float* scale, const int64_t* series, int64_t n_batch, int64_t n_steps, nn::Phase phase,
                    uint64_t dropout_seed, float* grad);
};

// ------------------------------------------------------------ forecasting ----
// One forecast of an in-memory panel by ancestral sampling (Note [DeepAR forecasting] in
// engine/deepar/forecast.cpp), the part of deepar_forecast after the panel is loaded. Host data.
// Note [Pooled models]: `forecast --checkpoint a.h5,b.h5,...` forecasts with K models of one
// layout (e.g. trained with different --seed) and pools their sample paths: the N paths of a
// series are split into K contiguous groups (the first N mod K models decode one more), model
// k decodes its group, and the means and quantiles are those of all N paths. Path p keeps its
// draws (the key holds the series, p and the step), so one model pooled alone forecasts as it
// does unpooled. Averaging models of different seeds cancels part of what one training run
// owes to its seed; the spread between seeds on the orange-juice panel is larger than most
// changes to the model (README "Accuracy so far").
struct PathMember {
  const float* weights = nullptr;  // [n_params] the model's flat weights
  double tweedie_phi = 1.0;        // DeepArState::tweedie_phi
};
struct PathRequest {
  const float* weights = nullptr;  // [n_params] the model's flat weights
  double resid_sd = 1.0;           // DeepArState::resid_sd (point losses' quantiles)
  double tweedie_phi = 1.0;        // DeepArState::tweedie_phi
  // Note [Pooled models]: when not empty, the models whose paths are pooled (weights and
  // tweedie_phi above are then not read); sample-path likelihoods only, n_paths >= size().
  std::vector<PathMember> members;
  int64_t context = 0;             // encoder steps
  int64_t horizon = 0;             // H >= 1
  std::vector<double> levels;      // [Q] quantile levels in (0, 1)
  int64_t n_paths = 1;             // N per series (point losses always decode 1 path)
  uint64_t seed = 0;
  // The series forecast: [series_begin, series_end) of the panel (series_end < 0: to the last;
  // Note [Sharding the catalog] in io/shard.h). Draws keep the panel's series index.
  int64_t series_begin = 0, series_end = -1;
  // Note [Summed sample paths] in engine/deepar/aggregate_paths.h: when set, also the
  // aggregates' forecasts from the sums of their series' paths (every series requested).
  const PathHierarchy* hierarchy = nullptr;
};
struct PathForecast {
  std::vector<float> mean;       // [S', H] S' = the requested series, in panel order
  std::vector<float> quantiles;  // [S', H, Q]
  // [S', H, Q] type-7 quantiles of each series' paths summed over steps 1..h (Note [Cumulative
  // demand quantiles], engine/eval/cumulative.h); the CPU sampler's sample-path likelihoods
  // only, else empty (point losses have no paths; the GPU sampler does not compute them yet).
  std::vector<float> cum_quantiles;
  std::vector<float> agg_mean;       // [A, H] PathRequest::hierarchy's aggregates (else empty)
  std::vector<float> agg_quantiles;  // [A, H, Q]
};
// The requested series range [begin, end) of a panel of n_series (InputError when outside it).
std::pair<int64_t, int64_t> forecast_series_range(const PathRequest& r, int64_t n_series);

// The number of paths a request decodes per series: 1 for point losses, else n_paths.
int64_t forecast_n_paths(const Layout& l, const PathRequest& r);
// [S] 1 when series s never has a negative value in d.y (its paths are clipped at 0).
std::vector<uint8_t> nonneg_series(const PanelData& d);

// What the encoder of series i0 .. i0+nb-1 reads, composed on the host for both devices:
//   ys [nb, L] local history, L = lookback + context + H, column j = absolute step
//      T - context - lookback + j (the future part NaN); scale [nb] (nu over the context);
//   loc (when not null) [nb]: the windows' locations, 0 unless l.window_loc (Note [Window location]);
//   x [context, nb, F] the encoder inputs (compose_inputs).
// exog (when not null) [H, nb, F - n_base]: the per-series covariate and embedding columns of
//   steps T .. T+H-1 (compose_inputs' parts 3 and 4, which no sampled value changes).
void forecast_block_inputs(const Layout& l, const PanelData& d, const float* w, int64_t context, int64_t horizon,
                           int64_t i0, int64_t nb, ComposeScratch& cs, std::vector<float>& ys,
                           std::vector<float>& scale, std::vector<float>& x, std::vector<float>* exog,
                           std::vector<float>* loc = nullptr);

// The CPU forecaster (engine/deepar/paths.cpp; OpenMP over paths). The GPU twin is
// forecast_paths_cuda (engine/deepar/cuda/sampler.h).
PathForecast forecast_paths_cpu(const Layout& l, const PanelData& d, const PathRequest& r);

// ------------------------------------------------------------ residuals ----
// The in-sample one-step point predictions of the series [series_begin, series_end) on the
// sales scale, teacher-forced on windows of context + stride steps sliding by stride (Note
// [Global model residuals] in engine/deepar/residuals.cpp). members: the flat weights
// [n_params] of one model or of pooled ones (their predictions averaged). Host data.
//   [out] [S', T]: NaN at steps t <= first[s], where d.y is NaN, and where the prediction is
//         not finite.
// t_first: the first step wanted (each series' windows start where their horizon part reaches
// it; 0: from the series' first observation). location: the likelihood's location on the
// model's scale (nu * raw0 + the window's location: log(1 + sales) for a log1p series) instead
// of the mean on the sales scale; continuous likelihoods only (InputError otherwise).
std::vector<float> one_step_predictions_cpu(const Layout& l, const PanelData& d,
                                            const std::vector<const float*>& members, int64_t context,
                                            int64_t stride, int64_t series_begin, int64_t series_end,
                                            int64_t t_first = 0, bool location = false);

// Note [Recent bias correction] (engine/deepar/residuals.cpp): the shift of each series'
// forecast on the log scale from its out-of-sample one-step errors.
struct RecentBias {
  std::vector<double> shift;  // [S'] added to log(1 + sales) of every path value; empty: none
  double persistence = 0.0;   // the split-half slope: how much of a bias lasted W/2 steps, in [0, 1]
  double alpha = 0.0;         // the factor on each series' bias: persistence^((W + H) / W)
  int64_t steps = 0;          // W: the steps after the training end the errors come from
  int64_t n_series = 0;       // series the persistence was estimated on
  std::string off;            // why there is no correction ("" when there is one)
};
// members, context: as one_step_predictions_cpu; model_horizon: the model's own horizon (W is at
// most it); horizon: the forecast's; train_end: the first step no member trained on (Note [What
// the model has seen]); the shifts of the series [series_begin, series_end), estimated from every
// series of d; block: series per network call (their predictions [block, T] held at a time).
RecentBias recent_bias_cpu(const Layout& l, const PanelData& d, const std::vector<const float*>& members,
                           int64_t context, int64_t model_horizon, int64_t horizon, int64_t train_end,
                           int64_t series_begin, int64_t series_end, int64_t block = 4096);

// Fills weights [n_params]: RNN and head PyTorch-style, embeddings N(0, 1)-ish uniform.
void init_weights(const Layout& l, uint64_t seed, std::vector<float>& w);

}  // namespace skucast::deepar

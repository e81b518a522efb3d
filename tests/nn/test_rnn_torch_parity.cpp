// tests/nn/test_rnn_torch_parity.cpp — the CPU LSTM/GRU, causal self-attention, dense head, losses and AdamW against
// PyTorch (STYLE T4, T5), through the committed fixture tests/data/torch_rnn.bin written by
// tests/py/gen_torch_fixtures.py (format in its docstring). CI needs no torch.
// SKUCAST_TORCH_FIXTURE=path overrides the fixture (tests/py/test_torch_parity.py uses it to
// compare against a freshly generated one).
//
// Tolerances (STYLE T1): float path atol 1e-5 + rtol 1e-5, double path 1e-12 + 1e-12, both
// against PyTorch's float64 results. The AdamW replay runs in float32 on both sides.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/nn/adam.h"
#include "engine/nn/attention.h"
#include "engine/nn/dense.h"
#include "engine/nn/loss.h"
#include "engine/nn/rnn.h"

using namespace skucast;
using namespace skucast::nn;

namespace {

constexpr uint32_t kFixtureVersion = 1;  // tests/py/gen_torch_fixtures.py FIXTURE_VERSION

struct Tensor {
  std::vector<int64_t> dims;
  std::vector<double> data;
};

std::string fixture_path() {
  const char* env = std::getenv("SKUCAST_TORCH_FIXTURE");
  return env && *env ? env : std::string(SKUCAST_TEST_DATA) + "/torch_rnn.bin";
}

// Reads the whole fixture; fails the test with a regeneration hint on any mismatch (STYLE C3).
std::map<std::string, Tensor> load_fixture(const std::string& path) {
  const std::string hint = " (regenerate with: /usr/bin/python3 tests/py/gen_torch_fixtures.py)";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path + " for reading" + hint);
  auto read = [&](void* p, size_t n) {
    in.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
    if (!in) throw std::runtime_error("fixture " + path + " is truncated" + hint);
  };
  char magic[8];
  read(magic, 8);
  if (std::memcmp(magic, "SKUTORCH", 8) != 0)
    throw std::runtime_error("fixture " + path + ": expected magic SKUTORCH" + hint);
  uint32_t version = 0, count = 0;
  read(&version, 4);
  read(&count, 4);
  if (version != kFixtureVersion)
    throw std::runtime_error("fixture " + path + ": expected version " + std::to_string(kFixtureVersion) + ", got " +
                             std::to_string(version) + hint);
  std::map<std::string, Tensor> out;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = 0, ndim = 0;
    read(&len, 4);
    std::string name(len, '\0');
    read(name.data(), len);
    read(&ndim, 4);
    Tensor t;
    t.dims.resize(ndim);
    if (ndim) read(t.dims.data(), 8 * ndim);
    int64_t n = 1;
    for (int64_t d : t.dims) n *= d;
    t.data.resize(n);
    if (n) read(t.data.data(), 8 * n);
    out.emplace(name, std::move(t));
  }
  return out;
}

class TorchParity : public ::testing::Test {
 public:
  static void SetUpTestSuite() { s_fx = new std::map<std::string, Tensor>(load_fixture(fixture_path())); }
  static void TearDownTestSuite() {
    delete s_fx;
    s_fx = nullptr;
  }
  static const std::vector<double>& get(const std::string& name) {
    auto it = s_fx->find(name);
    if (it == s_fx->end()) throw std::runtime_error("fixture has no tensor " + name);
    return it->second.data;
  }
  template <typename T>
  static std::vector<T> as(const std::string& name) {
    const auto& d = get(name);
    return std::vector<T>(d.begin(), d.end());
  }
  static std::map<std::string, Tensor>* s_fx;
};
std::map<std::string, Tensor>* TorchParity::s_fx = nullptr;

// |got - ref| <= atol + rtol |ref| elementwise; prints max abs and max relative error
// (relative to max(|ref|, 1e-3 * max|ref|) so that near-zero entries do not dominate).
template <typename T>
void expect_close(const std::string& what, const std::vector<double>& ref, const T* got, double atol, double rtol) {
  double max_abs = 0, max_rel = 0, worst_used = 0, ref_scale = 0;
  for (double r : ref) ref_scale = std::max(ref_scale, std::fabs(r));
  size_t worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - ref[i]);
    max_abs = std::max(max_abs, err);
    max_rel = std::max(max_rel, err / std::max(std::fabs(ref[i]), 1e-3 * ref_scale + 1e-300));
    const double used = err / (atol + rtol * std::fabs(ref[i]));
    if (used > worst_used) {
      worst_used = used;
      worst = i;
    }
  }
  std::printf("[torch parity] %-26s n=%-4zu max_abs=%.3g max_rel=%.3g budget=%.1f%%\n", what.c_str(), ref.size(),
              max_abs, max_rel, 100 * worst_used);
  EXPECT_LE(worst_used, 1.0) << what << ": index " << worst << " ref " << ref[worst] << " got " << got[worst]
                             << " (max abs " << max_abs << ", atol " << atol << ", rtol " << rtol << ")";
}

template <typename T>
void check_rnn(const std::string& cell_name, CellType cell, double atol, double rtol) {
  const std::string p = cell_name + "/";
  const auto cfgv = TorchParity::as<double>(p + "config");
  const int64_t F = cfgv[0], Hd = cfgv[1], L = cfgv[2], T_ = cfgv[3], B = cfgv[4];
  Rnn<T> rnn(RnnConfig{cell, F, Hd, L, 0.0f});
  const auto w = TorchParity::as<T>(p + "weights");
  ASSERT_EQ(static_cast<int64_t>(w.size()), rnn.n_params()) << "weight layout differs from torch's flattening";
  const auto x = TorchParity::as<T>(p + "x"), h0 = TorchParity::as<T>(p + "h0");
  const bool lstm = cell == CellType::Lstm;
  const std::vector<T> c0 = lstm ? TorchParity::as<T>(p + "c0") : std::vector<T>();
  auto ctx = rnn.forward(w.data(), x.data(), T_, B, h0.data(), lstm ? c0.data() : nullptr, Phase::Inference, 0);
  const std::string tag = p + (sizeof(T) == 4 ? "f32 " : "f64 ");
  expect_close(tag + "y", TorchParity::get(p + "y"), ctx->y(), atol, rtol);
  expect_close(tag + "h_n", TorchParity::get(p + "hn"), ctx->h_n(), atol, rtol);
  if (lstm) expect_close(tag + "c_n", TorchParity::get(p + "cn"), ctx->c_n(), atol, rtol);

  const auto gy = TorchParity::as<T>(p + "gy"), ghn = TorchParity::as<T>(p + "ghn");
  const std::vector<T> gcn = lstm ? TorchParity::as<T>(p + "gcn") : std::vector<T>();
  std::vector<T> dx(x.size()), dh0(h0.size()), dc0(h0.size()), dw(w.size());
  rnn.backward(*ctx, w.data(), gy.data(), ghn.data(), lstm ? gcn.data() : nullptr, dx.data(), dh0.data(),
               dc0.data(), dw.data(), GradMode::Overwrite);
  expect_close(tag + "dx", TorchParity::get(p + "dx"), dx.data(), atol, rtol);
  expect_close(tag + "dh0", TorchParity::get(p + "dh0"), dh0.data(), atol, rtol);
  if (lstm) expect_close(tag + "dc0", TorchParity::get(p + "dc0"), dc0.data(), atol, rtol);
  expect_close(tag + "dweights", TorchParity::get(p + "dweights"), dw.data(), atol, rtol);
}

TEST_F(TorchParity, LstmFloat) { check_rnn<float>("lstm", CellType::Lstm, 1e-5, 1e-5); }
TEST_F(TorchParity, LstmDouble) { check_rnn<double>("lstm", CellType::Lstm, 1e-12, 1e-12); }
TEST_F(TorchParity, GruFloat) { check_rnn<float>("gru", CellType::Gru, 1e-5, 1e-5); }
TEST_F(TorchParity, GruDouble) { check_rnn<double>("gru", CellType::Gru, 1e-12, 1e-12); }

// Causal self-attention with its residual (engine/nn/attention.h), J = sum(gy * y).
template <typename T>
void check_attention(double atol, double rtol) {
  const auto c = TorchParity::as<double>("attention/config");
  const int64_t Hd = c[0], D = c[1], T_ = c[2], B = c[3];
  Attention<T> att(AttentionConfig{Hd, D});
  const auto w = TorchParity::as<T>("attention/weights"), h = TorchParity::as<T>("attention/h");
  const auto gy = TorchParity::as<T>("attention/gy");
  ASSERT_EQ(static_cast<int64_t>(w.size()), att.n_params()) << "weight layout differs from the fixture's";
  AttentionContext<T> ctx;
  att.forward_into(ctx, w.data(), h.data(), T_, B);
  std::vector<T> dh(h.size()), dw(w.size());
  att.backward(ctx, w.data(), gy.data(), dh.data(), dw.data(), GradMode::Overwrite);
  const std::string tag = std::string("attention/") + (sizeof(T) == 4 ? "f32 " : "f64 ");
  expect_close(tag + "y", TorchParity::get("attention/y"), ctx.y(), atol, rtol);
  expect_close(tag + "dh", TorchParity::get("attention/dh"), dh.data(), atol, rtol);
  expect_close(tag + "dweights", TorchParity::get("attention/dweights"), dw.data(), atol, rtol);
}

TEST_F(TorchParity, AttentionFloat) { check_attention<float>(1e-5, 1e-5); }
TEST_F(TorchParity, AttentionDouble) { check_attention<double>(1e-12, 1e-12); }

template <typename T>
void check_likelihood(const std::string& name, double atol, double rtol) {
  const std::string p = "lik/" + name + "/";
  const auto raw = TorchParity::as<T>(p + "raw"), y = TorchParity::as<T>(p + "y");
  const auto scale = TorchParity::as<T>(p + "scale"), weight = TorchParity::as<T>(p + "weight");
  const int64_t B = scale.size(), T_ = y.size() / B;
  LikelihoodParams params;
  params.kind = likelihood_from_name(name);
  params.tweedie_power = 1.5;  // TWEEDIE_POWER in the generator
  std::vector<T> draw(raw.size());
  const LossValue v =
      loss_forward_backward<T>(params, raw.data(), y.data(), scale.data(), weight.data(), T_, B, draw.data());
  const std::string tag = p + (sizeof(T) == 4 ? "f32 " : "f64 ");
  expect_close(tag + "loss", TorchParity::get(p + "loss"), &v.loss, atol, rtol);
  expect_close(tag + "dloss/draw", TorchParity::get(p + "draw"), draw.data(), atol, rtol);
}

class TorchLikelihood : public TorchParity, public ::testing::WithParamInterface<std::string> {};
TEST_P(TorchLikelihood, Float) { check_likelihood<float>(GetParam(), 1e-5, 1e-5); }
TEST_P(TorchLikelihood, Double) { check_likelihood<double>(GetParam(), 1e-12, 1e-12); }
INSTANTIATE_TEST_SUITE_P(Kinds, TorchLikelihood, ::testing::Values("gaussian", "negbin", "tweedie", "mse", "mae",
                                                                          "student_t"));

// LSTM + dense head + Gaussian NLL + AdamW with clipping: N steps replayed (STYLE T4).
TEST_F(TorchParity, TrainingStepsMatchAdamW) {
  const auto c = as<double>("train/config");
  const int64_t F = c[0], Hd = c[1], L = c[2], T_ = c[3], B = c[4], steps = c[5];
  Rnn<float> rnn(RnnConfig{CellType::Lstm, F, Hd, L, 0.0f});
  Dense<float> head(Hd, 2);
  std::vector<float> w = as<float>("train/weights");
  const std::vector<float> wh = as<float>("train/head");
  ASSERT_EQ(static_cast<int64_t>(w.size()), rnn.n_params());
  ASSERT_EQ(static_cast<int64_t>(wh.size()), head.n_params());
  const int64_t n_rnn = rnn.n_params();
  w.insert(w.end(), wh.begin(), wh.end());  // one flat buffer: RNN then head
  std::vector<float> grad(w.size());
  const auto x = as<float>("train/x"), y = as<float>("train/y");
  const auto scale = as<float>("train/scale"), weight = as<float>("train/weight");
  AdamWConfig ac;
  ac.lr = c[6];
  ac.weight_decay = c[7];
  ac.clip_norm = c[8];
  AdamW opt(ac, static_cast<int64_t>(w.size()));
  LikelihoodParams lp;
  lp.kind = Likelihood::Gaussian;
  std::vector<double> losses, norms;
  for (int64_t s = 0; s < steps; ++s) {
    auto rctx = rnn.forward(w.data(), x.data(), T_, B, nullptr, nullptr, Phase::Training, 0);
    auto dctx = head.forward(w.data() + n_rnn, rctx->y(), T_ * B);
    std::vector<float> draw(T_ * B * 2), dy(T_ * B * Hd);
    const LossValue v = loss_forward_backward<float>(lp, dctx->y(), y.data(), scale.data(), weight.data(), T_, B,
                                                     draw.data());
    head.backward(*dctx, w.data() + n_rnn, draw.data(), dy.data(), grad.data() + n_rnn, GradMode::Overwrite);
    rnn.backward(*rctx, w.data(), dy.data(), nullptr, nullptr, nullptr, nullptr, nullptr, grad.data(),
                 GradMode::Overwrite);
    norms.push_back(opt.step(w.data(), grad.data()));
    losses.push_back(v.loss);
  }
  expect_close("train losses", get("train/losses"), losses.data(), 1e-5, 1e-5);
  expect_close("train grad norms", get("train/grad_norms"), norms.data(), 1e-5, 1e-5);
  expect_close("train final rnn weights", get("train/final_weights"), w.data(), 1e-5, 1e-5);
  expect_close("train final head", get("train/final_head"), w.data() + n_rnn, 1e-5, 1e-5);
}

TEST(TorchFixture, RejectsWrongMagicWithHint) {
  const std::string bad = ::testing::TempDir() + "/not_a_fixture.bin";
  std::ofstream(bad, std::ios::binary) << "NOTTORCH\x01\0\0\0";
  try {
    load_fixture(bad);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gen_torch_fixtures.py"), std::string::npos) << e.what();
  }
}

}  // namespace

// bench/bench_lstm_cpu.cpp — CPU training of the global model, the code `skucast train`
// runs: deepar_train (engine/deepar/model.h) on a `skucast synth` panel, at hidden 64, 2
// layers, context 112 + horizon 28, batch 256, dropout 0, Gaussian likelihood. A training
// batch there is: window sampling, cutting the windows (scales, targets), composing the inputs
// (features, calendar, events, covariates, embeddings), forward, loss, backward and AdamW.
// bench/lstm_cpu.sh runs it beside the same recurrent step in PyTorch.
//
// The panel: $SKUCAST_BENCH_PANEL (lstm_cpu.sh writes it with `skucast synth`), else one made
// here by the same generator (engine/synth/synth.h: 1,000 series × 400 days, seed 1) in a
// temporary file. One benchmark iteration is one epoch of $SKUCAST_BENCH_BATCHES batches
// (default 8); the time counted is that epoch's training batches as deepar_train measures them
// (EpochInfo::windows_per_s, the figure `skucast train` prints per epoch), not the panel load
// or the validation after the epoch. Counters: windows_per_s, F (inputs per step),
// n_params (weights, embeddings included).
//   BM_Train/lstm, BM_Train/gru
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/deepar/model.h"
#include "engine/synth/synth.h"
#include "io/panel.h"

using namespace skucast;

namespace {

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::stoll(v) : fallback;
}

// The benchmark's panel, opened once.
class BenchPanel {
 public:
  BenchPanel() {
    const char* given = std::getenv("SKUCAST_BENCH_PANEL");
    if (given != nullptr && *given != '\0') {
      m_path = given;
    } else {
      m_path = (std::filesystem::temp_directory_path() /
                ("skucast_bench_lstm_cpu_" + std::to_string(::getpid()) + ".h5"))
                   .string();
      SynthOptions o;
      o.n_series = 1000;
      o.n_days = 400;
      o.seed = 1;
      synth_catalog(o, m_path);
      m_owned = true;
    }
    m_reader = std::make_unique<PanelReader>(m_path);
  }
  ~BenchPanel() {
    m_reader.reset();
    if (m_owned) std::filesystem::remove(m_path);
  }
  const PanelReader& reader() const { return *m_reader; }

 private:
  std::string m_path;
  bool m_owned = false;
  std::unique_ptr<PanelReader> m_reader;
};

const PanelReader& bench_panel() {
  static BenchPanel panel;
  return panel.reader();
}

void BM_Train(benchmark::State& state, const char* cell) {
  const PanelReader& panel = bench_panel();
  DeepArOptions o;
  o.cell = cell;
  o.hidden = 64;
  o.layers = 2;
  o.context = 112;
  o.horizon = 28;
  o.batch = 256;
  o.dropout = 0.0;
  o.likelihood = "gaussian";
  o.windows_per_epoch = o.batch * env_int("SKUCAST_BENCH_BATCHES", 8);
  o.patience = 1 << 30;     // every epoch runs: early stopping would end the iterations' training
  o.val_max_series = 256;   // the validation after each epoch is not timed; keep it short
  DeepArState st = deepar_init(o, panel.header());
  double windows = 0.0, seconds = 0.0;
  for (auto _ : state) {
    double epoch_s = 0.0;
    deepar_train(st, panel, 1, [&](const EpochInfo& e) {
      if (e.epoch_done && e.windows_per_s > 0) {
        const double n = static_cast<double>(e.n_batches * o.batch);
        epoch_s = n / e.windows_per_s;
        windows += n;
      }
    });
    seconds += epoch_s;
    state.SetIterationTime(epoch_s);
  }
  state.counters["windows_per_s"] = seconds > 0 ? windows / seconds : 0.0;
  state.counters["F"] = static_cast<double>(deepar_n_features(st.options, st.panel));
  state.counters["n_params"] = static_cast<double>(st.weights.size());
}

}  // namespace

BENCHMARK_CAPTURE(BM_Train, lstm, "lstm")->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK_CAPTURE(BM_Train, gru, "gru")->Unit(benchmark::kMillisecond)->UseManualTime();

BENCHMARK_MAIN();

// bench/bench_ets.cpp — timing and accuracy driver for the ETS family and Theta.
//
// Two modes:
//   bench_ets --csv series.csv --out fc.csv [--models ets,theta,ets+theta]
//     reads rows `id,period,m,h,train,test` (';'-joined values, as bench/ets.sh prepares from
//     the M3 data), forecasts every row's train part with each model on ONE thread, writes
//     `id,model,secs,fc` and prints `series_per_s <model> <value>` per model on stdout.
//   bench_ets [--benchmark_* flags]
//     Google Benchmark: auto ETS and Theta on synthetic monthly series, auto ETS on synthetic
//     1,941-day daily series (series/s).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/stat/model.h"

namespace {

struct Row {
  std::string id;
  int m = 1;
  int64_t h = 0;
  std::vector<double> train;  // [T]
};

std::vector<double> split_doubles(const std::string& s) {
  std::vector<double> v;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, ';')) v.push_back(std::stod(tok));
  return v;
}

std::vector<Row> read_rows(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("bench_ets: cannot open " + path + " for reading");
  std::vector<Row> rows;
  std::string line;
  std::getline(f, line);  // header id,period,m,h,train,test
  while (std::getline(f, line)) {
    std::vector<std::string> col;
    std::stringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, ',')) col.push_back(tok);
    if (col.size() < 5) continue;
    Row r;
    r.id = col[0];
    r.m = std::stoi(col[2]);
    r.h = std::stoll(col[3]);
    r.train = split_doubles(col[4]);
    rows.push_back(std::move(r));
  }
  return rows;
}

int run_csv(const std::string& in, const std::string& out, const std::string& models) {
  const std::vector<Row> rows = read_rows(in);
  std::ofstream f(out);
  if (!f) throw std::runtime_error("bench_ets: cannot open " + out + " for writing");
  f << "id,model,secs,fc\n";
  f.precision(15);
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  std::stringstream ms(models);
  std::string name;
  while (std::getline(ms, name, ',')) {
    auto model = skucast::make_stat_model(name);
    double total = 0.0;
    for (const Row& r : rows) {
      std::vector<double> mean(r.h), q(r.h * levels.size());
      skucast::SeriesInput si{r.train.data(), static_cast<int64_t>(r.train.size()), r.m};
      skucast::ForecastSpec spec{r.h, levels.data(), static_cast<int>(levels.size())};
      skucast::SeriesOutput so{mean.data(), q.data(), false};
      const auto t0 = std::chrono::steady_clock::now();
      model->forecast_series(si, spec, so);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      total += secs;
      f << r.id << ',' << name << ',' << secs << ',';
      for (int64_t i = 0; i < r.h; ++i) f << (i ? ";" : "") << mean[i];
      f << '\n';
    }
    std::cout << "series_per_s " << name << ' ' << (total > 0 ? rows.size() / total : 0.0) << '\n';
  }
  return 0;
}

// Synthetic monthly series: level, trend, multiplicative season, noise; positive.
std::vector<std::vector<double>> synthetic(int n_series, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> eps(0.0, 1.0);
  std::vector<std::vector<double>> out(n_series, std::vector<double>(n));
  for (int s = 0; s < n_series; ++s)
    for (int t = 0; t < n; ++t)
      out[s][t] = (100.0 + 0.3 * s + 0.5 * t) * (1.0 + 0.2 * std::sin(2 * M_PI * t / 12.0)) + 3.0 * eps(rng);
  return out;
}

// Synthetic daily retail-like series (1,941 days, weekly season, counts with zeros), the shape
// of `skucast synth` rows that Note [ETS fitting window] (engine/stat/ets/ets.h) is about.
std::vector<std::vector<double>> synthetic_daily(int n_series, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<double>> out(n_series, std::vector<double>(n));
  for (int s = 0; s < n_series; ++s)
    for (int t = 0; t < n; ++t) {
      const double rate = (1.0 + 0.5 * s + 0.001 * t) * (1.0 + 0.3 * std::sin(2 * M_PI * (t % 7) / 7.0));
      out[s][t] = std::poisson_distribution<int>(rate)(rng);
    }
  return out;
}

void bm_model(benchmark::State& state, const char* name, bool daily) {
  const int m = daily ? 7 : 12;
  const int64_t h = daily ? 28 : 18;
  const auto data = daily ? synthetic_daily(8, 1941, 1) : synthetic(64, 120, 1);
  auto model = skucast::make_stat_model(name);
  const std::vector<double> levels = {0.1, 0.5, 0.9};
  std::vector<double> mean(h), q(h * 3);
  int64_t done = 0;
  for (auto _ : state) {
    for (const auto& y : data) {
      skucast::SeriesInput si{y.data(), static_cast<int64_t>(y.size()), m};
      skucast::ForecastSpec spec{h, levels.data(), 3};
      skucast::SeriesOutput so{mean.data(), q.data(), false};
      model->forecast_series(si, spec, so);
      benchmark::DoNotOptimize(mean.data());
    }
    done += static_cast<int64_t>(data.size());
  }
  state.counters["series_per_s"] = benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(bm_model, ets, "ets", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_model, theta, "theta", false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_model, ets_daily, "ets", true)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  std::string in, out, models = "ets,theta,ets+theta";
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--csv")) in = argv[i + 1];
    if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
    if (!std::strcmp(argv[i], "--models")) models = argv[i + 1];
  }
  if (!in.empty()) {
    try {
      return run_csv(in, out.empty() ? "/dev/stdout" : out, models);
    } catch (const std::exception& e) {
      std::cerr << e.what() << '\n';
      return 1;
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// bench/bench_panel_read.cpp — streaming panel reads vs reading the same bytes raw.
//
// usage: bench_panel_read PANEL [BLOCK_SERIES]
// Reads /target in blocks of series through PanelReader (decompressing), then writes the
// same float32 bytes to a raw file beside the panel and reads them back with read(2) in
// 8 MiB pieces. Both reads come from the page cache when the machine has the memory, so
// the ratio measures what the format costs over a plain memcpy-speed read; the first
// (cold) pass of each is reported too. Prints one RESULT line (ratio > 1: panel faster).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "io/panel.h"

using clk = std::chrono::steady_clock;

static double secs(clk::time_point a) { return std::chrono::duration<double>(clk::now() - a).count(); }

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PANEL [BLOCK_SERIES]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  skucast::PanelReader r(path);
  const int64_t S = r.header().n_series(), T = r.header().n_steps;
  const int64_t block = argc > 2 ? std::stoll(argv[2]) : 4096;
  std::vector<float> buf(static_cast<size_t>(block * T));
  double panel_best = 1e30;
  double checksum = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = clk::now();
    for (int64_t i0 = 0; i0 < S; i0 += block) {
      const int64_t i1 = std::min(S, i0 + block);
      r.read_target(i0, i1, buf.data());
      checksum += buf[0] == buf[0] ? buf[0] : 0;
    }
    panel_best = std::min(panel_best, secs(t0));
  }
  // Peer: the same bytes, raw.
  const std::string raw = path + ".raw";
  {
    int fd = ::open(raw.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (int64_t i0 = 0; i0 < S; i0 += block) {
      const int64_t i1 = std::min(S, i0 + block);
      r.read_target(i0, i1, buf.data());
      const ssize_t want = static_cast<ssize_t>((i1 - i0) * T * 4);
      if (::write(fd, buf.data(), want) != want) { std::perror("write"); return 1; }
    }
    ::close(fd);
  }
  double raw_best = 1e30;
  std::vector<char> rb(8 << 20);
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = clk::now();
    int fd = ::open(raw.c_str(), O_RDONLY);
    ssize_t n;
    while ((n = ::read(fd, rb.data(), rb.size())) > 0) checksum += rb[0];
    ::close(fd);
    raw_best = std::min(raw_best, secs(t0));
  }
  ::unlink(raw.c_str());
  const double bytes = static_cast<double>(S) * T * 4;
  std::printf("panel: %lld series x %lld steps, block %lld series, %.1f MB of float32 (checksum %g)\n",
              static_cast<long long>(S), static_cast<long long>(T), static_cast<long long>(block), bytes / 1e6, checksum);
  std::printf("panel read %.3f s (%.0f MB/s, %.3g series*steps/s); raw read %.3f s (%.0f MB/s)\n", panel_best,
              bytes / panel_best / 1e6, S * static_cast<double>(T) / panel_best, raw_best, bytes / raw_best / 1e6);
  std::printf("RESULT panel_read mb_per_s=%.0f raw_mb_per_s=%.0f series_steps_per_s=%.3g ratio=%.3f\n",
              bytes / panel_best / 1e6, bytes / raw_best / 1e6, S * static_cast<double>(T) / panel_best,
              raw_best / panel_best);
  return 0;
}

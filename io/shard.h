// io/shard.h — one contiguous slice of a panel's series, for running a catalog as several
// independent jobs (one per GPU, node or MPI rank) whose forecast files `skucast merge` joins.
//
// Note [Sharding the catalog]
//   The statistical models fit every series on its own, and the global LSTM/GRU forecasts
//   every series from the same weights with draws keyed by the series' index in the panel
//   (Note [Identical draws on both devices] in engine/deepar/sample.h). So a forecast
//   of series [a, b) alone is the slice [a, b) of the whole run's forecast — bit for bit for
//   the statistical models; for the LSTM/GRU to float rounding, as the shard's batches let
//   OpenBLAS/cuBLAS block the products differently (as a different thread count does) —
//   shards need no communication, and merging their files in shard order gives the file of
//   one run (tests/eval/test_shard.cpp). Shard k of n covers series [floor(k S / n), floor((k+1) S / n)): contiguous,
//   in panel order, sizes differing by at most one. `--shard K/N` on `forecast` selects it;
//   one process per GPU (CUDA_VISIBLE_DEVICES=K) or per MPI rank ($OMPI_COMM_WORLD_RANK) runs
//   each. Training is not sharded: one global model learns from every series.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace skucast {

struct SeriesShard {
  int64_t index = 0, count = 1;  // shard `index` of `count`; the default is the whole panel

  // [begin, end) of n_series series.
  std::pair<int64_t, int64_t> range(int64_t n_series) const {
    // 128-bit products: index * n_series may exceed int64 for absurd counts.
    const auto at = [&](int64_t k) {
      return static_cast<int64_t>(static_cast<__int128>(k) * n_series / count);
    };
    return {at(index), at(index + 1)};
  }
  bool whole() const { return count == 1; }
};

// Parses "K/N" with 0 <= K < N (InputError naming the text otherwise).
SeriesShard parse_shard(const std::string& text);

}  // namespace skucast

// tests/io/test_csv_fuzz.cpp — issue #19: a seeded mutation loop over the CSV reader and ingest.
// A valid long CSV (tests/data/ingest_small.csv, with dynamic, static, weight and event columns)
// is mutated thousands of times — bytes flipped, delimiters, quotes, CR/LF and NUL inserted, runs
// deleted or duplicated, lines swapped, truncated — and each variant is read with every column
// kind asked for. Every variant must either read (and give a panel whose values are finite or NaN
// and whose ids are unique) or throw InputError / IoError with a message naming the file; never
// crash, hang or throw anything else. SKUCAST_FUZZ_ROUNDS=R runs R times as many variants.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "engine/synth/random.h"
#include "io/csv_ingest.h"
#include "kernels/common.hpp"

namespace skucast {
namespace {

namespace fs = std::filesystem;

// Deterministic draws: the project's splitmix64 (engine/synth/random.h).
struct Rng {
  uint64_t s;
  uint64_t next() { return synth::splitmix64(s); }
  size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
};

std::string mutate(std::string s, Rng& rng) {
  static const char* kInserts[] = {",", "\"", "\n", "\r", "\r\n", "", "nan", "inf", "-1",
                                   "1e400", "2021-13-45", "9999-01-01", "  ", "\"\"", ",,,", "\xff\xfe", "0x1p3"};
  const int edits = 1 + static_cast<int>(rng.below(4));
  for (int e = 0; e < edits && !s.empty(); ++e) {
    const size_t at = rng.below(s.size());
    switch (rng.below(7)) {
      case 0: s[at] = static_cast<char>(s[at] ^ static_cast<char>(1 + rng.below(255))); break;
      case 1: {
        const size_t k = rng.below(sizeof kInserts / sizeof *kInserts);
        s.insert(at, k == 5 ? std::string(1, '\0') : std::string(kInserts[k]));  // [5]: a NUL byte
        break;
      }
      case 2: s.erase(at, 1 + rng.below(40)); break;
      case 3: s.insert(at, s.substr(rng.below(s.size()), 1 + rng.below(60))); break;
      case 4: {  // swap two lines' starts
        const size_t b = rng.below(s.size());
        std::swap(s[at], s[b]);
        break;
      }
      case 5: s.resize(at); break;
      default: s.insert(at, std::string(1 + rng.below(3), ",\n\"0"[rng.below(4)])); break;
    }
  }
  return s;
}

TEST(CsvFuzz, MutatedCsvReadsOrFailsCleanly) {
  const std::string seed = [] {
    std::ifstream f(std::string(SKUCAST_TEST_DATA) + "/ingest_small.csv", std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }();
  ASSERT_GT(seed.size(), 100u);
  const fs::path dir = fs::temp_directory_path() / ("skucast_csv_fuzz_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string csv = (dir / "f.csv").string();
  int rounds = 1;
  if (const char* r = std::getenv("SKUCAST_FUZZ_ROUNDS")) rounds = std::max(1, std::atoi(r));
  Rng rng{20261206};
  int ok = 0, refused = 0;
  for (int k = 0; k < 1500 * rounds; ++k) {
    const std::string text = mutate(seed, rng);
    {
      std::ofstream f(csv, std::ios::binary | std::ios::trunc);
      f.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    IngestOptions o;
    o.csv_path = csv;
    o.dynamic = {"price", "promo"};
    o.statics = {"store", "dept"};
    o.weight_col = "weight";
    o.chunk_bytes = 64 + rng.below(512);  // small buffers: rows cross chunk and split edges
    o.split_bytes = 64 + rng.below(512);
    try {
      const PanelData p = read_long_csv(o);
      std::set<std::string> ids(p.header.ids.begin(), p.header.ids.end());
      EXPECT_EQ(ids.size(), p.header.ids.size()) << "variant " << k << ": duplicate ids";
      for (float v : p.target) EXPECT_TRUE(std::isnan(v) || std::isfinite(v)) << "variant " << k;
      ++ok;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("f.csv"), std::string::npos) << "variant " << k << ": " << e.what();
      ++refused;
    } catch (const IoError&) {
      ++refused;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "variant " << k << ": unexpected exception: " << e.what() << "\n" << text;
    }
  }
  std::printf("csv fuzz: %d variants read, %d refused\n", ok, refused);
  EXPECT_GT(refused, 0);
  EXPECT_GT(ok, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace skucast

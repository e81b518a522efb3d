// tests/io/test_panel.cpp — panel file round trips, streaming block reads, atomic writes,
// byte-identical output, version checks.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>

#include "io/h5.h"
#include "io/panel.h"
#include "kernels/common.hpp"

namespace fs = std::filesystem;
using namespace skucast;

namespace {

std::string tmpdir() {
  auto d = fs::temp_directory_path() / ("skucast_test_panel_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d.string();
}

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Fixture {
  PanelHeader h;
  std::vector<float> target;
  std::vector<std::vector<float>> dyn;
};

Fixture make(int64_t S, int64_t T, int64_t F, uint32_t seed = 1) {
  Fixture fx;
  fx.h.axis = make_axis(Freq::Day, "2011-01-29", 7);
  fx.h.n_steps = T;
  fx.h.n_future = F;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(0, 10);
  for (int64_t s = 0; s < S; ++s) fx.h.ids.push_back("ITEM_" + std::to_string(s) + "_ü");  // UTF-8 ids
  fx.h.statics.push_back({"store", {}, {"CA_1", "TX_2", "WI_3"}});
  for (int64_t s = 0; s < S; ++s) fx.h.statics[0].codes.push_back(static_cast<int32_t>(s % 3));
  for (int64_t s = 0; s < S; ++s) fx.h.weights.push_back(static_cast<float>(s + 1));
  fx.h.dynamic = {{"price", true}, {"snap", false}};
  fx.h.events.push_back({"christmas", std::vector<uint8_t>(T + F, 0)});
  fx.h.events[0].flags[5] = 1;
  fx.target.resize(S * T);
  for (int64_t s = 0; s < S; ++s)
    for (int64_t t = 0; t < T; ++t) {
      float v = std::floor(U(rng));
      if (t < s % 17) v = std::numeric_limits<float>::quiet_NaN();           // launches
      if (t > T - 1 - (s % 5)) v = std::numeric_limits<float>::quiet_NaN();  // delistings
      if ((s * 31 + t) % 97 == 0) v = std::numeric_limits<float>::quiet_NaN();  // interior gaps
      fx.target[s * T + t] = v;
    }
  fx.dyn.resize(2);
  fx.dyn[0].resize(S * (T + F));
  for (auto& v : fx.dyn[0]) v = U(rng);
  fx.dyn[1].resize(T + F);
  for (int64_t t = 0; t < T + F; ++t) fx.dyn[1][t] = static_cast<float>(t % 2);
  return fx;
}

bool same_float(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

TEST(Panel, RoundTripEverything) {
  const auto dir = tmpdir();
  const std::string p = dir + "/rt.h5";
  auto fx = make(300, 200, 28);
  write_panel(p, fx.h, fx.target, fx.dyn);
  PanelReader r(p);
  const auto& h = r.header();
  EXPECT_EQ(h.n_series(), 300);
  EXPECT_EQ(h.n_steps, 200);
  EXPECT_EQ(h.n_future, 28);
  EXPECT_EQ(h.axis.start_label(), "2011-01-29");
  EXPECT_EQ(h.axis.season_length, 7);
  EXPECT_EQ(h.ids, fx.h.ids);
  ASSERT_EQ(h.statics.size(), 1u);
  EXPECT_EQ(h.statics[0].codes, fx.h.statics[0].codes);
  EXPECT_EQ(h.statics[0].levels, fx.h.statics[0].levels);
  EXPECT_EQ(h.weights, fx.h.weights);
  ASSERT_EQ(h.events.size(), 1u);
  EXPECT_EQ(h.events[0].flags, fx.h.events[0].flags);
  auto all = r.read_target(0, 300);
  ASSERT_EQ(all.size(), fx.target.size());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_TRUE(same_float(all[i], fx.target[i])) << "at " << i;
  auto price = r.read_dynamic("price", 0, 300);
  EXPECT_EQ(price, fx.dyn[0]);
  auto snap = r.read_dynamic("snap", 3, 5);  // shared row repeated
  ASSERT_EQ(snap.size(), 2u * 228);
  EXPECT_EQ(snap[228 + 1], 1.0f);
  fs::remove_all(dir);
}

TEST(Panel, StreamingBlocksEqualFullRead) {
  const auto dir = tmpdir();
  const std::string p = dir + "/blocks.h5";
  auto fx = make(2500, 150, 0, 7);  // several chunks, a ragged last one
  for (int level : {0, 1}) {
    write_panel(p, fx.h, fx.target, fx.dyn, level);
    PanelReader r(p);
    ASSERT_LT(r.chunk_rows(), 2500);
    auto full = r.read_target(0, 2500);
    for (int64_t b : {1, 7, 333, 1000, 2500}) {
      for (int64_t i0 = 0; i0 < (b == 1 ? 40 : 2500); i0 += b) {
        const int64_t i1 = std::min<int64_t>(2500, i0 + b);
        auto blk = r.read_target(i0, i1);
        for (int64_t k = 0; k < (i1 - i0) * 150; ++k)
          ASSERT_TRUE(same_float(blk[k], full[i0 * 150 + k])) << "level " << level << " block " << b << " i0 " << i0;
      }
    }
  }
  fs::remove_all(dir);
}

TEST(Panel, BlockwiseWritesInAnyOrder) {
  const auto dir = tmpdir();
  const std::string p = dir + "/w.h5";
  auto fx = make(1000, 300, 5, 3);
  {
    PanelWriter w(p, fx.h);
    const int64_t cr = w.chunk_rows();
    // aligned blocks, written back to front, plus an unaligned tail piece
    std::vector<std::pair<int64_t, int64_t>> blocks;
    for (int64_t i0 = 0; i0 < 1000; i0 += cr) blocks.push_back({i0, std::min<int64_t>(cr, 1000 - i0)});
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
      w.write_target(it->first, it->second, fx.target.data() + it->first * 300);
      w.write_dynamic("price", it->first, it->second, fx.dyn[0].data() + it->first * 305);
    }
    w.write_target(3, 2, fx.target.data() + 3 * 300);  // unaligned rewrite goes through H5Dwrite
    w.write_dynamic_shared("snap", fx.dyn[1].data());
    EXPECT_FALSE(fs::exists(p)) << "file must not appear before commit";
    w.commit();
  }
  PanelReader r(p);
  auto all = r.read_target(0, 1000);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_TRUE(same_float(all[i], fx.target[i]));
  EXPECT_EQ(r.read_dynamic("price", 0, 1000), fx.dyn[0]);
  fs::remove_all(dir);
}

TEST(Panel, SameInputsGiveByteIdenticalFiles) {
  const auto dir = tmpdir();
  auto fx = make(500, 100, 10);
  write_panel(dir + "/a.h5", fx.h, fx.target, fx.dyn);
  write_panel(dir + "/b.h5", fx.h, fx.target, fx.dyn);
  EXPECT_EQ(slurp(dir + "/a.h5"), slurp(dir + "/b.h5"));
  fs::remove_all(dir);
}

TEST(Panel, UncommittedWriterLeavesNothingAndKeepsOldFile) {
  const auto dir = tmpdir();
  const std::string p = dir + "/keep.h5";
  { std::ofstream(p) << "precious"; }
  auto fx = make(10, 20, 0);
  {
    PanelWriter w(p, fx.h);
    w.write_target(0, 10, fx.target.data());
    // destroyed without commit (as when an exception unwinds)
  }
  EXPECT_EQ(slurp(p), "precious");
  for (auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "keep.h5") << "leftover " << e.path();
  fs::remove_all(dir);
}

TEST(Panel, RejectsWrongVersionAndNonPanels) {
  const auto dir = tmpdir();
  const std::string p = dir + "/v.h5";
  auto fx = make(4, 10, 0);
  write_panel(p, fx.h, fx.target, fx.dyn);
  {
    hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete(f, "version");
    h5::write_attr(f, "version", int64_t{99});
    H5Fclose(f);
  }
  try {
    PanelReader r(p);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("version 99"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("regenerate"), std::string::npos) << e.what();
  }
  { std::ofstream(dir + "/text.h5") << "not hdf5"; }
  EXPECT_THROW(PanelReader(dir + "/text.h5"), InputError);
  EXPECT_THROW(PanelReader(dir + "/missing.h5"), IoError);
  fs::remove_all(dir);
}

TEST(Panel, HeaderValidation) {
  auto fx = make(4, 10, 2);
  fx.h.ids[1] = fx.h.ids[0];
  EXPECT_THROW(fx.h.validate(), InputError);
  fx = make(4, 10, 2);
  fx.h.events[0].flags.pop_back();
  EXPECT_THROW(fx.h.validate(), InputError);
  fx = make(4, 10, 2);
  fx.h.statics[0].codes[0] = 9;
  EXPECT_THROW(fx.h.validate(), InputError);
  // Weights are finite and >= 0 (WRMSSE, --sampling weight); ids are not empty (ingest and
  // export cannot carry one); the axis is at most kMaxPanelSteps long.
  for (float w : {-1.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    fx = make(4, 10, 2);
    fx.h.weights[2] = w;
    EXPECT_THROW(fx.h.validate(), InputError) << w;
  }
  fx = make(4, 10, 2);
  fx.h.weights[2] = 0.0f;
  EXPECT_NO_THROW(fx.h.validate());
  fx.h.ids[3] = "";
  EXPECT_THROW(fx.h.validate(), InputError);
  fx = make(4, 10, 0);
  fx.h.events.clear();
  fx.h.n_future = kMaxPanelSteps - 10;
  EXPECT_NO_THROW(fx.h.validate());
  fx.h.n_future += 1;
  EXPECT_THROW(fx.h.validate(), InputError);
}

// A damaged or foreign panel file: the reader's errors name the file (and the dataset's whole
// path) for checks that do not know it themselves, and refuse a season length that does not fit.
TEST(Panel, ReaderErrorsNameTheFile) {
  const auto dir = tmpdir();
  const std::string p = dir + "/damaged.h5";
  auto expect_error = [&](const std::string& what, auto&& damage) {
    auto fx = make(4, 10, 0);  // no covariates or events: n_future is then only the attribute
    fx.h.dynamic.clear();
    fx.dyn.clear();
    fx.h.events.clear();
    write_panel(p, fx.h, fx.target, fx.dyn);
    hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    damage(f);
    H5Fclose(f);
    try {
      PanelReader r(p);
      FAIL() << "expected InputError: " << what;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(p + ": ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_error("unknown frequency 'X'", [](hid_t f) {
    H5Adelete(f, "freq");
    h5::write_attr(f, "freq", std::string("X"));
  });
  expect_error("attribute season_length is 0", [](hid_t f) {
    H5Adelete(f, "season_length");
    h5::write_attr(f, "season_length", int64_t{0});
  });
  expect_error("attribute season_length is 4294967303", [](hid_t f) {  // 2^32 + 7 read as 7 before
    H5Adelete(f, "season_length");
    h5::write_attr(f, "season_length", int64_t{4294967303});
  });
  expect_error("more than the 134217728 a time axis may have", [](hid_t f) {
    H5Adelete(f, "n_future");
    h5::write_attr(f, "n_future", int64_t{1} << 40);
  });
  expect_error("weights must be finite and >= 0", [](hid_t f) {
    H5Ldelete(f, "/series/weight", H5P_DEFAULT);
    h5::write_vector(f, "/series/weight", std::vector<float>{1, -2, 3, 4}, "");
  });
  expect_error("missing dataset /series/static/store_levels",
               [](hid_t f) { H5Ldelete(f, "/series/static/store_levels", H5P_DEFAULT); });
  fs::remove_all(dir);
}

TEST(TimeAxis, LabelsAndPositions) {
  auto d = make_axis(Freq::Day, "2011-01-29", 7);
  EXPECT_EQ(d.label(0), "2011-01-29");
  EXPECT_EQ(d.label(1940), "2016-05-22");  // M5's last training day
  EXPECT_EQ(*d.position(*TimeAxis::ordinal(Freq::Day, "2012-02-29")), 396);
  int dow, dom, month, doy;
  int64_t year;
  d.calendar(0, dow, dom, month, doy, year);
  EXPECT_EQ(dow, 5);  // 2011-01-29 was a Saturday
  EXPECT_EQ(month, 1);
  EXPECT_EQ(doy, 29);
  auto w = make_axis(Freq::Week, "2020-01-06", 52);
  EXPECT_EQ(w.label(2), "2020-01-20");
  EXPECT_FALSE(w.position(*TimeAxis::ordinal(Freq::Week, "2020-01-08")).has_value());
  auto m = make_axis(Freq::Month, "2020-01-31", 12);
  EXPECT_TRUE(m.month_end);
  EXPECT_EQ(m.label(1), "2020-02-29");
  bool me = true;
  EXPECT_FALSE(TimeAxis::ordinal(Freq::Month, "2020-03-01", &me).has_value());
  EXPECT_FALSE(TimeAxis::ordinal(Freq::Month, "2020-03-15").has_value());
  auto q = make_axis(Freq::Quarter, "2019-01-01", 4);
  EXPECT_EQ(q.label(5), "2020-04-01");
  EXPECT_FALSE(q.position(*TimeAxis::ordinal(Freq::Quarter, "2019-02-01")).has_value());
  auto y = make_axis(Freq::Year, "1990-01-01", 1);
  EXPECT_EQ(y.label(30), "2020-01-01");
  auto i = make_axis(Freq::Index, "-3", 1);
  EXPECT_EQ(i.label(5), "2");
  EXPECT_FALSE(TimeAxis::ordinal(Freq::Day, "2021-02-29").has_value());
  EXPECT_FALSE(TimeAxis::ordinal(Freq::Day, "2021-2-01").has_value());
  EXPECT_THROW(parse_freq("H"), InputError);
}

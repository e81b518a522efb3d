// tests/io/test_file_format.cpp — Note [File format 2] in io/h5.h: the pieces the damaged-file
// corpus (tests/cli/test_cli_damage.cpp) relies on, each checked directly.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/file_check.h"
#include "io/h5.h"
#include "kernels/common.hpp"
#include "tests/cli_helpers.h"

namespace skucast {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  return skucast::testing::test_scratch_dir("skucast_format_") / name;
}

// Our Fletcher32 (the panel's parallel codec appends it itself) is the one HDF5's filter stores:
// a chunk written through the library's pipeline ends with our checksum of its bytes,
// little-endian, for even and odd byte counts.
TEST(FileFormat, Fletcher32MatchesHdf5sFilter) {
  for (const hsize_t n : {hsize_t{1}, hsize_t{7}, hsize_t{361}, hsize_t{5000}}) {
    const std::string path = scratch("f32_" + std::to_string(n) + ".h5").string();
    std::vector<uint8_t> v(n);
    for (hsize_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 131 + 7) ^ (i >> 3));
    {
      h5::Handle f = h5::create_file(path);
      h5::Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      h5::Handle dcpl = h5::dcpl_checked(1, &n, 0);  // Fletcher32 alone: the chunk is the raw bytes
      h5::Handle ds(H5Dcreate2(f, "v", H5T_NATIVE_UINT8, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
      ASSERT_GE(H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
      ds.reset();
      h5::close_file(f, path);
    }
    h5::Handle f = h5::open_file_ro(path);
    h5::Handle ds = h5::open_dataset(f, "v", path);
    const hsize_t off = 0;
    hsize_t bytes = 0;
    ASSERT_GE(H5Dget_chunk_storage_size(ds, &off, &bytes), 0);
    ASSERT_EQ(bytes, n + 4);
    std::vector<unsigned char> raw(bytes);
    uint32_t mask = 0;
    ASSERT_GE(H5Dread_chunk(ds, H5P_DEFAULT, &off, &mask, raw.data()), 0);
    ASSERT_EQ(std::memcmp(raw.data(), v.data(), n), 0);
    const uint32_t stored = uint32_t{raw[n]} | uint32_t{raw[n + 1]} << 8 | uint32_t{raw[n + 2]} << 16 | uint32_t{raw[n + 3]} << 24;
    EXPECT_EQ(h5::fletcher32(v.data(), n), stored) << n << " bytes";
  }
}

// Fletcher32 of an all-zero chunk is 0, so a zeroed raw chunk with its checksum would pass; small
// datasets are deflated for that reason, and a zeroed deflate stream is never valid.
TEST(FileFormat, ZeroedSmallChunkIsRefused) {
  const std::string path = scratch("zero.h5").string();
  {
    h5::Handle f = h5::create_file(path);
    h5::write_attr(f, "format", std::string("skucast-test"));
    h5::write_attr(f, "version", h5::kFileVersion);
    h5::write_strings(f, "ids", {"a", "b", "c"}, path);
    h5::close_file(f, path);
  }
  EXPECT_EQ(h5::read_strings(h5::open_file_ro(path), "ids", path), (std::vector<std::string>{"a", "b", "c"}));
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  h5::Handle f = h5::open_file_ro(path);
  h5::Handle ds = h5::open_dataset(f, "ids", path);
  haddr_t addr = HADDR_UNDEF;
  hsize_t size = 0;
  const hsize_t off = 0;
  unsigned mask = 0;
  ASSERT_GE(H5Dget_chunk_info_by_coord(ds, &off, &mask, &addr, &size), 0);
  ds.reset();
  f.reset();
  ASSERT_LE(addr + size, bytes.size());
  std::memset(bytes.data() + addr, 0, size);  // the whole chunk, checksum included
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_ANY_THROW(h5::read_strings(h5::open_file_ro(path), "ids", path));
  EXPECT_ANY_THROW(verify_hdf5(path));
}

// Note [Compact storage]: groups with many links and objects with many attributes keep them in
// their (checksummed) object headers, never in dense storage.
TEST(FileFormat, LinksAndAttributesStayCompact) {
  const std::string path = scratch("compact.h5").string();
  {
    h5::Handle f = h5::create_file(path);
    h5::write_attr(f, "format", std::string("skucast-test"));
    h5::write_attr(f, "version", h5::kFileVersion);
    for (int a = 0; a < 40; ++a) h5::write_attr(f, "attr_" + std::to_string(a), int64_t{a});
    h5::Handle g = h5::create_group(f, "events", path);
    for (int k = 0; k < 60; ++k) h5::write_vector(g, "event_" + std::to_string(k), std::vector<uint8_t>(10, 1), path);
    g.reset();
    h5::close_file(f, path);
  }
  h5::Handle f = h5::open_file_ro(path);
  h5::Handle g = h5::open_group(f, "events", path);
  H5G_info_t info;
  ASSERT_GE(H5Gget_info(g, &info), 0);
  EXPECT_EQ(info.nlinks, 60u);
  EXPECT_EQ(info.storage_type, H5G_STORAGE_TYPE_COMPACT);
  h5::Handle root = h5::open_group(f, "/", path);
  EXPECT_EQ(h5::read_attr_int(root, "attr_39", path), 39);
  EXPECT_EQ(h5::list_links(g).size(), 60u);
  // Every dataset is checked: a fresh file verifies whole.
  EXPECT_NO_THROW(verify_hdf5(path));
}

// Strings are fixed-length, and version 1's variable-length strings are refused unless reading
// for `upgrade` (the path where damaged files crashed libhdf5 1.10).
TEST(FileFormat, StringsAreFixedLength) {
  const std::string path = scratch("strings.h5").string();
  {
    h5::Handle f = h5::create_file(path);
    h5::write_strings(f, "ids", {"", "x", "a longer id"}, path);
    h5::write_attr(f, "empty", std::string());
    h5::close_file(f, path);
  }
  h5::Handle f = h5::open_file_ro(path);
  h5::Handle ds = h5::open_dataset(f, "ids", path);
  h5::Handle type(H5Dget_type(ds), H5Tclose);
  EXPECT_EQ(H5Tis_variable_str(type), 0);
  EXPECT_EQ(h5::read_strings(f, "ids", path), (std::vector<std::string>{"", "x", "a longer id"}));
  EXPECT_EQ(h5::read_attr_string(f, "empty", path), "");
  EXPECT_FALSE(h5::read_attr_string(f, "run_id", path).empty());  // every file records its run
}

}  // namespace
}  // namespace skucast

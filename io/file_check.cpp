// io/file_check.cpp — verify and upgrade skucast HDF5 files (see file_check.h).
#include "io/file_check.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "io/atomic_file.h"
#include "io/h5.h"
#include "kernels/common.hpp"

namespace skucast {

namespace {

using h5::Handle;

constexpr hsize_t kBlockBytes = hsize_t{64} << 20;

// Turns legacy (variable-length string) reads on for one scope.
struct LegacyReads {
  LegacyReads() { h5::set_legacy_reads(true); }
  ~LegacyReads() { h5::set_legacy_reads(false); }
};

// Opens `name` under `loc` as an object and says whether it is a group or a dataset.
H5I_type_t object_type(hid_t loc, const std::string& name, const std::string& file) {
  const hid_t id = H5Oopen(loc, name.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(file + ": cannot open object " + name + " (damaged file?)");
  const H5I_type_t t = H5Iget_type(id);
  H5Oclose(id);
  return t;
}

std::string child(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// Calls fn(offset, rows, buffer) for consecutive blocks of leading rows of a dataset, read
// with the native memory type `mtype` (element size `esize`).
template <class Fn>
void for_each_block(hid_t ds, hid_t mtype, size_t esize, const std::string& what, const std::string& file, Fn&& fn) {
  Handle space(H5Dget_space(ds), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) throw InputError(file + ": dataset " + what + " has a damaged dataspace");
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  if (rank == 0) {  // a scalar
    std::vector<unsigned char> buf(esize);
    if (H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0)
      throw IoError(file + ": cannot read " + what + " (damaged data: checksum or compression)");
    fn(hsize_t{0}, hsize_t{1}, buf.data());
    return;
  }
  hsize_t row_bytes = esize;
  for (int k = 1; k < rank; ++k) {
    if (d[k] != 0 && row_bytes > (hsize_t{1} << 40) / d[k]) throw InputError(file + ": dataset " + what + " has damaged dimensions");
    row_bytes *= d[k];
  }
  if (d[0] == 0 || row_bytes == 0) return;
  const hsize_t rows_per = std::max<hsize_t>(1, kBlockBytes / row_bytes);
  std::vector<unsigned char> buf(static_cast<size_t>(std::min(rows_per, d[0]) * row_bytes));
  for (hsize_t r0 = 0; r0 < d[0]; r0 += rows_per) {
    const hsize_t n = std::min(rows_per, d[0] - r0);
    std::vector<hsize_t> start(d.size(), 0), count = d;
    start[0] = r0;
    count[0] = n;
    Handle fspace(H5Dget_space(ds), H5Sclose);
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    Handle mspace(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
    if (H5Dread(ds, mtype, mspace, fspace, H5P_DEFAULT, buf.data()) < 0)
      throw IoError(file + ": cannot read " + what + " rows " + std::to_string(r0) + ".." +
                    std::to_string(r0 + n - 1) + " (damaged data: checksum or compression)");
    fn(r0, n, buf.data());
  }
}

bool has_fletcher32(hid_t ds) {
  Handle dcpl(H5Dget_create_plist(ds), H5Pclose);
  const int nf = H5Pget_nfilters(dcpl);
  for (int k = 0; k < nf; ++k) {
    unsigned flags = 0, cd[8];
    size_t ncd = 8;
    char nm[64];
    if (H5Pget_filter2(dcpl, static_cast<unsigned>(k), &flags, &ncd, cd, sizeof nm, nm, nullptr) == H5Z_FILTER_FLETCHER32)
      return true;
  }
  return false;
}

void verify_group(hid_t g, const std::string& dir, const std::string& file, FileCheck& out) {
  for (const std::string& name : h5::list_links(g)) {
    const std::string what = child(dir, name);
    const H5I_type_t t = object_type(g, name, file);
    if (t == H5I_GROUP) {
      Handle sub = h5::open_group(g, name, file);
      verify_group(sub, what, file, out);
    } else if (t == H5I_DATASET) {
      Handle ds = h5::open_dataset(g, name, file);
      Handle ftype(H5Dget_type(ds), H5Tclose);
      if (ftype.id() < 0) throw InputError(file + ": dataset " + what + " has a damaged type");
      ++out.datasets;
      out.checked += has_fletcher32(ds);
      if (H5Tget_class(ftype) == H5T_STRING) {
        const auto v = h5::read_strings(g, name, file);  // bounds-checked; refuses version 1 strings
        for (const auto& s : v) out.bytes += static_cast<int64_t>(s.size());
        continue;
      }
      Handle mtype(H5Tget_native_type(ftype, H5T_DIR_ASCEND), H5Tclose);
      if (mtype.id() < 0) throw InputError(file + ": dataset " + what + " has a type skucast does not read");
      const size_t esize = H5Tget_size(mtype);
      for_each_block(ds, mtype, esize, what, file, [&](hsize_t, hsize_t, const unsigned char*) {});
      out.bytes += static_cast<int64_t>(H5Dget_storage_size(ds));
    }
  }
}

// Copies every attribute of `src` to `dst`; `root` turns version 1 into 2.
void copy_attrs(hid_t src, hid_t dst, bool root, const std::string& file) {
  const int n = H5Aget_num_attrs(src);
  if (n < 0) throw InputError(file + ": cannot list attributes (damaged file?)");
  for (int i = 0; i < n; ++i) {
    Handle attr(H5Aopen_by_idx(src, ".", H5_INDEX_NAME, H5_ITER_INC, static_cast<hsize_t>(i), H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose);
    if (attr.id() < 0) throw InputError(file + ": cannot open attribute " + std::to_string(i) + " (damaged file?)");
    char nbuf[256] = {0};
    const ssize_t len = H5Aget_name(attr, sizeof nbuf, nbuf);
    if (len <= 0 || len >= static_cast<ssize_t>(sizeof nbuf)) throw InputError(file + ": damaged attribute name");
    const std::string name(nbuf, static_cast<size_t>(len));
    Handle ftype(H5Aget_type(attr), H5Tclose);
    if (H5Tget_class(ftype) == H5T_STRING) {
      h5::write_attr(dst, name, h5::read_attr_string(src, name, file));
      continue;
    }
    if (root && name == "version") {
      h5::write_attr(dst, name, h5::kFileVersion);
      continue;
    }
    Handle space(H5Aget_space(attr), H5Sclose);
    Handle mtype(H5Tget_native_type(ftype, H5T_DIR_ASCEND), H5Tclose);
    const hssize_t points = H5Sget_simple_extent_npoints(space);
    if (mtype.id() < 0 || points < 0 || points > (1 << 20)) throw InputError(file + ": damaged attribute " + name);
    std::vector<unsigned char> buf(static_cast<size_t>(points) * H5Tget_size(mtype));
    if (H5Aread(attr, mtype, buf.data()) < 0) throw InputError(file + ": cannot read attribute " + name);
    Handle out(H5Acreate2(dst, name.c_str(), ftype, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (out.id() < 0 || H5Awrite(out, mtype, buf.data()) < 0) throw IoError("cannot write attribute " + name);
  }
}

// A version 2 creation list for a copy of `src_ds`: its chunk shape (or ≈1 MiB of leading
// rows), its deflate level, its fill value, then Fletcher32.
Handle upgraded_dcpl(hid_t src_ds, hid_t ftype, const std::vector<hsize_t>& d) {
  Handle src(H5Dget_create_plist(src_ds), H5Pclose);
  const int rank = static_cast<int>(d.size());
  const bool empty = rank == 0 || std::any_of(d.begin(), d.end(), [](hsize_t x) { return x == 0; });
  if (empty) return h5::dcpl_no_times();
  std::vector<hsize_t> chunk = d;
  if (H5Pget_layout(src) == H5D_CHUNKED) {
    H5Pget_chunk(src, rank, chunk.data());
  } else {
    hsize_t row = H5Tget_size(ftype);
    for (int k = 1; k < rank; ++k) row *= d[k];
    chunk[0] = std::clamp<hsize_t>((hsize_t{1} << 20) / std::max<hsize_t>(row, 1), 1, d[0]);
  }
  int level = 0;
  const int nf = H5Pget_nfilters(src);
  for (int k = 0; k < nf; ++k) {
    unsigned flags = 0, cd[8] = {0};
    size_t ncd = 8;
    char nm[64];
    if (H5Pget_filter2(src, static_cast<unsigned>(k), &flags, &ncd, cd, sizeof nm, nm, nullptr) == H5Z_FILTER_DEFLATE)
      level = ncd > 0 ? static_cast<int>(std::clamp<unsigned>(cd[0], 1, 9)) : 6;
  }
  Handle dcpl = h5::dcpl_checked(rank, chunk.data(), level);
  H5D_fill_value_t fill_state;
  if (H5Pfill_value_defined(src, &fill_state) >= 0 && fill_state == H5D_FILL_VALUE_USER_DEFINED) {
    std::vector<unsigned char> fill(H5Tget_size(ftype));
    if (H5Pget_fill_value(src, ftype, fill.data()) >= 0) H5Pset_fill_value(dcpl, ftype, fill.data());
  }
  return dcpl;
}

void copy_group(hid_t src, hid_t dst, const std::string& dir, const std::string& file, const std::string& out_file) {
  copy_attrs(src, dst, dir == "/", file);
  for (const std::string& name : h5::list_links(src)) {
    const std::string what = child(dir, name);
    const H5I_type_t t = object_type(src, name, file);
    if (t == H5I_GROUP) {
      Handle s = h5::open_group(src, name, file);
      Handle d = h5::create_group(dst, name, out_file);
      copy_group(s, d, what, file, out_file);
      continue;
    }
    if (t != H5I_DATASET) throw InputError(file + ": " + what + " is neither a group nor a dataset");
    Handle ds = h5::open_dataset(src, name, file);
    Handle ftype(H5Dget_type(ds), H5Tclose);
    if (H5Tget_class(ftype) == H5T_STRING) {
      h5::write_strings(dst, name, h5::read_strings(src, name, file), out_file);
    } else {
      Handle space(H5Dget_space(ds), H5Sclose);
      const int rank = H5Sget_simple_extent_ndims(space);
      if (rank < 0) throw InputError(file + ": dataset " + what + " has a damaged dataspace");
      std::vector<hsize_t> d(static_cast<size_t>(rank));
      if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
      Handle mtype(H5Tget_native_type(ftype, H5T_DIR_ASCEND), H5Tclose);
      if (mtype.id() < 0) throw InputError(file + ": dataset " + what + " has a type skucast does not read");
      Handle dcpl = upgraded_dcpl(ds, ftype, d);
      Handle out(H5Dcreate2(dst, name.c_str(), ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
      if (out.id() < 0) throw IoError(out_file + ": cannot create dataset " + what);
      for_each_block(ds, mtype, H5Tget_size(mtype), what, file, [&](hsize_t r0, hsize_t n, const unsigned char* buf) {
        Handle fspace(H5Dget_space(out), H5Sclose);
        if (rank > 0) {
          std::vector<hsize_t> start(d.size(), 0), count = d;
          start[0] = r0;
          count[0] = n;
          H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
          Handle mspace(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
          if (H5Dwrite(out, mtype, mspace, fspace, H5P_DEFAULT, buf) < 0) throw IoError(out_file + ": cannot write " + what);
        } else if (H5Dwrite(out, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
          throw IoError(out_file + ": cannot write " + what);
        }
      });
    }
  }
}

}  // namespace

FileCheck verify_hdf5(const std::string& path) {
  Handle f = h5::open_file_ro(path);
  Handle root = h5::open_group(f, "/", path);
  FileCheck out;
  // check_format reads the version before any string; a version 2 file's format is then safe to read.
  std::string format = "skucast-*";
  if (h5::has_attr(root, "format") && h5::has_attr(root, "version") &&
      h5::read_attr_int(root, "version", path) == h5::kFileVersion) {
    format = h5::read_attr_string(root, "format", path);
    if (format.rfind("skucast-", 0) != 0) format = "skucast-*";
  }
  h5::check_format(root, format, "", path, "it was not written by skucast");
  out.format = format;
  out.version = h5::read_attr_int(root, "version", path);
  verify_group(root, "/", path, out);
  return out;
}

FileCheck upgrade_hdf5(const std::string& path, const std::string& out) {
  std::unique_ptr<AtomicPath> atomic;
  {
    LegacyReads legacy;
    Handle f = h5::open_file_ro(path);
    Handle root = h5::open_group(f, "/", path);
    if (!h5::has_attr(root, "version") || !h5::has_attr(root, "format"))
      throw InputError("'" + path + "' is not a skucast file (no format or version attribute)");
    const int64_t version = h5::read_attr_int(root, "version", path);
    if (version == h5::kFileVersion)
      throw InputError("'" + path + "' is already version " + std::to_string(version) + "; nothing to upgrade");
    if (version != 1)
      throw InputError("'" + path + "' is version " + std::to_string(version) + "; `skucast upgrade` converts version 1");
    const std::string format = h5::read_attr_string(root, "format", path);
    if (format.rfind("skucast-", 0) != 0)
      throw InputError("'" + path + "' is not a skucast file (format attribute '" + format + "')");
    atomic = std::make_unique<AtomicPath>(out);
    Handle dst = h5::create_file(atomic->tmp());
    {
      Handle dst_root = h5::open_group(dst, "/", atomic->tmp());
      copy_group(root, dst_root, "/", path, atomic->tmp());
    }
    h5::close_file(dst, atomic->tmp());
  }
  FileCheck check = verify_hdf5(atomic->tmp());  // the new file reads back whole before it replaces anything
  atomic->commit();
  return check;
}

}  // namespace skucast

// io/h5.cpp — HDF5 helpers (see h5.h).
#include "io/h5.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <filesystem>

#include "kernels/common.hpp"

namespace skucast::h5 {

template <> hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }

void skip_shutdown_at_exit() { H5dont_atexit(); }

const std::string& run_id() {
  static const std::string id = [] {
    if (const char* env = std::getenv("SKUCAST_RUN_ID"); env && *env) return std::string(env);
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "host");
    for (char* c = host; *c; ++c)
      if (!std::isalnum(static_cast<unsigned char>(*c)) && *c != '-' && *c != '_') *c = '_';
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    return std::string(stamp) + "-" + host + "-" + std::to_string(getpid());
  }();
  return id;
}

static bool g_legacy_reads = false;
void set_legacy_reads(bool allow) { g_legacy_reads = allow; }

uint32_t fletcher32(const unsigned char* data, size_t n) {
  // H5_checksum_fletcher32: 16-bit big-endian words, sums folded every 360 words.
  uint32_t sum1 = 0, sum2 = 0;
  size_t words = n / 2;
  while (words) {
    size_t t = words > 360 ? 360 : words;
    words -= t;
    do {
      sum1 += static_cast<uint32_t>(data[0]) << 8 | data[1];
      data += 2;
      sum2 += sum1;
    } while (--t);
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  if (n % 2) {  // an odd last byte is the high byte of a word
    sum1 += static_cast<uint32_t>(*data) << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  return sum2 << 16 | sum1;
}

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

static void keep_compact(hid_t ocpl, bool links);

static void check(herr_t rc, const std::string& what, const std::string& file) {
  if (rc < 0) throw IoError(file + ": HDF5 failed to " + what);
}

Handle create_file(const std::string& path) {
  silence_errors();
  // Note [File format 2]: the latest format bounds, whose metadata carries checksums.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
  // The root group's object header would carry timestamps (1 s resolution) under these
  // bounds: off, so the same inputs give the same bytes.
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  keep_compact(fcpl, true);  // the root group (Note [Compact storage])
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl);
  if (id < 0) throw IoError("cannot create HDF5 file '" + path + "' for writing (check the folder exists and is writable)");
  Handle file(id, H5Fclose);
  write_attr(file, "run_id", run_id());
  return file;
}

void close_file(Handle& file, const std::string& path) {
  const hid_t id = file.release();
  if (id < 0) return;
  const herr_t flushed = H5Fflush(id, H5F_SCOPE_GLOBAL);
  const herr_t closed = H5Fclose(id);
  if (flushed < 0 || closed < 0)
    throw IoError("cannot write '" + path + "': HDF5 could not " + (flushed < 0 ? "flush" : "close") +
                  " it (is the disk full, or a file-size limit reached?)");
}

Handle open_file_ro(const std::string& path) {
  silence_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw IoError("cannot open '" + path + "' for reading: " + std::strerror(errno));
    std::fclose(f);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw InputError("'" + path + "' is a folder, expected an HDF5 file");
    throw InputError("'" + path + "' is not an HDF5 file");
  }
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0)  // the signature is there, the structure is not readable
    throw IoError("cannot open HDF5 file '" + path + "' for reading: it is damaged or truncated (an interrupted copy?), "
                  "or another program holds it open for writing");
  return Handle(id, H5Fclose);
}

// The name of the file an object lives in, for messages.
static std::string file_of(hid_t loc) {
  char buf[1024] = {0};
  const ssize_t n = H5Fget_name(loc, buf, sizeof buf);
  return n > 0 ? std::string(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1)) : std::string("HDF5 file");
}

bool exists(hid_t loc, const std::string& path) {
  // Check each component so a missing intermediate group is "no", not an error. A lookup that
  // fails (damaged link storage) is an error, never "absent": a reader would silently skip data.
  size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    const std::string part = path.substr(0, pos);
    if (!part.empty() && part != "/") {
      const htri_t rc = H5Lexists(loc, part.c_str(), H5P_DEFAULT);
      if (rc < 0) throw IoError(file_of(loc) + ": cannot look up " + part + " (damaged file?)");
      if (rc == 0) return false;
    }
    if (pos == std::string::npos) return true;
  }
}

// Note [Compact storage]
//   Links and attributes stay in their object's header (compact storage), never in the
//   "dense" fractal heap + B-tree that HDF5 switches to past 8 links or attributes: object
//   headers carry checksums under the format bounds we use, the fractal heap's blocks do not,
//   and libhdf5 1.10 crashed (a free of a garbage pointer in H5G__link_release_table) reading a
//   group whose dense link storage was damaged. Our groups hold at most a few hundred links and
//   attributes; an attribute too large for a header (64 KiB) still goes dense, by HDF5's rule.
static void keep_compact(hid_t ocpl, bool links) {
  H5Pset_obj_track_times(ocpl, false);
  H5Pset_attr_phase_change(ocpl, 65535, 65535);
  if (links) H5Pset_link_phase_change(ocpl, 65535, 65535);
}

Handle gcpl_no_times() {
  hid_t p = H5Pcreate(H5P_GROUP_CREATE);
  keep_compact(p, true);
  return Handle(p, H5Pclose);
}

Handle dcpl_no_times() {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  keep_compact(p, false);
  return Handle(p, H5Pclose);
}

Handle dcpl_checked(int rank, const hsize_t* chunk, int deflate) {
  Handle p = dcpl_no_times();
  H5Pset_chunk(p, rank, chunk);
  if (deflate > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    H5Pset_shuffle(p);
    H5Pset_deflate(p, static_cast<unsigned>(deflate));
  }
  H5Pset_fletcher32(p);  // last: the checksum covers the bytes as stored
  return p;
}

Handle create_group(hid_t loc, const std::string& name, const std::string& file) {
  Handle gcpl = gcpl_no_times();
  hid_t id = H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT);
  if (id < 0) throw IoError(file + ": cannot create group " + name);
  return Handle(id, H5Gclose);
}

// The whole path of `name` under `loc` ("/dynamic/price" for "price" in /dynamic), for messages.
static std::string object_path(hid_t loc, const std::string& name) {
  if (!name.empty() && name[0] == '/') return name;
  char buf[512] = {0};
  const ssize_t n = H5Iget_name(loc, buf, sizeof buf);
  std::string dir = n > 0 ? std::string(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1)) : "";
  if (dir.empty() || dir.back() != '/') dir += '/';
  return dir + name;
}

Handle open_group(hid_t loc, const std::string& name, const std::string& file) {
  hid_t id = H5Gopen2(loc, name.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(file + ": missing group " + object_path(loc, name));
  return Handle(id, H5Gclose);
}

Handle open_dataset(hid_t loc, const std::string& name, const std::string& file) {
  hid_t id = H5Dopen2(loc, name.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(file + ": missing dataset " + object_path(loc, name));
  return Handle(id, H5Dclose);
}

static herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

std::vector<std::string> list_links(hid_t group) {
  std::vector<std::string> out;
  hsize_t idx = 0;
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_link, &out) < 0)
    throw IoError(file_of(group) + ": cannot list a group's members (damaged file?)");
  std::sort(out.begin(), out.end());
  return out;
}

// Variable-length strings: only read, and only from version 1 files (set_legacy_reads).
static Handle vlen_string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Handle(t, H5Tclose);
}

// Fixed-length strings of `width` bytes, NUL-padded (Note [File format 2]).
static Handle fixed_string_type(size_t width) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, std::max<size_t>(width, 1));
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Handle(t, H5Tclose);
}

// Largest string attribute or string dataset we read: a bound against damaged sizes.
constexpr size_t kMaxStringBytes = size_t{1} << 32;

static void refuse_vlen(const std::string& what, const std::string& file) {
  throw InputError(file + ": " + what + " is a variable-length string (a version 1 file); convert the file with " +
                   "`skucast upgrade " + file + "`");
}

void write_attr(hid_t obj, const std::string& name, const std::string& value) {
  Handle type = fixed_string_type(value.size());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  std::string buf = value;
  if (buf.empty()) buf.push_back('\0');
  check(attr.id() < 0 ? -1 : H5Awrite(attr, type, buf.data()), "write attribute " + name, "");
}

void write_attr(hid_t obj, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  check(attr.id() < 0 ? -1 : H5Awrite(attr, H5T_NATIVE_INT64, &value), "write attribute " + name, "");
}

void write_attr_double(hid_t obj, const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  check(attr.id() < 0 ? -1 : H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), "write attribute " + name, "");
}

bool has_attr(hid_t obj, const std::string& name) {
  const htri_t rc = H5Aexists(obj, name.c_str());
  if (rc < 0) throw IoError(file_of(obj) + ": cannot look up attribute '" + name + "' (damaged file?)");
  return rc > 0;
}

std::string read_attr_string(hid_t obj, const std::string& name, const std::string& file) {
  if (!has_attr(obj, name)) throw InputError(file + ": missing attribute '" + name + "'");
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle ftype(H5Aget_type(attr), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING) throw InputError(file + ": attribute '" + name + "' is not a string");
  {
    Handle space(H5Aget_space(attr), H5Sclose);
    if (H5Sget_simple_extent_npoints(space) != 1)
      throw InputError(file + ": attribute '" + name + "' is not a single string");
  }
  if (H5Tis_variable_str(ftype) > 0) {
    if (!g_legacy_reads) refuse_vlen("attribute '" + name + "'", file);
    Handle type = vlen_string_type();
    char* p = nullptr;
    check(H5Aread(attr, type, &p), "read attribute " + name, file);
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const size_t n = H5Tget_size(ftype);
  if (n == 0 || n > kMaxStringBytes) throw InputError(file + ": attribute '" + name + "' has a damaged size");
  std::string s(n, '\0');
  check(H5Aread(attr, ftype, s.data()), "read attribute " + name, file);
  s.resize(std::strlen(s.c_str()));
  return s;
}

namespace {
// Reads the scalar attribute `name` of HDF5 class `cls` (what: "an integer", "a number") as
// `mem` into *out; InputError naming the file when it is missing or of another kind.
void read_scalar_attr(hid_t obj, const std::string& name, const std::string& file, H5T_class_t cls, hid_t mem,
                      const char* what, void* out) {
  if (!has_attr(obj, name)) throw InputError(file + ": missing attribute '" + name + "'");
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle ftype(H5Aget_type(attr), H5Tclose);
  if (H5Tget_class(ftype) != cls) throw InputError(file + ": attribute '" + name + "' is not " + what);
  {
    Handle space(H5Aget_space(attr), H5Sclose);
    if (H5Sget_simple_extent_npoints(space) != 1)
      throw InputError(file + ": attribute '" + name + "' is not a single value (" + what + " expected)");
  }
  check(H5Aread(attr, mem, out), "read attribute " + name, file);
}
}  // namespace

int64_t read_attr_int(hid_t obj, const std::string& name, const std::string& file) {
  int64_t v = 0;
  read_scalar_attr(obj, name, file, H5T_INTEGER, H5T_NATIVE_INT64, "an integer", &v);
  return v;
}

double read_attr_double(hid_t obj, const std::string& name, const std::string& file) {
  double v = 0;
  read_scalar_attr(obj, name, file, H5T_FLOAT, H5T_NATIVE_DOUBLE, "a number", &v);
  return v;
}

// A dataset creation list for a 1-D dataset of n elements of `elem_bytes`: chunks of about
// 1 MiB, deflated, with Fletcher32 (Note [File format 2]); empty datasets stay contiguous.
// Deflate is there for the checksum's sake as much as for size: Fletcher32 of an all-zero
// chunk is 0, so a zeroed block covering a raw chunk and its checksum would pass, while a
// zeroed deflate stream is never valid.
static Handle dcpl_vector(hsize_t n, size_t elem_bytes) {
  if (n == 0) return dcpl_no_times();
  const hsize_t chunk = std::clamp<hsize_t>((hsize_t{1} << 20) / std::max<size_t>(elem_bytes, 1), 1, n);
  return dcpl_checked(1, &chunk, 1);
}

void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v, const std::string& file) {
  size_t width = 1;
  for (const auto& x : v) width = std::max(width, x.size());
  Handle type = fixed_string_type(width);
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle dcpl = dcpl_vector(n, width);
  Handle ds(H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (ds.id() < 0) throw IoError(file + ": cannot create dataset " + name);
  std::vector<char> buf(static_cast<size_t>(n) * width, '\0');
  for (size_t i = 0; i < v.size(); ++i) std::memcpy(buf.data() + i * width, v[i].data(), v[i].size());
  if (n > 0) check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "write " + name, file);
}

std::vector<std::string> read_strings(hid_t loc, const std::string& name, const std::string& file) {
  Handle ds = open_dataset(loc, name, file);
  Handle ftype(H5Dget_type(ds), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING) throw InputError(file + ": dataset " + name + " is not a string dataset");
  const auto d = dims(ds);
  if (d.size() != 1) throw InputError(file + ": dataset " + name + " must be one-dimensional");
  const size_t n = static_cast<size_t>(d[0]);
  std::vector<std::string> out(n);
  if (n == 0) return out;
  if (H5Tis_variable_str(ftype) > 0) {
    if (!g_legacy_reads) refuse_vlen("dataset " + name, file);
    Handle type = vlen_string_type();
    std::vector<char*> ptrs(n, nullptr);
    check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read " + name, file);
    for (size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    Handle space(H5Dget_space(ds), H5Sclose);
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data());
  } else {  // fixed-length strings (files written by other tools)
    const size_t w = H5Tget_size(ftype);
    if (w == 0 || w > kMaxStringBytes / n) throw InputError(file + ": dataset " + name + " has a damaged string size");
    std::vector<char> buf(n * w);
    check(H5Dread(ds, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read " + name, file);
    for (size_t i = 0; i < n; ++i) out[i] = std::string(buf.data() + i * w, strnlen(buf.data() + i * w, w));
  }
  return out;
}

template <class T>
void write_vector(hid_t loc, const std::string& name, const std::vector<T>& v, const std::string& file) {
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle dcpl = dcpl_vector(n, sizeof(T));
  hid_t ftype = native_type<T>();
  Handle ds(H5Dcreate2(loc, name.c_str(), ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (ds.id() < 0) throw IoError(file + ": cannot create dataset " + name);
  if (n > 0) check(H5Dwrite(ds, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "write " + name, file);
}

template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& name, const std::string& file) {
  Handle ds = open_dataset(loc, name, file);
  const auto d = dims(ds);
  int64_t n = 1;
  for (auto x : d) n *= x;
  std::vector<T> out(static_cast<size_t>(n));
  if (n > 0) check(H5Dread(ds, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read " + name, file);
  return out;
}

#define SKU_H5_INSTANTIATE(T)                                                                        \
  template void write_vector<T>(hid_t, const std::string&, const std::vector<T>&, const std::string&); \
  template std::vector<T> read_vector<T>(hid_t, const std::string&, const std::string&);
SKU_H5_INSTANTIATE(float)
SKU_H5_INSTANTIATE(double)
SKU_H5_INSTANTIATE(int32_t)
SKU_H5_INSTANTIATE(int64_t)
SKU_H5_INSTANTIATE(uint8_t)
#undef SKU_H5_INSTANTIATE

template <class T>
void write_tensor(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims, const T* data,
                  const std::string& file) {
  const int rank = static_cast<int>(dims.size());
  Handle space(H5Screate_simple(rank, dims.data(), nullptr), H5Sclose);
  hsize_t row_cells = 1;
  for (int d = 1; d < rank; ++d) row_cells *= dims[d];
  const bool empty = std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; });
  Handle dcpl = dcpl_no_times();
  if (!empty) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::clamp<hsize_t>((hsize_t{1} << 20) / (row_cells * sizeof(T)), 1, dims[0]);  // ≈1 MiB
    dcpl = dcpl_checked(rank, chunk.data(), 1);
  }
  const hid_t ftype = sizeof(T) == 4 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
  Handle ds(H5Dcreate2(loc, name.c_str(), ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (ds.id() < 0) throw IoError(file + ": cannot create dataset " + name);
  if (!empty && H5Dwrite(ds, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw IoError(file + ": cannot write dataset " + name);
}
template void write_tensor<float>(hid_t, const std::string&, const std::vector<hsize_t>&, const float*,
                                  const std::string&);
template void write_tensor<double>(hid_t, const std::string&, const std::vector<hsize_t>&, const double*,
                                   const std::string&);

void check_format(hid_t root, const std::string& format, const std::string& kind, const std::string& path,
                  const std::string& remedy) {
  const std::string not_ours = "'" + path + "' is not a skucast " + (kind.empty() ? "" : kind + " ") + "file";
  if (!has_attr(root, "version")) throw InputError(not_ours + " (it has no version attribute)");
  int64_t version = 0;
  try {
    version = read_attr_int(root, "version", path);
  } catch (const InputError&) {
    throw InputError(not_ours + " (its version attribute is not an integer)");
  }
  if (version == 1 && !g_legacy_reads)
    throw InputError("'" + path + "' is a version 1 skucast file (no checksums); convert it with `skucast upgrade " +
                     path + "`, or " + remedy);
  if (version != kFileVersion && !(version == 1 && g_legacy_reads))
    throw InputError("'" + path + "' is a version " + std::to_string(version) + " file; this skucast reads version " +
                     std::to_string(kFileVersion) + " (" + remedy + ")");
  const std::string got = has_attr(root, "format") ? read_attr_string(root, "format", path) : "";
  if (got != format)
    throw InputError(not_ours + " (format attribute " + (got.empty() ? std::string("missing") : "'" + got + "'") +
                     ", expected '" + format + "'; " + remedy + ")");
}

std::vector<int64_t> dims(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> d(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return std::vector<int64_t>(d.begin(), d.end());
}

}  // namespace skucast::h5

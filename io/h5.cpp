// io/h5.cpp — HDF5 helpers (see h5.h).
#include "io/h5.h"

#include <algorithm>
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

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

static void check(herr_t rc, const std::string& what, const std::string& file) {
  if (rc < 0) throw IoError(file + ": HDF5 failed to " + what);
}

Handle create_file(const std::string& path) {
  silence_errors();
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) throw IoError("cannot create HDF5 file '" + path + "' for writing (check the folder exists and is writable)");
  return Handle(id, H5Fclose);
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
  if (id < 0) throw IoError("cannot open HDF5 file '" + path + "' for reading");
  return Handle(id, H5Fclose);
}

bool exists(hid_t loc, const std::string& path) {
  // Check each component so a missing intermediate group is "no", not an error.
  size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    const std::string part = path.substr(0, pos);
    if (!part.empty() && part != "/" && H5Lexists(loc, part.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

Handle gcpl_no_times() {
  hid_t p = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(p, false);
  return Handle(p, H5Pclose);
}

Handle dcpl_no_times() {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(p, false);
  return Handle(p, H5Pclose);
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
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_link, &out);
  std::sort(out.begin(), out.end());
  return out;
}

static Handle string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Handle(t, H5Tclose);
}

void write_attr(hid_t obj, const std::string& name, const std::string& value) {
  Handle type = string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* p = value.c_str();
  check(attr.id() < 0 ? -1 : H5Awrite(attr, type, &p), "write attribute " + name, "");
}

void write_attr(hid_t obj, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  check(attr.id() < 0 ? -1 : H5Awrite(attr, H5T_NATIVE_INT64, &value), "write attribute " + name, "");
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::string read_attr_string(hid_t obj, const std::string& name, const std::string& file) {
  if (!has_attr(obj, name)) throw InputError(file + ": missing attribute '" + name + "'");
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle ftype(H5Aget_type(attr), H5Tclose);
  if (H5Tget_class(ftype) != H5T_STRING) throw InputError(file + ": attribute '" + name + "' is not a string");
  if (H5Tis_variable_str(ftype) > 0) {
    Handle type = string_type();
    char* p = nullptr;
    check(H5Aread(attr, type, &p), "read attribute " + name, file);
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const size_t n = H5Tget_size(ftype);
  std::string s(n, '\0');
  check(H5Aread(attr, ftype, s.data()), "read attribute " + name, file);
  s.resize(std::strlen(s.c_str()));
  return s;
}

int64_t read_attr_int(hid_t obj, const std::string& name, const std::string& file) {
  if (!has_attr(obj, name)) throw InputError(file + ": missing attribute '" + name + "'");
  Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle ftype(H5Aget_type(attr), H5Tclose);
  if (H5Tget_class(ftype) != H5T_INTEGER) throw InputError(file + ": attribute '" + name + "' is not an integer");
  int64_t v = 0;
  check(H5Aread(attr, H5T_NATIVE_INT64, &v), "read attribute " + name, file);
  return v;
}

void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v, const std::string& file) {
  Handle type = string_type();
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle dcpl = dcpl_no_times();
  Handle ds(H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (ds.id() < 0) throw IoError(file + ": cannot create dataset " + name);
  std::vector<const char*> ptrs(v.size());
  for (size_t i = 0; i < v.size(); ++i) ptrs[i] = v[i].c_str();
  if (n > 0) check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "write " + name, file);
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
    Handle type = string_type();
    std::vector<char*> ptrs(n, nullptr);
    check(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read " + name, file);
    for (size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    Handle space(H5Dget_space(ds), H5Sclose);
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data());
  } else {  // fixed-length strings (files written by other tools)
    const size_t w = H5Tget_size(ftype);
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
  Handle dcpl = dcpl_no_times();
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

std::vector<int64_t> dims(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> d(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return std::vector<int64_t>(d.begin(), d.end());
}

}  // namespace skucast::h5

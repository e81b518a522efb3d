// io/h5.h — thin RAII and helpers over the HDF5 C API, shared by every file format in io/.
//
// Every call is checked; a failure throws IoError naming the file and the object.
// HDF5's own error printing is switched off (we report errors ourselves).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace skucast::h5 {

// Owns one hid_t and closes it with the matching H5*close on destruction. Move-only.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : m_id(id), m_close(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : m_id(o.m_id), m_close(o.m_close) { o.m_id = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) { reset(); m_id = o.m_id; m_close = o.m_close; o.m_id = -1; }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return m_id; }
  operator hid_t() const { return m_id; }  // NOLINT: handles pass straight to H5 calls
  void reset() { if (m_id >= 0 && m_close) m_close(m_id); m_id = -1; }
  hid_t release() { const hid_t id = m_id; m_id = -1; return id; }  // the caller closes it

 private:
  hid_t m_id = -1;
  herr_t (*m_close)(hid_t) = nullptr;
};

// Note [HDF5 at exit]
//   HDF5 1.10 keeps a file whose close failed (a full disk, a file-size limit) in its ID table
//   with half-freed state, and its atexit shutdown then crashes closing it again (a command
//   died of SIGSEGV, exit 139, after printing its I/O error). Every file skucast writes is
//   closed, checked, before its rename (close_file), and read-only files close with their
//   handles, so the shutdown has nothing left to do: the command skips it. Call before any
//   other HDF5 call.
void skip_shutdown_at_exit();

void silence_errors();  // turns off HDF5's automatic error stack printing (idempotent)

// Note [File format 2]
//   Every HDF5 file skucast writes (panel, forecast, model, backtest) is format version 2:
//   - the file is created with the latest format bounds (HDF5 1.10: superblock 3, object
//     header 2), whose superblock, object headers and index structures carry checksums, so a
//     damaged header fails to open instead of being read as garbage;
//   - every non-empty dataset is chunked with HDF5's Fletcher32 filter last in its pipeline
//     (after shuffle + deflate where those are used), so a damaged chunk fails its read;
//   - strings (ids, level names, attributes, the model's settings) are fixed-length, read
//     into a buffer of the stored width and cut at the first NUL: the variable-length
//     global-heap path, where damaged files crashed or hung libhdf5 1.10, is not used;
//   - the root carries `format` and `version` = 2, checked before any other attribute
//     (check_format); attributes are checked for class and size before use.
//   Room kept for what later features add, all optional and ignored by readers that do not
//   know them: a root attribute `run_id` (one id shared by every output of a run) and, for a
//   CSV written beside the file, `csv_name`, `csv_bytes` and `csv_crc32`; in a forecast file
//   /forecast/residuals (in-sample one-step residuals), /forecast/model_per_series,
//   /forecast/paths (sample paths) and attributes `intervals`, `calibration_folds`,
//   `conformal_score`, `conformal_classes`; in a panel the /hierarchy group (summing structure, levels); in a
//   backtest file the /levels group
//   (per-level metrics and WRMSSE weights, engine/eval/backtest.h) and the reconciled models'
//   rows "<model>:<method>" beside the base models' under /metrics and /summary. Version 1 files (variable-length
//   strings, no checksums) are refused with a hint to convert them with `skucast upgrade`.
inline constexpr int64_t kFileVersion = 2;

// Allows reading variable-length strings (version 1 files). Only `skucast upgrade` turns this
// on; everywhere else such a string is refused, naming the file.
void set_legacy_reads(bool allow);

// Checks the root's `version` (an integer, read first) and then `format` (a fixed-length
// string). `kind` names the file kind in messages ("panel", "forecast", "model"), `remedy` is
// how to make a new one. Version 1 files get a hint to run `skucast upgrade`.
void check_format(hid_t root, const std::string& format, const std::string& kind, const std::string& path,
                  const std::string& remedy);

// HDF5's Fletcher32 checksum (H5Zfletcher32.c) over n bytes, as its filter computes it; the
// filter stores it little-endian after the chunk's bytes. For chunks we encode ourselves.
uint32_t fletcher32(const unsigned char* data, size_t n);

// This run's id, written as the root attribute `run_id` of every file create_file makes:
// "<UTC time>-<host>-<pid>", or the environment's SKUCAST_RUN_ID when set (byte-identical
// outputs across runs, as tests/golden/run.sh needs).
const std::string& run_id();

// Files: create truncates (and writes the root's run_id); `what` is used in error messages.
Handle create_file(const std::string& path);
Handle open_file_ro(const std::string& path);
// Flushes and closes a file opened for writing, checking both (Note [Durable commits] in
// io/atomic_file.h): a full disk or a file-size limit shows up here, as an IoError naming the
// file, and the file is closed either way. Close every object in the file first.
void close_file(Handle& file, const std::string& path);
bool exists(hid_t loc, const std::string& path);  // link exists (intermediate groups checked)
Handle create_group(hid_t loc, const std::string& name, const std::string& file);
Handle open_group(hid_t loc, const std::string& name, const std::string& file);
Handle open_dataset(hid_t loc, const std::string& name, const std::string& file);
std::vector<std::string> list_links(hid_t group);  // sorted by name

// Attributes on any object.
void write_attr(hid_t obj, const std::string& name, const std::string& value);
void write_attr(hid_t obj, const std::string& name, int64_t value);
void write_attr_double(hid_t obj, const std::string& name, double value);
bool has_attr(hid_t obj, const std::string& name);
std::string read_attr_string(hid_t obj, const std::string& name, const std::string& file);
int64_t read_attr_int(hid_t obj, const std::string& name, const std::string& file);
double read_attr_double(hid_t obj, const std::string& name, const std::string& file);

// Small datasets, written whole (contiguous, no timestamps).
void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v, const std::string& file);
std::vector<std::string> read_strings(hid_t loc, const std::string& name, const std::string& file);
template <class T>
void write_vector(hid_t loc, const std::string& name, const std::vector<T>& v, const std::string& file);
template <class T>
std::vector<T> read_vector(hid_t loc, const std::string& name, const std::string& file);

// Dataset creation property list without object timestamps (byte-identical output).
Handle dcpl_no_times();
// The same, chunked with `chunk` (rank values, each >= 1), shuffle + deflate at `deflate`
// (0: none) and Fletcher32 last (Note [File format 2]).
Handle dcpl_checked(int rank, const hsize_t* chunk, int deflate);
// Writes a float32/float64 tensor of shape `dims` (row-major), chunked by about 1 MiB of
// leading rows, shuffle + deflate level 1, Fletcher32.
template <class T>
void write_tensor(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims, const T* data,
                  const std::string& file);
Handle gcpl_no_times();
// Dimensions of a dataset.
std::vector<int64_t> dims(hid_t dset);

template <class T> hid_t native_type();

}  // namespace skucast::h5

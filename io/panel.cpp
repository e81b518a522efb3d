// io/panel.cpp — panel file reader and writer (see panel.h).
//
// Note [Parallel chunk codec]
// HDF5 runs its filters on one thread. Our big datasets ([S, T] target, [S, T+F]
// covariates) are chunked by whole rows of series, with the filter pipeline
// shuffle → deflate. When a write covers whole chunks, we shuffle and deflate the chunks
// ourselves on all cores (OpenMP, libdeflate: 2-3x faster than zlib, and its zlib-format
// streams are what HDF5's deflate filter reads) and hand them over with H5Dwrite_chunk; reads of whole chunks use
// H5Dread_chunk and inflate in parallel. Any other case (partial chunks, files written by
// other tools with other filters) goes through plain H5Dwrite/H5Dread. Both paths give
// the same bytes on disk, so files stay byte-identical for the same inputs. Version 2 files
// (Note [File format 2] in io/h5.h) end the pipeline with Fletcher32: the writer appends the
// checksum to each compressed chunk and the reader checks it before inflating.
#include "io/panel.h"

#include <libdeflate.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "io/atomic_file.h"
#include "io/h5.h"
#include "kernels/common.hpp"

namespace skucast {

using h5::Handle;

// ------------------------------------------------------------ header ----
const DynamicSpec* PanelHeader::find_dynamic(const std::string& name) const {
  for (const auto& d : dynamic)
    if (d.name == name) return &d;
  return nullptr;
}

const StaticAttr* PanelHeader::find_static(const std::string& name) const {
  for (const auto& s : statics)
    if (s.name == name) return &s;
  return nullptr;
}

static void check_name(const std::string& kind, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name.find('.') == 0)
    throw InputError(kind + " name '" + name + "' is not allowed (empty, contains '/' or starts with '.')");
}

void PanelHeader::validate() const {
  const int64_t S = n_series();
  if (n_steps < 1) throw InputError("panel needs at least one time step, got " + std::to_string(n_steps));
  if (n_future < 0) throw InputError("panel n_future must be >= 0, got " + std::to_string(n_future));
  if (n_future > kMaxPanelSteps - n_steps)
    throw InputError("panel has " + std::to_string(n_steps) + " + " + std::to_string(n_future) +
                     " steps, more than the " + std::to_string(kMaxPanelSteps) + " a time axis may have");
  std::set<std::string_view> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) throw InputError("series " + std::to_string(i) + " has an empty id");
    if (!seen.insert(ids[i]).second) throw InputError("duplicate series id '" + ids[i] + "'");
  }
  std::set<std::string> names;
  for (const auto& s : statics) {
    check_name("static attribute", s.name);
    if (!names.insert("static:" + s.name).second) throw InputError("duplicate static attribute '" + s.name + "'");
    if (static_cast<int64_t>(s.codes.size()) != S)
      throw InputError("static '" + s.name + "' has " + std::to_string(s.codes.size()) + " codes, expected " +
                       std::to_string(S));
    for (auto c : s.codes)
      if (c < 0 || c >= static_cast<int32_t>(s.levels.size()))
        throw InputError("static '" + s.name + "' code " + std::to_string(c) + " out of range [0, " +
                         std::to_string(s.levels.size()) + ")");
  }
  if (!weights.empty() && static_cast<int64_t>(weights.size()) != S)
    throw InputError("weights have " + std::to_string(weights.size()) + " entries, expected " + std::to_string(S));
  for (size_t i = 0; i < weights.size(); ++i)
    if (!(std::isfinite(weights[i]) && weights[i] >= 0.0f))
      throw InputError("series '" + ids[i] + "' has weight " + std::to_string(weights[i]) +
                       "; weights must be finite and >= 0");
  for (const auto& d : dynamic) {
    check_name("dynamic covariate", d.name);
    if (!names.insert("dyn:" + d.name).second) throw InputError("duplicate dynamic covariate '" + d.name + "'");
  }
  for (const auto& e : events) {
    check_name("event", e.name);
    if (!names.insert("ev:" + e.name).second) throw InputError("duplicate event '" + e.name + "'");
    if (static_cast<int64_t>(e.flags.size()) != n_total())
      throw InputError("event '" + e.name + "' has " + std::to_string(e.flags.size()) + " steps, expected T+F = " +
                       std::to_string(n_total()));
  }
}

// ------------------------------------------------------- chunk codec ----
namespace {

constexpr int64_t kChunkBytes = 1 << 20;  // ~1 MiB of raw floats per chunk

int64_t rows_per_chunk(int64_t n_series, int64_t width) {
  const int64_t rows = std::max<int64_t>(1, kChunkBytes / (std::max<int64_t>(width, 1) * 4));
  return std::max<int64_t>(1, std::min(rows, n_series));
}

// HDF5's shuffle filter: byte k of every element goes to plane k.
void shuffle4(const float* in, int64_t n, unsigned char* out) {
  const auto* w = reinterpret_cast<const uint32_t*>(in);
  for (int k = 0; k < 4; ++k) {
    unsigned char* plane = out + k * n;
    const int shift = 8 * k;  // little-endian: byte k of the element
    for (int64_t i = 0; i < n; ++i) plane[i] = static_cast<unsigned char>(w[i] >> shift);
  }
}
void unshuffle4(const unsigned char* in, int64_t n, float* out) {
  auto* w = reinterpret_cast<uint32_t*>(out);
  const unsigned char *p0 = in, *p1 = in + n, *p2 = in + 2 * n, *p3 = in + 3 * n;
  for (int64_t i = 0; i < n; ++i)
    w[i] = uint32_t{p0[i]} | uint32_t{p1[i]} << 8 | uint32_t{p2[i]} << 16 | uint32_t{p3[i]} << 24;
}

// A [rows, width] float dataset chunked by whole rows, shuffle + deflate (or raw).
struct RowDataset {
  Handle ds;
  int64_t n_rows = 0, width = 0, chunk_rows = 1;
  int deflate = 0;        // writer: level; reader: >0 when the pipeline is exactly shuffle+deflate
  bool direct = false;    // parallel chunk codec usable
  bool checksum = false;  // reader: the pipeline ends with Fletcher32
};

Handle create_row_dataset(hid_t loc, const std::string& name, int64_t n_rows, int64_t width, int64_t chunk_rows,
                          int level, const std::string& file) {
  const hsize_t d[2] = {static_cast<hsize_t>(n_rows), static_cast<hsize_t>(width)};
  Handle space(H5Screate_simple(2, d, nullptr), H5Sclose);
  const hsize_t c[2] = {static_cast<hsize_t>(chunk_rows), static_cast<hsize_t>(width)};
  // shuffle + deflate (level > 0), Fletcher32; an empty dataset has no chunks to check
  Handle dcpl = n_rows > 0 && width > 0 ? h5::dcpl_checked(2, c, level) : h5::dcpl_no_times();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &nan);
  hid_t id = H5Dcreate2(loc, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (id < 0) throw IoError(file + ": cannot create dataset " + name);
  return Handle(id, H5Dclose);
}

void select_rows(hid_t space, int64_t i0, int64_t n, int64_t width) {
  const hsize_t start[2] = {static_cast<hsize_t>(i0), 0};
  const hsize_t count[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(width)};
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
}

void write_rows(RowDataset& rd, int64_t i0, int64_t n, const float* block, const std::string& file,
                const std::string& name) {
  if (i0 < 0 || n < 0 || i0 + n > rd.n_rows)
    throw Error(file + ": write of rows [" + std::to_string(i0) + ", " + std::to_string(i0 + n) + ") outside " + name +
                " with " + std::to_string(rd.n_rows) + " rows");
  if (n == 0) return;
  const int64_t cr = rd.chunk_rows, W = rd.width;
  const bool aligned = i0 % cr == 0 && (n % cr == 0 || i0 + n == rd.n_rows);
  if (rd.deflate > 0 && aligned) {
    const int64_t n_chunks = (n + cr - 1) / cr;
    const int64_t chunk_elems = cr * W;
    std::vector<std::vector<unsigned char>> out(n_chunks);
    bool failed = false;
#pragma omp parallel
    {
      std::vector<float> pad;
      std::vector<unsigned char> shuf(chunk_elems * 4);
      libdeflate_compressor* comp = libdeflate_alloc_compressor(rd.deflate);
#pragma omp for schedule(dynamic, 1)
      for (int64_t c = 0; c < n_chunks; ++c) {
        const int64_t r0 = c * cr, rows = std::min(cr, n - r0);
        const float* src = block + r0 * W;
        if (rows < cr) {  // edge chunk: stored full size, padded with the fill value
          pad.assign(chunk_elems, std::numeric_limits<float>::quiet_NaN());
          std::memcpy(pad.data(), src, sizeof(float) * rows * W);
          src = pad.data();
        }
        shuffle4(src, chunk_elems, shuf.data());
        const size_t raw_bytes = static_cast<size_t>(chunk_elems) * 4;
        out[c].resize(libdeflate_zlib_compress_bound(comp, raw_bytes));
        const size_t len = comp ? libdeflate_zlib_compress(comp, shuf.data(), raw_bytes, out[c].data(), out[c].size()) : 0;
        if (len == 0) {
#pragma omp atomic write
          failed = true;
        }
        // Fletcher32, the last filter, appends its checksum of the compressed bytes (little-endian).
        const uint32_t sum = h5::fletcher32(out[c].data(), len);
        out[c].resize(len + 4);
        for (int b = 0; b < 4; ++b) out[c][len + b] = static_cast<unsigned char>(sum >> (8 * b));
      }
      libdeflate_free_compressor(comp);
    }
    if (failed) throw IoError(file + ": zlib failed compressing " + name);
    for (int64_t c = 0; c < n_chunks; ++c) {
      const hsize_t off[2] = {static_cast<hsize_t>(i0 + c * cr), 0};
      if (H5Dwrite_chunk(rd.ds, H5P_DEFAULT, 0, off, out[c].size(), out[c].data()) < 0)
        throw IoError(file + ": cannot write chunk of " + name + " (disk full?)");
    }
    return;
  }
  Handle fspace(H5Dget_space(rd.ds), H5Sclose);
  select_rows(fspace, i0, n, W);
  const hsize_t md[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(W)};
  Handle mspace(H5Screate_simple(2, md, nullptr), H5Sclose);
  if (H5Dwrite(rd.ds, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, block) < 0)
    throw IoError(file + ": cannot write rows of " + name + " (disk full?)");
}

void read_rows(const RowDataset& rd, int64_t i0, int64_t i1, float* out, const std::string& file,
               const std::string& name) {
  if (i0 < 0 || i1 < i0 || i1 > rd.n_rows)
    throw InputError(file + ": rows [" + std::to_string(i0) + ", " + std::to_string(i1) + ") outside " + name +
                     " with " + std::to_string(rd.n_rows) + " rows");
  const int64_t n = i1 - i0, W = rd.width, cr = rd.chunk_rows;
  if (n == 0) return;
  // Small reads go through H5Dread and its chunk cache (a decoded chunk is reused by the
  // next small read); reads of at least half a chunk decode their chunks in parallel.
  if (rd.direct && 2 * n >= cr) {
    const int64_t c0 = i0 / cr, c1 = (i1 + cr - 1) / cr;  // chunks [c0, c1) cover the block
    const int64_t chunk_elems = cr * W;
    std::vector<std::vector<unsigned char>> raw(c1 - c0);
    std::vector<uint32_t> masks(c1 - c0, 0);
    bool ok = true;
    for (int64_t c = c0; c < c1 && ok; ++c) {
      const hsize_t off[2] = {static_cast<hsize_t>(c * cr), 0};
      hsize_t bytes = 0;
      if (H5Dget_chunk_storage_size(rd.ds, off, &bytes) < 0 || bytes == 0) { ok = false; break; }  // unwritten chunk
      raw[c - c0].resize(bytes);
      if (H5Dread_chunk(rd.ds, H5P_DEFAULT, off, &masks[c - c0], raw[c - c0].data()) < 0 || masks[c - c0] != 0)
        ok = false;
    }
    if (ok) {
      bool failed = false;
#pragma omp parallel
      {
        std::vector<unsigned char> shuf(chunk_elems * 4);
        std::vector<float> plain(chunk_elems);
        libdeflate_decompressor* dec = libdeflate_alloc_decompressor();
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = c0; c < c1; ++c) {
          const auto& src = raw[c - c0];
          size_t n_src = src.size();
          if (rd.checksum) {  // Fletcher32: the last 4 bytes, little-endian, over the bytes before them
            uint32_t stored = 0;
            for (int b = 0; b < 4; ++b) stored |= static_cast<uint32_t>(n_src >= 4 ? src[n_src - 4 + b] : 0) << (8 * b);
            if (n_src < 4 || h5::fletcher32(src.data(), n_src - 4) != stored) {
#pragma omp atomic write
              failed = true;
              continue;
            }
            n_src -= 4;
          }
          size_t len = 0;
          if (!dec || libdeflate_zlib_decompress(dec, src.data(), n_src, shuf.data(), shuf.size(), &len) !=
                          LIBDEFLATE_SUCCESS ||
              len != shuf.size()) {
#pragma omp atomic write
            failed = true;
            continue;
          }
          unshuffle4(shuf.data(), chunk_elems, plain.data());
          const int64_t r0 = std::max(i0, c * cr), r1 = std::min(i1, (c + 1) * cr);  // rows of the block in chunk c
          std::memcpy(out + (r0 - i0) * W, plain.data() + (r0 - c * cr) * W, sizeof(float) * (r1 - r0) * W);
        }
        libdeflate_free_decompressor(dec);
      }
      if (failed) throw InputError(file + ": damaged chunk in " + name + " (checksum or compressed data do not match)");
      return;
    }
  }
  Handle fspace(H5Dget_space(rd.ds), H5Sclose);
  select_rows(fspace, i0, n, W);
  const hsize_t md[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(W)};
  Handle mspace(H5Screate_simple(2, md, nullptr), H5Sclose);
  if (H5Dread(rd.ds, H5T_NATIVE_FLOAT, mspace, fspace, H5P_DEFAULT, out) < 0)
    throw IoError(file + ": cannot read rows of " + name + " (damaged file? `skucast info --verify " + file + "`)");
}

// Opens a [rows, width] dataset for reading and decides whether the parallel codec applies.
RowDataset open_row_dataset(hid_t loc, const std::string& name, const std::string& file) {
  RowDataset rd;
  // A chunk cache large enough for a few chunks, so unaligned block reads reuse them.
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl, 521, 64u << 20, 1.0);
  hid_t id = H5Dopen2(loc, name.c_str(), dapl);
  if (id < 0) throw InputError(file + ": missing dataset " + name);
  rd.ds = Handle(id, H5Dclose);
  const auto d = h5::dims(rd.ds);
  if (d.size() != 2) throw InputError(file + ": dataset " + name + " must be 2-D, got rank " + std::to_string(d.size()));
  rd.n_rows = d[0];
  rd.width = d[1];
  Handle dcpl(H5Dget_create_plist(rd.ds), H5Pclose);
  rd.chunk_rows = rd.n_rows;
  if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t c[2] = {0, 0};
    H5Pget_chunk(dcpl, 2, c);
    rd.chunk_rows = static_cast<int64_t>(c[0]);
    Handle ftype(H5Dget_type(rd.ds), H5Tclose);
    const bool f32 = H5Tequal(ftype, H5T_IEEE_F32LE) > 0;
    const int nf = H5Pget_nfilters(dcpl);
    if (f32 && static_cast<int64_t>(c[1]) == rd.width && (nf == 2 || nf == 3)) {
      H5Z_filter_t f[3] = {H5Z_FILTER_NONE, H5Z_FILTER_NONE, H5Z_FILTER_NONE};
      for (int k = 0; k < nf; ++k) {
        unsigned flags = 0, cd[8];
        size_t ncd = 8;
        char nm[64];
        f[k] = H5Pget_filter2(dcpl, static_cast<unsigned>(k), &flags, &ncd, cd, sizeof nm, nm, nullptr);
      }
      // shuffle → deflate (version 1), or shuffle → deflate → Fletcher32 (version 2)
      rd.direct = f[0] == H5Z_FILTER_SHUFFLE && f[1] == H5Z_FILTER_DEFLATE &&
                  (nf == 2 || f[2] == H5Z_FILTER_FLETCHER32);
      rd.checksum = nf == 3;
    }
  }
  return rd;
}

}  // namespace

// ------------------------------------------------------------ writer ----
struct PanelWriter::Impl {
  std::string path;
  std::unique_ptr<AtomicPath> atomic;
  PanelHeader header;
  Handle file;
  RowDataset target;
  std::vector<RowDataset> dynamic;  // per header.dynamic; ds invalid for shared ones
  Handle dyn_group;
  int64_t chunk_rows = 1;
  explicit Impl(const std::string& p) : path(p), atomic(std::make_unique<AtomicPath>(p)) {}
};

PanelWriter::PanelWriter(const std::string& path, const PanelHeader& header, int deflate_level)
    : m_impl(std::make_unique<Impl>(path)) {
  header.validate();
  if (deflate_level < 0 || deflate_level > 9)
    throw InputError("deflate level must be in 0..9, got " + std::to_string(deflate_level));
  auto& I = *m_impl;
  I.header = header;
  const std::string& tmp = I.atomic->tmp();
  I.file = h5::create_file(tmp);
  const int64_t S = header.n_series(), T = header.n_steps, TF = header.n_total();
  I.chunk_rows = rows_per_chunk(S, TF);

  Handle root = h5::open_group(I.file, "/", path);
  h5::write_attr(root, "format", std::string("skucast-panel"));
  h5::write_attr(root, "version", h5::kFileVersion);
  h5::write_attr(root, "freq", freq_name(header.axis.freq));
  h5::write_attr(root, "start", header.axis.start_label());
  h5::write_attr(root, "season_length", static_cast<int64_t>(header.axis.season_length));
  h5::write_attr(root, "n_future", header.n_future);
  h5::write_attr(root, "layout", std::string("series-major"));

  I.target.ds = create_row_dataset(I.file, "target", std::max<int64_t>(S, 0), T, I.chunk_rows, deflate_level, path);
  I.target.n_rows = S;
  I.target.width = T;
  I.target.chunk_rows = I.chunk_rows;
  I.target.deflate = deflate_level;

  Handle series = h5::create_group(I.file, "series", path);
  h5::write_strings(series, "id", header.ids, path);
  if (!header.weights.empty()) h5::write_vector(series, "weight", header.weights, path);
  Handle statics = h5::create_group(series, "static", path);
  for (const auto& s : header.statics) {
    h5::write_vector(statics, s.name, s.codes, path);
    h5::write_strings(statics, s.name + "_levels", s.levels, path);
  }

  I.dyn_group = h5::create_group(I.file, "dynamic", path);
  for (const auto& d : header.dynamic) {
    RowDataset rd;
    if (d.per_series) {
      rd.ds = create_row_dataset(I.dyn_group, d.name, S, TF, I.chunk_rows, deflate_level, path);
      rd.n_rows = S;
      rd.width = TF;
      rd.chunk_rows = I.chunk_rows;
      rd.deflate = deflate_level;
    }
    I.dynamic.push_back(std::move(rd));
  }
  Handle cal = h5::create_group(I.file, "calendar", path);
  Handle ev = h5::create_group(cal, "events", path);
  for (const auto& e : header.events) h5::write_vector(ev, e.name, e.flags, path);
}

PanelWriter::~PanelWriter() = default;  // AtomicPath removes the temp file unless committed

int64_t PanelWriter::chunk_rows() const { return m_impl->chunk_rows; }
int64_t PanelWriter::h5_file_id() const { return static_cast<int64_t>(m_impl->file.id()); }

void PanelWriter::write_target(int64_t i0, int64_t n, const float* block) {
  write_rows(m_impl->target, i0, n, block, m_impl->path, "/target");
}

void PanelWriter::write_dynamic(const std::string& name, int64_t i0, int64_t n, const float* block) {
  auto& I = *m_impl;
  for (size_t k = 0; k < I.header.dynamic.size(); ++k) {
    if (I.header.dynamic[k].name != name) continue;
    if (!I.header.dynamic[k].per_series)
      throw Error("dynamic '" + name + "' is shared by all series; use write_dynamic_shared");
    write_rows(I.dynamic[k], i0, n, block, I.path, "/dynamic/" + name);
    return;
  }
  throw Error("panel has no dynamic covariate '" + name + "'");
}

void PanelWriter::write_dynamic_shared(const std::string& name, const float* row) {
  auto& I = *m_impl;
  const DynamicSpec* d = I.header.find_dynamic(name);
  if (!d) throw Error("panel has no dynamic covariate '" + name + "'");
  if (d->per_series) throw Error("dynamic '" + name + "' is per series; use write_dynamic");
  std::vector<float> v(row, row + I.header.n_total());
  h5::write_vector(I.dyn_group, name, v, I.path);
}

std::unique_ptr<AtomicPath> PanelWriter::close() {
  auto& I = *m_impl;
  if (!I.atomic) throw Error(I.path + ": panel writer already closed");
  I.target.ds.reset();
  I.dynamic.clear();
  I.dyn_group.reset();
  h5::close_file(I.file, I.atomic->tmp());  // checked: a full disk fails here, before the rename
  return std::move(I.atomic);
}

void PanelWriter::commit() { close()->commit(); }

// ------------------------------------------------------------ reader ----
struct PanelReader::Impl {
  std::string path;
  std::string run_id;
  Handle file;
  PanelHeader header;
  RowDataset target;
  std::vector<RowDataset> dynamic;   // per header.dynamic (per-series ones)
  std::vector<std::vector<float>> shared;  // per header.dynamic (shared ones)
};

PanelReader::PanelReader(const std::string& path) : m_impl(std::make_unique<Impl>()) {
  auto& I = *m_impl;
  I.path = path;
  I.file = h5::open_file_ro(path);
  Handle root = h5::open_group(I.file, "/", path);
  h5::check_format(root, "skucast-panel", "panel", path, "regenerate it with `skucast ingest` or `skucast synth`");
  auto& H = I.header;
  // Checks below that do not know the file (parse_freq, make_axis, validate) get its name.
  auto in_file = [&](auto&& check) {
    try {
      check();
    } catch (const InputError& e) {
      throw InputError(path + ": " + e.what());
    }
  };
  const std::string freq_text = h5::read_attr_string(root, "freq", path);
  const std::string start_text = h5::read_attr_string(root, "start", path);
  const int64_t season = h5::read_attr_int(root, "season_length", path);
  if (season < 1 || season > std::numeric_limits<int>::max())
    throw InputError(path + ": attribute season_length is " + std::to_string(season) + ", expected 1 to " +
                     std::to_string(std::numeric_limits<int>::max()));
  in_file([&] { H.axis = make_axis(parse_freq(freq_text), start_text, static_cast<int>(season)); });
  H.n_future = h5::has_attr(root, "n_future") ? h5::read_attr_int(root, "n_future", path) : 0;
  if (h5::has_attr(root, "run_id")) I.run_id = h5::read_attr_string(root, "run_id", path);

  I.target = open_row_dataset(I.file, "target", path);
  H.n_steps = I.target.width;
  const int64_t S = I.target.n_rows;
  H.ids = h5::read_strings(I.file, "series/id", path);
  if (static_cast<int64_t>(H.ids.size()) != S)
    throw InputError(path + ": /series/id has " + std::to_string(H.ids.size()) + " entries but /target has " +
                     std::to_string(S) + " rows");
  if (h5::exists(I.file, "series/weight")) H.weights = h5::read_vector<float>(I.file, "series/weight", path);
  if (h5::exists(I.file, "series/static")) {
    Handle g = h5::open_group(I.file, "series/static", path);
    for (const auto& name : h5::list_links(g)) {
      if (name.size() > 7 && name.compare(name.size() - 7, 7, "_levels") == 0) continue;
      StaticAttr s;
      s.name = name;
      s.codes = h5::read_vector<int32_t>(g, name, path);
      s.levels = h5::read_strings(g, name + "_levels", path);
      H.statics.push_back(std::move(s));
    }
  }
  if (h5::exists(I.file, "dynamic")) {
    Handle g = h5::open_group(I.file, "dynamic", path);
    for (const auto& name : h5::list_links(g)) {
      Handle ds = h5::open_dataset(g, name, path);
      const auto d = h5::dims(ds);
      DynamicSpec spec{name, d.size() == 2};
      if (spec.per_series) {
        RowDataset rd = open_row_dataset(g, name, path);
        if (rd.n_rows != S || rd.width != H.n_total())
          throw InputError(path + ": /dynamic/" + name + " has shape [" + std::to_string(rd.n_rows) + ", " +
                           std::to_string(rd.width) + "], expected [" + std::to_string(S) + ", " +
                           std::to_string(H.n_total()) + "]");
        I.dynamic.push_back(std::move(rd));
        I.shared.emplace_back();
      } else {
        auto v = h5::read_vector<float>(g, name, path);
        if (static_cast<int64_t>(v.size()) != H.n_total())
          throw InputError(path + ": /dynamic/" + name + " has " + std::to_string(v.size()) + " steps, expected " +
                           std::to_string(H.n_total()));
        I.dynamic.emplace_back();
        I.shared.push_back(std::move(v));
      }
      H.dynamic.push_back(spec);
    }
  }
  if (h5::exists(I.file, "calendar/events")) {
    Handle g = h5::open_group(I.file, "calendar/events", path);
    for (const auto& name : h5::list_links(g))
      H.events.push_back({name, h5::read_vector<uint8_t>(g, name, path)});
  }
  in_file([&] { H.validate(); });
}

PanelReader::~PanelReader() = default;

const PanelHeader& PanelReader::header() const { return m_impl->header; }
const std::string& PanelReader::path() const { return m_impl->path; }
const std::string& PanelReader::run_id() const { return m_impl->run_id; }
int64_t PanelReader::chunk_rows() const { return m_impl->target.chunk_rows; }

void PanelReader::read_target(int64_t i0, int64_t i1, float* out) const {
  read_rows(m_impl->target, i0, i1, out, m_impl->path, "/target");
}

std::vector<float> PanelReader::read_target(int64_t i0, int64_t i1) const {
  std::vector<float> v(static_cast<size_t>(checked_mul(std::max<int64_t>(i1 - i0, 0), m_impl->header.n_steps)));
  read_target(i0, i1, v.data());
  return v;
}

void PanelReader::read_dynamic(const std::string& name, int64_t i0, int64_t i1, float* out) const {
  const auto& I = *m_impl;
  for (size_t k = 0; k < I.header.dynamic.size(); ++k) {
    if (I.header.dynamic[k].name != name) continue;
    if (I.header.dynamic[k].per_series) {
      read_rows(I.dynamic[k], i0, i1, out, I.path, "/dynamic/" + name);
    } else {
      const int64_t W = I.header.n_total();
      for (int64_t i = i0; i < i1; ++i) std::memcpy(out + (i - i0) * W, I.shared[k].data(), sizeof(float) * W);
    }
    return;
  }
  throw InputError(I.path + ": panel has no dynamic covariate '" + name + "'");
}

std::vector<float> PanelReader::read_dynamic(const std::string& name, int64_t i0, int64_t i1) const {
  std::vector<float> v(static_cast<size_t>(checked_mul(std::max<int64_t>(i1 - i0, 0), m_impl->header.n_total())));
  read_dynamic(name, i0, i1, v.data());
  return v;
}

void write_panel(const std::string& path, const PanelHeader& header, const std::vector<float>& target,
                 const std::vector<std::vector<float>>& dynamic, int deflate_level) {
  const int64_t S = header.n_series();
  if (static_cast<int64_t>(target.size()) != S * header.n_steps)
    throw Error("write_panel: target has " + std::to_string(target.size()) + " values, expected S*T = " +
                std::to_string(S * header.n_steps));
  if (dynamic.size() != header.dynamic.size())
    throw Error("write_panel: " + std::to_string(dynamic.size()) + " dynamic arrays for " +
                std::to_string(header.dynamic.size()) + " covariates");
  PanelWriter w(path, header, deflate_level);
  w.write_target(0, S, target.data());
  for (size_t k = 0; k < dynamic.size(); ++k) {
    const auto& d = header.dynamic[k];
    const int64_t expect = d.per_series ? S * header.n_total() : header.n_total();
    if (static_cast<int64_t>(dynamic[k].size()) != expect)
      throw Error("write_panel: dynamic '" + d.name + "' has " + std::to_string(dynamic[k].size()) +
                  " values, expected " + std::to_string(expect));
    if (d.per_series) w.write_dynamic(d.name, 0, S, dynamic[k].data());
    else w.write_dynamic_shared(d.name, dynamic[k].data());
  }
  w.commit();
}

}  // namespace skucast

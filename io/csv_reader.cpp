// io/csv_reader.cpp — streaming RFC 4180 tokenizer (see csv_reader.h).
//
// Note [Rescanning]: a record is tokenized into spans (offsets into the buffer) without
// touching the bytes. When the buffer ends before the record does, the unread tail is
// moved to the front, more bytes are read, and the record is scanned again from its
// start. Only a complete record has its doubled quotes collapsed, in place, so a rescan
// never sees modified bytes.
#include "io/csv_reader.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>

#include "kernels/common.hpp"

namespace skucast {

namespace {
constexpr size_t kPad = 8;  // bytes after the data that word-wise scans may read
}

CsvReader::CsvReader(const std::string& path, size_t chunk_bytes, char delimiter)
    : CsvReader(path, chunk_bytes, delimiter, 0, -1, 1) {
  // An HDF5 file where a CSV belongs (a panel or forecast passed to --csv, --append, ...): said
  // as such rather than as a header of binary bytes.
  if (m_end - m_pos >= 8 && std::memcmp(m_buf.data() + m_pos, "\x89HDF\r\n\x1a\n", 8) == 0)
    throw InputError(path + ": this is an HDF5 file (a skucast panel, forecast or model file?), not a CSV file");
  // UTF-8 byte-order mark (Excel writes one).
  if (m_end - m_pos >= 3 && std::memcmp(m_buf.data() + m_pos, "\xEF\xBB\xBF", 3) == 0) m_pos += 3;
  // Lines ended by CR alone (classic Mac OS, some exports): the whole file would read as one
  // line. Said plainly instead: a CR followed by more text, and no LF in the first chunk.
  const char* b = m_buf.data() + m_pos;
  const size_t n = m_end - m_pos;
  const char* cr = static_cast<const char*>(std::memchr(b, '\r', n));
  if (cr && cr + 1 < b + n && cr[1] != '\n' && !std::memchr(b, '\n', n))
    throw InputError(path + ": lines end with CR only (old Mac OS line ends); convert them to LF or CRLF, e.g. "
                            "tr '\\r' '\\n' < in.csv > out.csv");
}

CsvReader::CsvReader(const std::string& path, size_t chunk_bytes, char delimiter, int64_t begin, int64_t end,
                     int64_t first_line)
    : m_path(path), m_delim(delimiter), m_line(first_line) {
  m_cap = std::max<size_t>(chunk_bytes, 64);
  if (end >= 0) m_cap = std::min<size_t>(m_cap, static_cast<size_t>(std::max<int64_t>(end - begin, 0)) + 64);
  m_buf.assign(m_cap + kPad, '\0');
  m_file = std::fopen(path.c_str(), "rb");
  if (!m_file) throw IoError("cannot open '" + path + "' for reading: " + std::strerror(errno));
  if (std::fseek(m_file, 0, SEEK_END) == 0) {
    const long n = std::ftell(m_file);
    m_file_size = n > 0 ? n : 0;
  }
  if (std::fseek(m_file, static_cast<long>(begin), SEEK_SET) != 0)
    throw IoError("cannot seek to byte " + std::to_string(begin) + " of '" + path + "': " + std::strerror(errno));
  m_buf_offset = begin;
  m_limit = end >= 0 ? end - begin : -1;
  refill();
}

CsvReader::~CsvReader() {
  if (m_file) std::fclose(m_file);
}

bool CsvReader::refill() {
  if (m_eof) return false;
  const size_t keep = m_end - m_pos;
  if (keep == m_cap) {  // one record longer than the buffer
    m_cap *= 2;
    m_buf.resize(m_cap + kPad);
  }
  if (m_pos > 0 && keep > 0) std::memmove(m_buf.data(), m_buf.data() + m_pos, keep);
  m_buf_offset += static_cast<int64_t>(m_pos);
  m_pos = 0;
  m_end = keep;
  size_t want = m_cap - m_end;
  if (m_limit >= 0) want = std::min<size_t>(want, static_cast<size_t>(m_limit));
  const size_t n = want > 0 ? std::fread(m_buf.data() + m_end, 1, want, m_file) : 0;
  if (n == 0) {
    if (std::ferror(m_file)) throw IoError("error reading '" + m_path + "': " + std::strerror(errno));
    m_eof = true;
    return false;
  }
  m_end += n;
  m_bytes_read += static_cast<int64_t>(n);
  if (m_limit >= 0) m_limit -= static_cast<int64_t>(n);
  return true;
}

// Counts '\n' in [b, e).
static int64_t count_newlines(const char* b, const char* e) {
  int64_t n = 0;
  while ((b = static_cast<const char*>(std::memchr(b, '\n', static_cast<size_t>(e - b)))) != nullptr) {
    ++n;
    ++b;
  }
  return n;
}

// First index in [q, end) holding `delim` or '\n', or `end`. Looks at 8 bytes per step
// (SWAR "has zero byte"): the lowest flagged byte is always a true match, and reading up to
// 7 bytes past `end` is safe because the buffer is padded (kPad).
static_assert(std::endian::native == std::endian::little, "find_delim_or_newline assumes little-endian words");
static inline size_t find_delim_or_newline(const char* b, size_t q, size_t end, char delim) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const uint64_t d = kOnes * static_cast<uint8_t>(delim), n = kOnes * static_cast<uint8_t>('\n');
  while (q < end) {
    uint64_t w;
    std::memcpy(&w, b + q, 8);
    const uint64_t x = w ^ d, y = w ^ n;
    const uint64_t hit = ((x - kOnes) & ~x & kHigh) | ((y - kOnes) & ~y & kHigh);
    if (hit) {
      const size_t r = q + static_cast<size_t>(__builtin_ctzll(hit) >> 3);
      return r < end ? r : end;
    }
    q += 8;
  }
  return end;
}

bool CsvReader::scan_record(size_t& rec_end, int64_t& newlines) {
  const char* b = m_buf.data();
  const char delim = m_delim;
  size_t p = m_pos;
  m_spans.clear();
  newlines = 0;
  for (;;) {
    if (p < m_end && b[p] == '"') {
      // ---- quoted field: up to the next lone quote
      size_t q = p + 1;
      bool doubled = false;
      size_t close;
      for (;;) {
        const void* f = q < m_end ? std::memchr(b + q, '"', m_end - q) : nullptr;
        if (!f) {
          if (!m_eof) return false;
          throw InputError(m_path + ":" + std::to_string(m_line) + ": quoted field is never closed (missing '\"')");
        }
        const size_t k = static_cast<size_t>(static_cast<const char*>(f) - b);
        if (k + 1 < m_end && b[k + 1] == '"') {  // "" inside quotes
          doubled = true;
          q = k + 2;
          continue;
        }
        if (k + 1 >= m_end && !m_eof) return false;  // cannot tell "" from a closing quote yet
        close = k;
        break;
      }
      newlines += count_newlines(b + p + 1, b + close);
      m_spans.push_back({p + 1, close, doubled});
      p = close + 1;
      if (p >= m_end) {  // m_eof here (checked above)
        rec_end = p;
        return true;
      }
      const char c = b[p];
      if (c == delim) {
        ++p;
        continue;
      }
      if (c == '\n') {
        rec_end = p + 1;
        return true;
      }
      if (c == '\r') {
        if (p + 1 >= m_end) {
          if (!m_eof) return false;
          rec_end = p + 1;
          return true;
        }
        if (b[p + 1] == '\n') {
          rec_end = p + 2;
          return true;
        }
      }
      throw InputError(m_path + ":" + std::to_string(m_line + newlines) + ": field " +
                       std::to_string(m_spans.size()) + ": unexpected character '" + std::string(1, c) +
                       "' after a closing quote (quotes inside a quoted field must be doubled)");
    }
    // ---- unquoted field: up to the delimiter or the end of the line
    const size_t q = find_delim_or_newline(b, p, m_end, delim);
    if (q >= m_end) {
      if (!m_eof) return false;
      size_t e = q;
      if (e > p && b[e - 1] == '\r') --e;
      m_spans.push_back({p, e, false});
      rec_end = q;
      return true;
    }
    if (b[q] == delim) {
      m_spans.push_back({p, q, false});
      p = q + 1;
      continue;
    }
    size_t e = q;
    if (e > p && b[e - 1] == '\r') --e;
    m_spans.push_back({p, e, false});
    rec_end = q + 1;
    return true;
  }
}

bool CsvReader::next(CsvRecord& rec) {
  for (;;) {
    if (m_pos >= m_end && !refill()) return false;
    size_t rec_end = 0;
    int64_t newlines = 0;
    if (!scan_record(rec_end, newlines)) {  // Note [Rescanning]
      refill();
      continue;
    }
    const int64_t line = m_line;
    m_line += newlines + 1;
    m_pos = rec_end;
    // A blank line ("" or "\r") is skipped rather than read as one empty field; a lone
    // quoted empty field ("") is a record (its span starts at the closing quote).
    const Span& s0 = m_spans[0];
    if (m_spans.size() == 1 && s0.begin == s0.end && (s0.begin >= m_end || m_buf[s0.begin] != '"')) continue;
    rec.line = line;
    rec.fields.clear();
    char* b = m_buf.data();
    for (const Span& s : m_spans) {
      size_t end = s.end;
      if (s.quoted) {  // collapse "" → " in place
        size_t w = s.begin;
        for (size_t r = s.begin; r < s.end; ++r, ++w) {
          b[w] = b[r];
          if (b[r] == '"') ++r;
        }
        end = w;
      }
      rec.fields.emplace_back(b + s.begin, end - s.begin);
    }
    return true;
  }
}

std::string csv_where(const std::string& path, int64_t line) { return path + ":" + std::to_string(line); }

void check_csv_width(const std::string& path, const CsvRecord& rec, size_t header_fields) {
  if (rec.fields.size() != header_fields)
    throw InputError(csv_where(path, rec.line) + ": " + std::to_string(rec.fields.size()) + " fields, the header has " +
                     std::to_string(header_fields));
}

}  // namespace skucast

// io/csv_writer.h — a buffered, atomic CSV writer: rows go to a temporary file in the
// destination folder, which commit() renames into place (io/atomic_file.h). Fields that
// hold the delimiter, a quote, CR or LF, or leading/trailing spaces are quoted (RFC 4180).
// Floats are written with std::to_chars: the shortest text that reads back exactly;
// NaN is written as an empty field (missing), ±Inf as "inf"/"-inf".
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "io/atomic_file.h"

namespace skucast {

class CsvWriter {
 public:
  // Throws IoError when the temporary file cannot be created.
  explicit CsvWriter(const std::string& path);
  ~CsvWriter();  // removes the temporary file unless commit() was called
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  void text(std::string_view s);    // quoted when needed
  void raw(std::string_view s);     // written as is (the caller knows it needs no quotes)
  void number(float v);
  void number(double v);
  void integer(int64_t v);
  void empty() { sep(); }
  void end_row();
  // Flushes and closes the temporary file (checked), without renaming it: the caller commits
  // it later, with the other outputs of its run (Note [Output sets] in io/forecast_file.h).
  void close();
  // Closes (if not yet) and renames into place.
  void commit();
  // Bytes written and their CRC-32 (zlib's), complete after close().
  uint64_t bytes() const { return m_bytes; }
  uint32_t crc32() const { return m_crc; }

 private:
  void sep() {
    if (!m_row_start) m_buf.push_back(',');
    m_row_start = false;
  }
  void flush();

  AtomicPath m_atomic;
  std::FILE* m_file = nullptr;
  std::string m_buf;
  bool m_row_start = true;
  uint64_t m_bytes = 0;
  uint32_t m_crc = 0;
};

// Shortest round-trip text of a float / double ("0.1", "1e-07", "nan").
std::string format_float(float v);
std::string format_double(double v);

}  // namespace skucast

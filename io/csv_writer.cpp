// io/csv_writer.cpp — buffered atomic CSV writer (see csv_writer.h).
#include "io/csv_writer.h"

#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <zlib.h>

#include "kernels/common.hpp"

namespace skucast {

namespace {
constexpr size_t kFlushBytes = size_t{1} << 20;
}

CsvWriter::CsvWriter(const std::string& path) : m_atomic(path) {
  m_file = std::fopen(m_atomic.tmp().c_str(), "wb");
  if (!m_file)
    throw IoError("cannot create '" + m_atomic.tmp() + "' for writing (temporary file for '" + path +
                  "'): " + std::strerror(errno));
  m_buf.reserve(kFlushBytes + 4096);
}

CsvWriter::~CsvWriter() {
  if (m_file) std::fclose(m_file);  // AtomicPath then removes the temporary file
}

void CsvWriter::flush() {
  if (m_buf.empty()) return;
  if (std::fwrite(m_buf.data(), 1, m_buf.size(), m_file) != m_buf.size())
    throw IoError("cannot write '" + m_atomic.tmp() + "': " + std::strerror(errno));
  m_crc = static_cast<uint32_t>(::crc32(m_crc, reinterpret_cast<const Bytef*>(m_buf.data()), static_cast<uInt>(m_buf.size())));
  m_bytes += m_buf.size();
  m_buf.clear();
}

void CsvWriter::text(std::string_view s) {
  sep();
  bool quote = !s.empty() && (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t');
  for (char c : s) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    m_buf.append(s);
    return;
  }
  m_buf.push_back('"');
  for (char c : s) {
    if (c == '"') m_buf.push_back('"');
    m_buf.push_back(c);
  }
  m_buf.push_back('"');
}

void CsvWriter::raw(std::string_view s) {
  sep();
  m_buf.append(s);
}

template <class T>
static void append_number(std::string& buf, T v) {
  if (std::isnan(v)) return;  // missing → empty field
  char tmp[64];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  buf.append(tmp, r.ptr);
}

void CsvWriter::number(float v) {
  sep();
  append_number(m_buf, v);
}

void CsvWriter::number(double v) {
  sep();
  append_number(m_buf, v);
}

void CsvWriter::integer(int64_t v) {
  sep();
  char tmp[32];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  m_buf.append(tmp, r.ptr);
}

void CsvWriter::end_row() {
  m_buf.push_back('\n');
  m_row_start = true;
  if (m_buf.size() >= kFlushBytes) flush();
}

void CsvWriter::close() {
  if (!m_file) return;
  flush();
  const int rc = std::fclose(m_file);
  m_file = nullptr;
  if (rc != 0) throw IoError("cannot write '" + m_atomic.tmp() + "': " + std::strerror(errno));
}

void CsvWriter::commit() {
  close();
  m_atomic.commit();
}

std::string format_float(float v) {
  char tmp[64];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  return std::string(tmp, r.ptr);
}

std::string format_double(double v) {
  char tmp[64];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  return std::string(tmp, r.ptr);
}

}  // namespace skucast

// io/csv_reader.h — a streaming RFC 4180 CSV tokenizer.
//
// Reads the file in large chunks (default 16 MiB) and hands out one record at a time as
// string_views into its buffer, so memory is bounded by the chunk (or the longest record),
// not by the file. Handles quoted fields ("a,b", "say ""hi""", embedded newlines), CRLF
// and LF line ends, a UTF-8 byte-order mark, and a last line without a newline.
// Blank lines are skipped. A quote inside an unquoted field is kept literally (lenient);
// text after a closing quote, or a quote left open at the end of the file, is an error.
// Every error is an InputError that names the file and the line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace skucast {

struct CsvRecord {
  std::vector<std::string_view> fields;  // valid until the next CsvReader::next()
  int64_t line = 0;                      // 1-based line where the record starts
};

class CsvReader {
 public:
  // Throws IoError when the file cannot be opened.
  explicit CsvReader(const std::string& path, size_t chunk_bytes = size_t{16} << 20, char delimiter = ',');
  // Reads only the bytes [begin, end) of the file, which must start at a record boundary
  // whose line number is `first_line` (boundaries come from offset()/line() of a reader
  // that read the whole file). Used to parse parts of one file in parallel.
  CsvReader(const std::string& path, size_t chunk_bytes, char delimiter, int64_t begin, int64_t end,
            int64_t first_line);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `rec`; false at the end of the file.
  bool next(CsvRecord& rec);

  const std::string& path() const { return m_path; }
  // Bytes consumed from the file so far (for progress and throughput).
  int64_t bytes_read() const { return m_bytes_read; }
  // Total size of the file in bytes (0 when unknown, e.g. a pipe).
  int64_t file_size() const { return m_file_size; }
  // File offset and line number where the next record starts.
  int64_t offset() const { return m_buf_offset + static_cast<int64_t>(m_pos); }
  int64_t line() const { return m_line; }

 private:
  struct Span {
    size_t begin, end;  // offsets into m_buf
    bool quoted;        // content may hold doubled quotes to collapse
  };
  // Reads more bytes, keeping [m_pos, m_end). Returns false at EOF (nothing added).
  bool refill();
  // Tokenizes one record starting at m_pos. Returns false when the buffer ends before the
  // record does (caller refills and retries); true with m_spans filled otherwise.
  bool scan_record(size_t& rec_end, int64_t& newlines);

  std::string m_path;
  std::FILE* m_file = nullptr;
  std::vector<char> m_buf;  // m_cap bytes of data + 8 bytes of padding for word-wise scans
  size_t m_cap = 0;
  size_t m_pos = 0, m_end = 0;
  int64_t m_buf_offset = 0;  // file offset of m_buf[0]
  int64_t m_limit = -1;      // bytes still allowed to be read (-1: to the end of the file)
  bool m_eof = false;
  char m_delim;
  int64_t m_line = 1;  // line number at m_pos
  int64_t m_bytes_read = 0;
  int64_t m_file_size = 0;
  std::vector<Span> m_spans;
};

// "path:line", the place an error about a record names.
std::string csv_where(const std::string& path, int64_t line);
// InputError "path:line: N fields, the header has M" when the record's width is not the header's.
void check_csv_width(const std::string& path, const CsvRecord& rec, size_t header_fields);

}  // namespace skucast

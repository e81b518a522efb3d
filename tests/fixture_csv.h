// tests/fixture_csv.h — reader for the committed CSV fixtures in tests/data: lines starting
// with '#' are comments (generator, versions, data sources), the first other line is the
// header, every row has the header's number of comma-separated fields; vectors inside a
// field are ';'-joined. Header-only, for tests.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace skucast::test {

struct FixtureRow {
  std::map<std::string, std::string> field;
  const std::string& at(const std::string& col) const {
    const auto it = field.find(col);
    if (it == field.end()) throw std::runtime_error("fixture: no column '" + col + "'");
    return it->second;
  }
  double num(const std::string& col) const { return std::stod(at(col)); }  // "nan" -> NaN
  int integer(const std::string& col) const { return std::stoi(at(col)); }
};

struct Fixture {
  std::vector<std::string> comments;  // the '#' lines, without the '#'
  std::vector<FixtureRow> rows;
};

inline std::vector<std::string> split_fields(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string tok;
  while (std::getline(ss, tok, sep)) out.push_back(tok);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

inline std::vector<double> split_doubles(const std::string& s) {
  std::vector<double> v;
  for (const std::string& tok : split_fields(s, ';'))
    if (!tok.empty()) v.push_back(std::stod(tok));
  return v;
}

// Reads path; throws with the path, the line and what was expected on malformed input.
// regen: the command that regenerates the fixture (quoted in errors).
inline Fixture read_fixture(const std::string& path, const std::string& regen) {
  std::ifstream f(path);
  if (!f.good()) throw std::runtime_error("cannot open fixture " + path + " (regenerate: " + regen + ")");
  Fixture fx;
  std::vector<std::string> header;
  std::string line;
  int line_no = 0;
  while (std::getline(f, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      fx.comments.push_back(line.substr(1));
      continue;
    }
    std::vector<std::string> cols = split_fields(line, ',');
    if (header.empty()) {
      header = cols;
      continue;
    }
    if (cols.size() != header.size())
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": expected " + std::to_string(header.size()) +
                               " fields, got " + std::to_string(cols.size()) + " (regenerate: " + regen + ")");
    FixtureRow r;
    for (size_t i = 0; i < cols.size(); ++i) r.field[header[i]] = cols[i];
    fx.rows.push_back(std::move(r));
  }
  if (header.empty()) throw std::runtime_error(path + ": no header line (regenerate: " + regen + ")");
  return fx;
}

}  // namespace skucast::test

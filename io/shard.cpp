// io/shard.cpp — parse_shard (io/shard.h).
#include "io/shard.h"

#include <cctype>
#include <string>

#include "kernels/common.hpp"

namespace skucast {

SeriesShard parse_shard(const std::string& text) {
  const auto bad = [&]() {
    return InputError("--shard: '" + text + "' is not a shard; expected K/N with 0 <= K < N, e.g. 0/4");
  };
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= text.size()) throw bad();
  const auto number = [&](const std::string& part) -> int64_t {
    if (part.size() > 12) throw bad();
    for (char c : part)
      if (!std::isdigit(static_cast<unsigned char>(c))) throw bad();
    return std::stoll(part);
  };
  SeriesShard s;
  s.index = number(text.substr(0, slash));
  s.count = number(text.substr(slash + 1));
  if (s.count < 1 || s.index >= s.count) throw bad();
  return s;
}

}  // namespace skucast

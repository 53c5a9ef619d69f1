#include "reports/utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace flopbench {

std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto c = uint8_t(s[i]);
  const std::size_t n = c < 0x80         ? 1
                        : (c >> 5) == 6  ? 2
                        : (c >> 4) == 14 ? 3
                        : (c >> 3) == 30 ? 4
                                         : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((uint8_t(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  const auto c1 = uint8_t(n > 1 ? s[i + 1] : 0);
  if ((n == 2 && c < 0xC2) || (n == 3 && c == 0xE0 && c1 < 0xA0) ||
      (n == 3 && c == 0xED && c1 >= 0xA0) || (n == 4 && c == 0xF0 && c1 < 0x90) ||
      (n == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)))) {
    return 0;
  }
  return n;
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (uint8_t(c) & 0xC0) != 0x80; }));
}

std::size_t invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string strip_terminal_controls(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = std::uint8_t(s[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) continue;
    if (c == 0xC2 && i + 1 < s.size() && std::uint8_t(s[i + 1]) < 0xA0 &&
        std::uint8_t(s[i + 1]) >= 0x80) {
      ++i;  // U+0080..U+009F
      continue;
    }
    out += s[i];
  }
  return out;
}

}  // namespace flopbench

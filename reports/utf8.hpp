#pragma once

// UTF-8 validity of text read from files: the spec reader rejects what is not UTF-8, the JUnit
// printer replaces it.

#include <cstddef>
#include <string_view>

namespace flopbench {

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlong forms and
// surrogates included).
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// The byte offset of the first byte that is not valid UTF-8, or npos.
std::size_t invalid_utf8(std::string_view s);

}  // namespace flopbench

#pragma once

// Text read from files: its UTF-8 validity (the spec reader rejects what is not UTF-8, the JUnit
// printer replaces it) and what of it is safe on a terminal.

#include <cstddef>
#include <string>
#include <string_view>

namespace flopbench {

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlong forms and
// surrogates included).
std::size_t utf8_sequence(std::string_view s, std::size_t i);

// The code points of UTF-8 text (its bytes that do not continue a sequence): the columns it takes
// on a terminal or in an editor, our text having no wide characters.
std::size_t code_points(std::string_view s);

// The byte offset of the first byte that is not valid UTF-8, or npos.
std::size_t invalid_utf8(std::string_view s);

// `s` without terminal control characters (C0 but line feed and tab, DEL, UTF-8-encoded C1), so
// that text from a file cannot move the cursor, recolour or retitle the terminal it is shown on.
std::string strip_terminal_controls(std::string_view s);

}  // namespace flopbench

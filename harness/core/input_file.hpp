#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace flopbench {

// The largest input file (results.json, a spec) flopbench reads. Real ones are a few MB; the
// bound keeps a wrong path (/dev/zero, a disk image) from exhausting memory.
inline constexpr std::int64_t kMaxInputFileBytes = std::int64_t{256} << 20;

// The whole content of an input file. Throws InputError naming the path for a directory (with
// `directory_hint`, what to give instead), a file that cannot be opened or read, and one larger
// than kMaxInputFileBytes.
std::string read_input_file(const std::filesystem::path& path, std::string_view directory_hint);

}  // namespace flopbench

#include "harness/core/input_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "harness/core/types.hpp"

namespace flopbench {

std::string read_input_file(const std::filesystem::path& path, std::string_view directory_hint) {
  const std::string name = path.string();
  // Not the throwing form: a path whose status cannot be read (a symbolic link loop, a
  // directory that cannot be searched, a failing NFS server) fails at the open below, with why.
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
    throw InputError(fmt::format("{}: is a directory; {}", name, directory_hint));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    // A path that names nothing is the caller's mistake; a file that is there and cannot be
    // opened (no permission, an I/O error, too many open files) is the system's.
    const int error = errno;
    const std::string message = fmt::format("{}: cannot open: {}", name, std::strerror(error));
    if (error == ENOENT || error == ENOTDIR || error == ENAMETOOLONG) throw InputError(message);
    throw IoError(message);
  }
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (static_cast<std::int64_t>(text.size()) > kMaxInputFileBytes) {
      throw InputError(fmt::format("{}: larger than {} MiB; not a flopbench input file", name,
                                   kMaxInputFileBytes >> 20));
    }
  }
  if (in.bad()) throw IoError(fmt::format("{}: cannot read: {}", name, std::strerror(errno)));
  return text;
}

}  // namespace flopbench

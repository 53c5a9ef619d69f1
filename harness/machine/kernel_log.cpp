#include "harness/machine/kernel_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace flopbench {
namespace {

constexpr std::string_view kXidMarker = "NVRM: Xid (PCI:";
// A log larger than this is read up to here: /dev/kmsg holds a few MiB at most.
constexpr std::size_t kMaxLogBytes = std::size_t{64} << 20;

// Hexadecimal numbers separated by ':' and '.': "0000:17:00" -> {0, 0x17, 0}.
std::vector<std::uint64_t> pci_numbers(std::string_view id) {
  std::vector<std::uint64_t> out;
  const char* p = id.data();
  const char* end = id.data() + id.size();
  while (p < end) {
    std::uint64_t v = 0;
    const auto [next, ec] = std::from_chars(p, end, v, 16);
    if (ec != std::errc()) return {};
    out.push_back(v);
    if (next == end) break;
    if (*next != ':' && *next != '.') return {};
    p = next + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<XidEvent> parse_xid_events(std::string_view log) {
  std::vector<XidEvent> events;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string_view::npos) end = log.size();
    const std::string_view line = log.substr(start, end - start);
    start = end + 1;
    const auto at = line.find(kXidMarker);
    if (at == std::string_view::npos) continue;
    const std::string_view rest = line.substr(at + kXidMarker.size());
    const auto close = rest.find("): ");
    if (close == std::string_view::npos) continue;
    const std::string_view code_text = rest.substr(close + 3);
    int code = 0;
    const auto [ptr, ec] =
        std::from_chars(code_text.data(), code_text.data() + code_text.size(), code);
    if (ec != std::errc() || ptr == code_text.data()) continue;
    // A GPU in MIG mode adds its instance: "(PCI:0000:3b:00 GPU-I:05)".
    const std::string_view pci = rest.substr(0, std::min(close, rest.find(' ')));
    events.push_back({std::string(pci), code, std::string(trim(line.substr(line.find("NVRM:"))))});
  }
  return events;
}

bool xid_matches_gpu(std::string_view xid_pci, std::string_view pci_bus_id) {
  const auto x = pci_numbers(xid_pci);
  const auto g = pci_numbers(pci_bus_id);
  // domain, bus, device; the XID leaves out the function.
  return x.size() >= 3 && g.size() >= 3 && x[0] == g[0] && x[1] == g[1] && x[2] == g[2];
}

KernelLog read_kernel_log(const std::string& path) {
  KernelLog log;
  log.source = path;
  const bool kmsg = path == "/dev/kmsg";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (kmsg ? O_NONBLOCK : 0));
  if (fd < 0) {
    const int e = errno;
    log.unknown = e == EPERM || e == EACCES
                      ? fmt::format(
                            "permission (reading {} needs root or CAP_SYSLOG where "
                            "kernel.dmesg_restrict is 1)",
                            path)
                      : fmt::format("cannot read {}: {}", path, std::strerror(e));
    return log;
  }
  std::string text;
  // /dev/kmsg hands out one record per read and says EAGAIN at the end; EPIPE when a record
  // was overwritten while reading (the next read goes on).
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got > 0) {
      text.append(buffer, static_cast<std::size_t>(got));
      if (kmsg && text.back() != '\n') text += '\n';
      if (text.size() > kMaxLogBytes) break;
      continue;
    }
    if (got == 0) break;
    if (errno == EINTR || (kmsg && errno == EPIPE)) continue;
    if (kmsg && errno == EAGAIN) break;
    const int e = errno;
    ::close(fd);
    log.unknown = e == EPERM || e == EACCES
                      ? fmt::format("permission (reading {})", path)
                      : fmt::format("cannot read {}: {}", path, std::strerror(e));
    return log;
  }
  ::close(fd);
  log.text = std::move(text);
  return log;
}

KernelLog read_kernel_log() {
  const char* override_path = std::getenv(kKernelLogEnv);
  return read_kernel_log(override_path != nullptr && *override_path != '\0' ? override_path
                                                                            : "/dev/kmsg");
}

}  // namespace flopbench

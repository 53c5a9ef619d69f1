// The results directory: results.json (JsonPrinter), the list of every file a run writes, and
// writing them atomically.

#include "reports/output_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "reports/html_report.hpp"
#include "reports/results_json.hpp"

namespace flopbench {

std::string JsonPrinter::do_print(const ResultsDocument& doc) const {
  // Invalid UTF-8 (a mangled CPU model string, say) must not stop the results being written.
  return to_json(doc).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<std::unique_ptr<Printer>> output_printers(bool include_results_json) {
  std::vector<std::unique_ptr<Printer>> printers;
  if (include_results_json) printers.push_back(std::make_unique<JsonPrinter>());
  printers.push_back(std::make_unique<CsvPrinter>());
  printers.push_back(std::make_unique<MarkdownPrinter>());
  printers.push_back(std::make_unique<GoogleBenchmarkPrinter>());
  printers.push_back(std::make_unique<HtmlPrinter>());
  return printers;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const auto error = [&](int err) {
    return InputError(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
  };
  // A hidden temporary next to the target: rename() is atomic only within one file system.
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp;
  int fd = -1;
  while (fd < 0) {
    temp = path.parent_path() /
           fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) throw error(errno);
  }
  const auto give_up = [&](int err) {
    ::close(fd);
    ::unlink(temp.c_str());
    return error(err);
  };
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw give_up(errno);
    done += static_cast<std::size_t>(n);
  }
  // Flush before the rename, or a crash could leave the new name on an empty file.
  if (::fsync(fd) != 0) throw give_up(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw error(err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw error(err);
  }
}

void write_outputs(const ResultsDocument& doc, const std::filesystem::path& dir,
                   bool include_results_json) {
  for (const auto& printer : output_printers(include_results_json)) {
    write_file_atomically(dir / printer->file_name(), printer->print(doc));
  }
}

}  // namespace flopbench

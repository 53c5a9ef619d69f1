// The results directory: results.json (JsonPrinter), the list of every file a run writes, and
// writing them atomically.

#include "reports/output_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>

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
  printers.push_back(std::make_unique<CrossoverCsvPrinter>());
  printers.push_back(std::make_unique<MarkdownPrinter>());
  printers.push_back(std::make_unique<GoogleBenchmarkPrinter>());
  printers.push_back(std::make_unique<HtmlPrinter>());
  return printers;
}

namespace {

[[noreturn]] void cannot_write(const std::filesystem::path& path, int err) {
  throw_output_path_failure(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)),
                            err);
}

// 0, or the errno of the write that failed.
int write_all(int fd, std::string_view content) {
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

// Writes and closes `fd`, opened on `path`; `durable` syncs the data first. On failure, closes
// it, removes `unlink_on_error` (if any) and throws.
void finish_file(int fd, const std::filesystem::path& path, std::string_view content, bool durable,
                 const std::filesystem::path& unlink_on_error = {}) {
  int err = write_all(fd, content);
  if (err == 0 && durable && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0) return;
  if (!unlink_on_error.empty()) ::unlink(unlink_on_error.c_str());
  cannot_write(path, err);
}

// A rename or a new name is durable only once its directory is synced.
void sync_directory(const std::filesystem::path& file) {
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) cannot_write(file, errno);
  const int err = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  if (err != 0) cannot_write(file, err);
}

// A hidden temporary next to the target, renamed over it: rename() is atomic only within one
// file system. A file replaced keeps its read, write and execute permissions (`mode`), as one
// written through would; not its owner, group or ACL.
void replace_regular_file(const std::filesystem::path& path, std::string_view content,
                          std::optional<mode_t> mode) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp;
  int fd = -1;
  while (fd < 0) {
    temp = path.parent_path() /
           fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), counter++);
    // Created no more open than the file it replaces (the umask may narrow it further), so a
    // private file is never readable by others meanwhile.
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ? *mode & 0777 : 0666);
    if (fd < 0 && errno != EEXIST) cannot_write(path, errno);
  }
  // Then exactly its permissions, where the file system allows: one that refuses (vfat, some
  // network mounts) leaves the temporary as created.
  struct stat made {};
  if (mode && ::fstat(fd, &made) == 0 && (made.st_mode & 0777) != (*mode & 0777)) {
    static_cast<void>(::fchmod(fd, *mode & 0777));
  }
  // Synced before the rename, or a crash could leave the new name on an empty file.
  finish_file(fd, path, content, true, temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    cannot_write(path, err);
  }
  sync_directory(path);
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  struct stat target {};
  if (::stat(path.c_str(), &target) != 0) {
    if (errno != ENOENT) cannot_write(path, errno);
    struct stat link {};
    if (::lstat(path.c_str(), &link) == 0) {
      throw IoError(fmt::format(
          "cannot write {}: a symbolic link to a missing file; flopbench does not replace it",
          path.string()));
    }
    replace_regular_file(path, content, std::nullopt);
    return;
  }
  if (S_ISDIR(target.st_mode)) cannot_write(path, EISDIR);
  if (!S_ISREG(target.st_mode)) {  // a device, FIFO or socket: through it, as a shell's `>`
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) cannot_write(path, errno);
    finish_file(fd, path, content, false);
    return;
  }
  struct stat link {};
  if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    std::error_code ec;
    const auto file = std::filesystem::canonical(path, ec);
    if (ec) cannot_write(path, ec.value());
    replace_regular_file(file, content, target.st_mode);  // the link stays
    return;
  }
  replace_regular_file(path, content, target.st_mode);
}

void create_parent_directories(const std::filesystem::path& file) {
  const std::filesystem::path parent = file.parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    throw_output_path_failure(fmt::format("cannot create {}: {}", parent.string(), ec.message()),
                              ec.value());
  }
}

void throw_output_path_failure(const std::string& message, int err) {
  if (err == ENAMETOOLONG || err == ENOTDIR || err == ELOOP) throw InputError(message);
  throw IoError(message);
}

bool create_new_file(const std::filesystem::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST) return false;
  if (fd < 0) cannot_write(path, errno);
  finish_file(fd, path, content, true, path);
  sync_directory(path);
  return true;
}

std::string write_outputs(const ResultsDocument& doc, const std::filesystem::path& dir,
                          bool include_results_json) {
  // The other files are printed from the document as results.json holds it, so that `flopbench
  // report` makes them again byte for byte: the JSON writer replaces invalid UTF-8 (a host name,
  // an argument), which the other printers would otherwise pass through.
  const std::filesystem::path results_file = dir / "results.json";
  const std::string json_text = JsonPrinter().print(doc);
  if (include_results_json) write_file_atomically(results_file, json_text);
  std::optional<ResultsDocument> read_back;
  std::string not_read_back;
  try {
    read_back = parse_results(json_text, results_file.string());
  } catch (const std::exception& e) {
    not_read_back = e.what();
  }
  for (const auto& printer : output_printers(false)) {
    write_file_atomically(dir / printer->file_name(), printer->print(read_back ? *read_back : doc));
  }
  if (read_back) return "";
  return fmt::format(
      "the results as written do not read back ({}); the other outputs were printed from the run "
      "in memory, and `flopbench report` cannot make them again: a defect of flopbench",
      not_read_back);
}

}  // namespace flopbench

#include "reports/chromium.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/core/input_file.hpp"
#include "harness/core/types.hpp"
#include "reports/output_files.hpp"

extern char** environ;

namespace flopbench {
namespace {

namespace fs = std::filesystem;

// A private scratch directory (Chromium's profile and log), removed when done.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (fs::temp_directory_path() / "flopbench-chromium-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw IoError(fmt::format("cannot create a temporary directory for Chromium in {}",
                                fs::temp_directory_path().string()));
    }
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string file_url(const fs::path& file) {
  std::string url = "file://";
  for (unsigned char c : fs::absolute(file).string()) {
    if (std::isalnum(c) ||
        std::string_view("/-_.~").find(static_cast<char>(c)) != std::string_view::npos) {
      url += static_cast<char>(c);
    } else {
      url += fmt::format("%{:02X}", c);
    }
  }
  return url;
}

// The last lines of Chromium's log that are not about the missing D-Bus (always there in a
// container, and never the reason a rendering failed).
std::string log_tail(const fs::path& log) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.find("dbus") != std::string::npos) continue;
    lines.push_back(line);
  }
  if (lines.empty()) return "no message";
  const std::size_t from = lines.size() > 2 ? lines.size() - 2 : 0;
  std::string out;
  for (std::size_t i = from; i < lines.size(); ++i) out += (out.empty() ? "" : " / ") + lines[i];
  return out;
}

// Runs headless Chromium on `html` with `extra` flags, and the flag that names its output file
// (`output_flag` and that file's path), then places what it wrote at `output` as every output is
// placed (write_file_atomically): a failed rendering leaves an earlier `output` as it was, and a
// symbolic link there stays one.
void render(const fs::path& chromium, const fs::path& html, const fs::path& output,
            std::vector<std::string> extra, std::string_view output_flag, double timeout_s) {
  const ScratchDir scratch;
  const fs::path log = scratch.path() / "chromium.log";
  const fs::path rendered = scratch.path() / ("rendered" + output.extension().string());
  extra.push_back(std::string(output_flag) + fs::absolute(rendered).string());
  // No sandbox: it cannot start as root (CI containers); the page is our own, with no script.
  // No GPU, no /dev/shm (small in containers), and nothing that would reach the network.
  std::vector<std::string> args = {chromium.string(),
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--user-data-dir=" + (scratch.path() / "profile").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(file_url(html));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  // Its own process group, so that a timeout ends the renderer processes too.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw IoError(fmt::format("cannot start {}: {}", chromium.string(), std::strerror(rc)));
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  bool timed_out = false;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid, SIGKILL);  // any helper process it left behind
  if (timed_out) {
    throw IoError(fmt::format("{} did not finish rendering {} within {:.0f} s", chromium.string(),
                              html.string(), timeout_s));
  }
  const bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::error_code ec;
  if (!exited_ok || !fs::exists(rendered, ec) || fs::file_size(rendered, ec) == 0) {
    throw IoError(fmt::format("{} could not render {} to {}: {}", chromium.string(), html.string(),
                              output.string(), log_tail(log)));
  }
  write_file_atomically(output, read_input_file(rendered, "Chromium wrote a directory"));
}

}  // namespace

std::optional<fs::path> find_chromium() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  for (const std::string_view name : kChromiumNames) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      const fs::path candidate = fs::path(dir) / name;
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
  }
  return std::nullopt;
}

void print_to_pdf(const fs::path& chromium, const fs::path& html, const fs::path& pdf,
                  double timeout_s) {
  render(chromium, html, pdf, {"--no-pdf-header-footer"}, "--print-to-pdf=", timeout_s);
}

int pdf_page_count(const fs::path& pdf) {
  std::ifstream in(pdf, std::ios::binary);
  std::stringstream read;
  read << in.rdbuf();
  if (!in || !read) throw IoError(fmt::format("cannot read {}, just written", pdf.string()));
  const std::string bytes = read.str();
  int pages = 0;
  for (const std::string_view type : {"/Type /Page", "/Type/Page"}) {
    for (auto at = bytes.find(type); at != std::string::npos; at = bytes.find(type, at + 1)) {
      const std::size_t after = at + type.size();
      // "/Type /Pages" is the page tree, not a page.
      if (after == bytes.size() || !std::isalnum(static_cast<unsigned char>(bytes[after]))) {
        ++pages;
      }
    }
  }
  return pages;
}

void screenshot(const fs::path& chromium, const fs::path& html, const fs::path& png, int width,
                int height, double timeout_s) {
  render(chromium, html, png,
         {"--hide-scrollbars", fmt::format("--window-size={},{}", width, height)},
         "--screenshot=", timeout_s);
}

}  // namespace flopbench

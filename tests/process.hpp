#pragma once

// Runs the flopbench executable as a user would, for end-to-end tests.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/cli.hpp"

extern char** environ;

namespace flopbench::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child process with its stdout and stderr captured in files.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::filesystem::path& capture_dir)
      : out_(capture_dir / "stdout.txt"), err_(capture_dir / "stderr.txt") {
    std::filesystem::create_directories(capture_dir);
    std::vector<char*> argv;
    std::string exe = FLOPBENCH_EXECUTABLE;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + exe);
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Only while the child is ours: kill(-1, ...) would signal every process.
  void signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }
  // The exit status, or 128 + signal when it was killed; with `peak_rss_kib`, the child's peak
  // resident memory.
  int wait(long* peak_rss_kib = nullptr) {
    int status = 0;
    rusage usage{};
    wait4(pid_, &status, 0, &usage);
    if (peak_rss_kib) *peak_rss_kib = usage.ru_maxrss;
    pid_ = -1;
    killed_by_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // After wait(): the signal that ended the child, 0 when it exited.
  int killed_by() const { return killed_by_; }
  std::string out() const { return read_text(out_); }
  std::string err() const { return read_text(err_); }

 private:
  pid_t pid_ = -1;
  int killed_by_ = 0;
  std::filesystem::path out_, err_;
};

// A co-tenant: a child process spinning on one CPU until destroyed.
class CpuHog {
 public:
  CpuHog() : pid_(fork()) {
    if (pid_ == 0) {
      for (;;) __asm__ volatile("");
    }
  }
  ~CpuHog() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  CpuHog(const CpuHog&) = delete;
  CpuHog& operator=(const CpuHog&) = delete;

 private:
  pid_t pid_;
};

struct Outcome {
  int status;
  std::string out, err;
};

inline Outcome run_flopbench(const std::vector<std::string>& args,
                             const std::filesystem::path& capture_dir) {
  Process p(args, capture_dir);
  const int status = p.wait();
  return {status, p.out(), p.err()};
}

// A refusal as users see it: exit `status` and one line "flopbench: error: ..." naming `what`.
inline void expect_one_line_error(const Outcome& o, const std::string& what,
                                  int status = kExitBadInput) {
  EXPECT_EQ(o.status, status) << o.out << o.err;
  EXPECT_EQ(o.err.rfind("flopbench: error: ", 0), 0u) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_NE(o.err.find(what), std::string::npos) << o.err;
}

}  // namespace flopbench::testing

#include "harness/measure/interrupts.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <initializer_list>
#include <string>
#include <utility>

namespace flopbench {
namespace {

// The first one; read by every thread, written in a handler: a lock-free atomic.
std::atomic<int> g_signal = 0;
static_assert(std::atomic<int>::is_always_lock_free);

// Who sent the first signal (0: the kernel, as for a terminal's Ctrl-C) and when, in
// CLOCK_MONOTONIC nanoseconds: written by the first handler after it won g_signal, the time last.
std::atomic<pid_t> g_first_sender = 0;
std::atomic<long long> g_first_ns = 0;
static_assert(std::atomic<long long>::is_always_lock_free);

std::atomic<bool> g_threads_left_running{false};

long long monotonic_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// The process that sent a signal; 0 for one the kernel raised (a terminal's Ctrl-C).
pid_t sender_of(const siginfo_t* info) {
  return info != nullptr && info->si_code <= 0 ? info->si_pid : 0;  // SI_USER, SI_QUEUE, tkill
}

// Whether `sig` from `sender` at `now_ns` is the first signal sent again (kDuplicateSignalSeconds).
bool sent_again(int sig, pid_t sender, long long now_ns) {
  if (sender == 0 || sig != g_signal.load()) return false;
  // The first handler may still be recording its sender, on another thread: a moment at most.
  long long first_ns = 0;
  for (int spins = 0; spins < 1'000'000 && (first_ns = g_first_ns.load()) == 0; ++spins) {
  }
  return first_ns != 0 && g_first_sender.load() == sender &&
         now_ns - first_ns < static_cast<long long>(kDuplicateSignalSeconds * 1e9);
}

std::atomic<int> g_continued = 0;
void on_continue(int) { g_continued.fetch_add(1); }

void say(const char* text, std::size_t size) {
  [[maybe_unused]] const auto n = write(STDERR_FILENO, text, size);
}

// The record to leave if a signal ends the process at once, in two slots: the run fills the one
// not in use, then makes it the one in use, so that a handler never reads a slot being written.
struct QuitRecord {
  std::string file, temporary, text;
};
QuitRecord g_quit_records[2];
std::atomic<int> g_quit_record = -1;  // the slot in use; -1: none

// Async-signal-safe: open, write, close, rename and unlink only.
void write_quit_record() {
  const int slot = g_quit_record.load();
  if (slot < 0) return;
  const QuitRecord& r = g_quit_records[slot];
  const int fd =
      open(r.temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) return;
  for (std::size_t done = 0; done < r.text.size();) {
    const ssize_t n = write(fd, r.text.data() + done, r.text.size() - done);
    if (n <= 0) {
      close(fd);
      unlink(r.temporary.c_str());
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  close(fd);
  rename(r.temporary.c_str(), r.file.c_str());
}

[[noreturn]] void die_by(int sig) {
  write_quit_record();
  std::signal(sig, SIG_DFL);
  // Inside its own handler the signal is blocked, and raised it would only wait: unblocked, its
  // default action ends the process by that signal, as a parent's shell needs to see.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  std::raise(sig);
  _exit(128 + sig);  // unreachable: the default action of these signals ends the process
}

// Only async-signal-safe calls here.
void on_signal(int sig, siginfo_t* info, void*) {
  const pid_t sender = sender_of(info);
  const long long now_ns = monotonic_ns();
  // Two signals handled at once on two threads: one of them is the first.
  if (int none = 0; g_signal.compare_exchange_strong(none, sig)) {
    g_first_sender = sender;
    g_first_ns = now_ns;
    if (sig == SIGPIPE) {
      // Nobody reads stdout any more: further progress goes nowhere instead of failing.
      const int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, STDOUT_FILENO);
    }
    constexpr char msg[] =
        "\ninterrupted: stopping after the current run and writing the results so far "
        "(again to quit at once)\n";
    say(msg, sizeof msg - 1);
    alarm(kInterruptGraceSeconds);
  } else if (sig != SIGPIPE && !sent_again(sig, sender, now_ns)) {
    // (Every write to a closed pipe raises SIGPIPE again.)
    die_by(sig);
  }
}

void on_grace_expired(int) {
  constexpr char msg[] = "\ninterrupted: the current run did not stop in time; quitting\n";
  say(msg, sizeof msg - 1);
  die_by(g_signal);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_sigaction = on_signal;
  action.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaction(sig, &action, nullptr);
  struct sigaction grace {};
  grace.sa_handler = on_grace_expired;
  grace.sa_flags = SA_RESTART;
  sigemptyset(&grace.sa_mask);
  sigaction(SIGALRM, &grace, nullptr);
}

int times_continued() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = on_continue;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGCONT, &action, nullptr) == 0;
  }();
  return installed ? g_continued.load() : 0;
}

void leave_running(std::thread& thread) {
  if (!thread.joinable()) return;
  thread.detach();
  g_threads_left_running = true;
}

bool threads_left_running() { return g_threads_left_running; }

void set_quit_record(const std::string& file, std::string text) {
  if (file.empty()) {
    g_quit_record = -1;
    return;
  }
  const int slot = g_quit_record.load() == 0 ? 1 : 0;
  g_quit_records[slot] = {file, file + ".quitting", std::move(text)};
  g_quit_record = slot;
}

bool interrupt_requested() { return g_signal != 0; }

int interrupt_signal() { return g_signal; }

}  // namespace flopbench

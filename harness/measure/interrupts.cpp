#include "harness/measure/interrupts.hpp"

#include <unistd.h>

#include <csignal>

namespace flopbench {
namespace {

volatile std::sig_atomic_t g_interrupts = 0;

void on_signal(int sig) {
  g_interrupts = g_interrupts + 1;
  if (g_interrupts == 1) {
    constexpr char msg[] =
        "\ninterrupted: stopping after the current run and writing the results so far "
        "(again to quit at once)\n";
    [[maybe_unused]] auto n = write(STDERR_FILENO, msg, sizeof msg - 1);
  } else {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return g_interrupts > 0; }

}  // namespace flopbench

#pragma once

// Ctrl-C (SIGINT) and SIGTERM: the first one asks the run to stop after the current kernel run,
// keeping what was measured; a second one ends the process at once.

namespace flopbench {

void install_interrupt_handler();
bool interrupt_requested();

}  // namespace flopbench

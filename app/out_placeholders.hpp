#pragma once

// --out placeholders, so that every task of a launcher's job writes its own results directory on
// a shared filesystem: `--out /shared/fleet/{job}/{host}-{rank}` (docs/fleet.md).

#include <string>
#include <string_view>

#include "harness/core/results.hpp"

namespace flopbench {

// `out` with {host}, {rank}, {job} and {time} (UTC, as in the default directory's name) replaced;
// the host name and the job id each as one path component (path_component).
// Throws InputError for an unknown placeholder, an unclosed brace, and {rank} or {job} when the
// launch has none (a process started directly has neither).
std::string expand_out_placeholders(std::string_view out, const std::string& host,
                                    const Launch& launch, const std::string& time);

}  // namespace flopbench

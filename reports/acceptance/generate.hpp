#pragma once

// Specs generated from a golden run (`flopbench spec generate`).

#include <string>

#include "harness/core/results.hpp"

namespace flopbench {

// A spec that holds a machine to `ratio` x what `doc` measured (the golden run), for every
// passed measurement's headline number, plus the GPU count. `source` names the golden file.
std::string generate_spec(const ResultsDocument& doc, double ratio, const std::string& source);

}  // namespace flopbench

#pragma once

// Specs generated from a golden run (`flopbench spec generate`).

#include <string>
#include <vector>

#include "harness/core/results.hpp"

namespace flopbench {

// A spec that holds a machine to `ratio` x what `doc` measured (the golden run), for every
// passed measurement's headline number, plus the GPU count. `source` names the golden file.
// `references`, where given, gets the measurements the references were taken from (a contended
// one among them makes its reference low).
std::string generate_spec(const ResultsDocument& doc, double ratio, const std::string& source,
                          std::vector<const MeasurementRecord*>* references = nullptr);

}  // namespace flopbench

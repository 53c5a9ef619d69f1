#pragma once

// results.json: the canonical serialisation of a ResultsDocument (docs/results-schema.md).
//
// Writing never fails. Reading validates everything it uses: a missing field, a wrong type or an
// unknown enum name throws InputError with a one-line message that names the JSON path, e.g.
// "measurements[3].statistics.median_s: expected a number". Fields that are derived when writing
// (display_name, problem_label) are ignored when reading. Fields this version does not know are
// kept in the records' unknown_fields (results.hpp) and written back, so a file read and written
// again loses none.
//
// One field list per record (results_json.cpp) drives both directions: a new field is one line.
//
// Doubles round-trip exactly. JSON has no NaN or infinity, so non-finite values (a NaN in a
// verification error, say) are written as the strings "nan", "inf" and "-inf".

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "harness/core/results.hpp"
#include "reports/fleet.hpp"

namespace flopbench {

nlohmann::json to_json(const ResultsDocument& doc);

// Validates the shape and the schema version (a newer version than kSchemaVersion is an error).
ResultsDocument results_from_json(const nlohmann::json& j);

// Reads and validates a results.json file (through read_input_file: bounded, refusing
// directories). Every InputError message starts with the file name.
ResultsDocument read_results_file(const std::filesystem::path& path);
// A run's results directory stands for the results.json in it (what `run` prints is the
// directory); any other path is itself, for the reader to say what it is.
std::filesystem::path results_file_in(const std::filesystem::path& path);
// The same for the file's text, `name` for messages. Any text either gives a document or throws
// InputError (tests/test_fuzz.cpp holds it to that).
ResultsDocument parse_results(std::string_view text, const std::string& name);

// fleet.json, a FleetRecord (reports/fleet.hpp): the same codecs, its nodes' results embedded as
// results.json documents. Reading checks fleet_schema_version, then every node's results.
nlohmann::json to_json(const FleetRecord& fleet);
FleetRecord fleet_from_json(const nlohmann::json& j);
FleetRecord read_fleet_file(const std::filesystem::path& path);
// Whether `path` is a file of JSON that is a fleet record (by its fleet_schema_version, whatever
// its name); false for anything else, a file that cannot be read or parsed included.
bool is_fleet_record_file(const std::filesystem::path& path);

}  // namespace flopbench

#pragma once

// results.json: the canonical serialisation of a ResultsDocument (docs/results-schema.md).
//
// Writing never fails. Reading validates everything it uses: a missing field, a wrong type or an
// unknown enum name throws InputError with a one-line message that names the JSON path, e.g.
// "measurements[3].statistics.median_s: expected a number". Fields that are derived when writing
// (display_name, problem_label) and fields this version does not know are ignored when reading.
//
// Doubles round-trip exactly. JSON has no NaN or infinity, so non-finite values (a NaN in a
// verification error, say) are written as the strings "nan", "inf" and "-inf".

#include <filesystem>

#include <nlohmann/json.hpp>

#include "harness/core/results.hpp"

namespace flopbench {

nlohmann::json to_json(const ResultsDocument& doc);

// Validates the shape and the schema version (a newer version than kSchemaVersion is an error).
ResultsDocument results_from_json(const nlohmann::json& j);

// Reads and validates a results.json file. Every InputError message starts with the file name.
ResultsDocument read_results_file(const std::filesystem::path& path);

// nlohmann's ADL hooks, so parts of a document convert on their own (`json j = record;`,
// `j.get<Environment>()`). from_json validates as above, with paths relative to `j`.
void to_json(nlohmann::json& j, const CacheLevel& v);
void to_json(nlohmann::json& j, const Peak& v);
void to_json(nlohmann::json& j, const CpuInventory& v);
void to_json(nlohmann::json& j, const GpuDevice& v);
void to_json(nlohmann::json& j, const GpuInventory& v);
void to_json(nlohmann::json& j, const Environment& v);
void to_json(nlohmann::json& j, const Statistics& v);
void to_json(nlohmann::json& j, const Verification& v);
void to_json(nlohmann::json& j, const GpuTelemetry& v);
void to_json(nlohmann::json& j, const MeasurementRecord& v);
void to_json(nlohmann::json& j, const RunInfo& v);
void to_json(nlohmann::json& j, const CriterionVerdict& v);
void to_json(nlohmann::json& j, const AcceptanceResult& v);
void to_json(nlohmann::json& j, const ResultsDocument& v);

void from_json(const nlohmann::json& j, CacheLevel& v);
void from_json(const nlohmann::json& j, Peak& v);
void from_json(const nlohmann::json& j, CpuInventory& v);
void from_json(const nlohmann::json& j, GpuDevice& v);
void from_json(const nlohmann::json& j, GpuInventory& v);
void from_json(const nlohmann::json& j, Environment& v);
void from_json(const nlohmann::json& j, Statistics& v);
void from_json(const nlohmann::json& j, Verification& v);
void from_json(const nlohmann::json& j, GpuTelemetry& v);
void from_json(const nlohmann::json& j, MeasurementRecord& v);
void from_json(const nlohmann::json& j, RunInfo& v);
void from_json(const nlohmann::json& j, CriterionVerdict& v);
void from_json(const nlohmann::json& j, AcceptanceResult& v);
void from_json(const nlohmann::json& j, ResultsDocument& v);

}  // namespace flopbench

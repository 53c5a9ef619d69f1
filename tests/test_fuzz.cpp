// Seeded mutation fuzzing of the readers of untrusted files, results.json and spec CSV: every
// mutated input either parses or throws InputError, and a document that parses prints every
// output. Anything else is a finding: another exception here, a crash or a sanitizer report
// under the `sanitize` preset (.ci/run runs both, with its own input counts).
//
// FLOPBENCH_FUZZ_INPUTS: mutated inputs per reader (default 2000). FLOPBENCH_FUZZ_SEED replays
// a run; the seed is printed.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "harness/core/types.hpp"
#include "reports/acceptance/spec.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "tests/process.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
const fs::path kData = FLOPBENCH_TEST_DATA_DIR;

std::uint64_t env_number(const char* name, std::uint64_t otherwise) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : otherwise;
}

// Tokens that have broken readers before, or that sit on a boundary of the schema.
const std::vector<std::string> kTokens = {"1e999",
                                          "-1e999",
                                          "1e-400",
                                          "-1",
                                          "0",
                                          "-0",
                                          "18446744073709551616",
                                          "\"nan\"",
                                          "\"inf\"",
                                          "null",
                                          "true",
                                          "[",
                                          "]",
                                          "{",
                                          "}",
                                          "\"",
                                          ",",
                                          ":",
                                          "\"x\":",
                                          "\\u0000",
                                          "\x1b[31m",
                                          "*",
                                          "?",
                                          "\n",
                                          "\r\n",
                                          ",,,,",
                                          "any",
                                          ">=",
                                          "==",
                                          "peak",
                                          "\xff",
                                          std::string(100, '['),
                                          std::string(70, '{') + "\"a\":",
                                          "\"samples_s\": [",
                                          "\"schema_version\": 2",
                                          "gpu0+gpu1",
                                          "0.85 * peak"};

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  std::string operator()(std::string s) {
    const int n = pick(1, 4);
    for (int i = 0; i < n; ++i) mutate_once(s);
    return s;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::size_t at(const std::string& s) {
    return std::uniform_int_distribution<std::size_t>(0, s.size())(rng_);
  }
  void mutate_once(std::string& s) {
    switch (pick(0, 4)) {
      case 0:  // a byte changed
        if (!s.empty()) s[std::min(at(s), s.size() - 1)] = static_cast<char>(pick(0, 255));
        break;
      case 1:  // a token inserted
        s.insert(at(s), kTokens[static_cast<std::size_t>(pick(0, int(kTokens.size()) - 1))]);
        break;
      case 2: {  // a range removed
        const std::size_t from = at(s);
        s.erase(from, static_cast<std::size_t>(pick(1, 64)));
        break;
      }
      case 3: {  // a range repeated
        const std::size_t from = at(s);
        s.insert(at(s), s.substr(from, static_cast<std::size_t>(pick(1, 256))));
        break;
      }
      default:  // cut short
        s.resize(at(s));
    }
  }
  std::mt19937_64 rng_;
};

struct Seeded {
  std::uint64_t seed = env_number("FLOPBENCH_FUZZ_SEED", testing::fresh_seed());
  std::uint64_t inputs = env_number("FLOPBENCH_FUZZ_INPUTS", 2000);
};

TEST(Fuzz, ResultsReaderEitherReadsOrSaysWhy) {
  const Seeded run;
  std::cout << fmt::format("seed {} (FLOPBENCH_FUZZ_SEED), {} inputs\n", run.seed, run.inputs);
  const std::string original = testing::read_text(kData / "golden" / "reports" / "results.json");
  ASSERT_FALSE(original.empty());
  ASSERT_GT(run.inputs, 0u);
  // The unmutated file reads and prints: a reader that refused everything would pass below.
  for (const auto& printer : output_printers(true))
    printer->print(parse_results(original, "golden.json"));
  Mutator mutate(run.seed);
  std::uint64_t parsed = 0;
  for (std::uint64_t i = 0; i < run.inputs; ++i) {
    const std::string text = mutate(original);
    std::optional<ResultsDocument> doc;
    try {
      doc = parse_results(text, "fuzz.json");
      ++parsed;
    } catch (const InputError&) {
      continue;  // refused, saying why
    } catch (const std::exception& e) {
      FAIL() << "input " << i << " (seed " << run.seed << "): " << e.what() << "\n" << text;
    }
    // What the reader accepts, every printer prints.
    try {
      for (const auto& printer : output_printers(true)) printer->print(*doc);
    } catch (const std::exception& e) {
      FAIL() << "printing input " << i << " (seed " << run.seed << "): " << e.what() << "\n"
             << text;
    }
  }
  std::cout << fmt::format("{} of {} mutated files were still valid results\n", parsed, run.inputs);
  EXPECT_GT(parsed, 0u) << "no mutated file was still valid: the mutations test only refusal";
}

TEST(Fuzz, SpecReaderEitherReadsOrSaysWhy) {
  const Seeded run;
  std::cout << fmt::format("seed {} (FLOPBENCH_FUZZ_SEED), {} inputs\n", run.seed, run.inputs);
  std::vector<std::string> corpus;
  for (const auto& entry : fs::directory_iterator(FLOPBENCH_SPEC_SOURCE_DIR)) {
    corpus.push_back(testing::read_text(entry.path()));
  }
  ASSERT_FALSE(corpus.empty());
  Mutator mutate(run.seed);
  std::mt19937_64 choose(run.seed);
  GpuDevice h100;
  h100.name = "NVIDIA H100 80GB HBM3";
  for (std::uint64_t i = 0; i < run.inputs; ++i) {
    const std::string text = mutate(corpus[choose() % corpus.size()]);
    try {
      const Spec spec = parse_spec(text, "fuzz.csv");
      for (const auto& pattern : spec_gpu_patterns(spec)) {
        applies_to_gpu(pattern, h100);
      }
    } catch (const InputError&) {
    } catch (const std::exception& e) {
      FAIL() << "input " << i << " (seed " << run.seed << "): " << e.what() << "\n" << text;
    }
  }
}

}  // namespace
}  // namespace flopbench

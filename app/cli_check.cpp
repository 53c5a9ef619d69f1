// `flopbench check` and `flopbench spec generate`: acceptance testing (docs/acceptance.md).

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>

#include "app/cli.hpp"
#include "app/cli_commands.hpp"
#include "app/cli_selection.hpp"
#include "app/out_placeholders.hpp"
#include "harness/core/sizes.hpp"
#include "harness/machine/gpu_health.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/launcher.hpp"
#include "reports/acceptance/fleet_judge.hpp"
#include "reports/acceptance/generate.hpp"
#include "reports/acceptance/health_judge.hpp"
#include "reports/acceptance/judge.hpp"
#include "reports/acceptance/spec.hpp"
#include "reports/acceptance_report.hpp"
#include "reports/fleet_report.hpp"
#include "reports/format.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "reports/utf8.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;

// Where the shipped specs are, in the order `--spec auto` looks: the environment's choice, an
// installed flopbench's share directory, then the source tree this build came from.
std::vector<fs::path> spec_dirs() {
  if (const char* dir = std::getenv("FLOPBENCH_SPEC_DIR")) {
    if (!*dir) {
      throw InputError(
          "--spec auto: FLOPBENCH_SPEC_DIR is set but empty; name the directory of the specs, "
          "or unset it to use the shipped ones");
    }
    return {dir};
  }
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "flopbench" / "specs");
  dirs.emplace_back(FLOPBENCH_SPEC_DIR);
  return dirs;
}

// The shipped spec for this machine: the first (by file name) keyed to the name of its first
// GPU (of those the run is given, `gpus`: empty for all); where CUDA sees none but the health facts
// name one (a build without CUDA, a broken CUDA install), keyed to the first that they name, so
// that its GPU criteria fail as not measured rather than a CPU spec passing; on a machine without a
// GPU, the first keyed to no GPU at all (cpu-only.csv), unless the PCI bus lists NVIDIA GPUs that
// nothing sees (a driver that did not load): then a spec of one criterion that the machine fails,
// its GPUs seen.
struct AutoSpec {
  SpecChoice choice;
  std::string said;  // the console's line: which spec, and for what machine
};
AutoSpec auto_spec(const Environment& env, const std::vector<int>& gpus) {
  const auto dirs = spec_dirs();
  const auto dir_it = std::find_if(dirs.begin(), dirs.end(), [](const fs::path& d) {
    std::error_code ec;
    return fs::is_directory(d, ec);
  });
  std::vector<std::string> looked;
  for (const auto& d : dirs) looked.push_back(d.string());
  if (dir_it == dirs.end()) {
    throw InputError(
        fmt::format("--spec auto: no spec directory found (looked in {}); give a "
                    "spec with --spec FILE",
                    fmt::join(looked, ", ")));
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(*dir_it)) {
    if (entry.path().extension() == ".csv") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  const auto unseen = gpus_only_health_names(env);
  const auto given = std::find_if(env.gpu.devices.begin(), env.gpu.devices.end(),
                                  [&](const GpuDevice& d) { return gpu_selected(gpus, d.index); });
  const GpuDevice* first_gpu = given != env.gpu.devices.end() ? &*given
                               : !unseen.empty()              ? &unseen.front()
                                                              : nullptr;
  const std::string machine =
      !first_gpu       ? "a machine without a GPU"
      : unseen.empty() ? "GPU '" + first_gpu->name + "'"
                       : fmt::format("GPU '{}' named by {}; CUDA sees no GPU: {}", first_gpu->name,
                                     health_gpu_source(*env.health), no_gpu_reason(env.gpu));
  if (!first_gpu) {
    // A GPU machine whose driver is not loaded looks like a machine without a GPU to CUDA, NVML
    // and nvidia-smi alike; the PCI bus still lists its GPUs. Judging it against the CPU spec
    // would pass it, so it is held to having its GPUs seen, which it fails.
    if (const int count = env.health ? nvidia_gpus_listed(*env.health) : 0; count > 0) {
      Criterion seen = criterion_of(
          "gpu.count", Comparator::ge, BoundKind::absolute, count, std::to_string(count),
          Severity::fail, "any",
          fmt::format("--spec auto: the PCI bus lists {} that neither CUDA nor the driver sees, "
                      "so no shipped spec can be chosen; every GPU must be seen (a CPU-only "
                      "check on such a machine needs --spec cpu-only.csv)",
                      counted(count, "NVIDIA GPU")));
      return {
          {Spec{"auto", {std::move(seen)}},
           fmt::format("auto: none ({} on the PCI bus, none seen)", counted(count, "NVIDIA GPU"))},
          fmt::format("spec: auto -> none: the PCI bus lists {}, and none is seen ({})\n",
                      counted(count, "NVIDIA GPU"),
                      strip_terminal_controls(no_gpu_reason(env.gpu)))};
    }
  }
  for (const auto& file : files) {
    Spec spec = read_spec(file);
    const auto patterns = spec_gpu_patterns(spec);
    const bool match =
        !first_gpu ? patterns.empty()
                   : std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
                       return applies_to_gpu(p, *first_gpu);
                     });
    if (!match) continue;
    return {{std::move(spec), "auto: " + file.string()},
            fmt::format("spec: auto -> {} (for {})\n", file.string(),
                        strip_terminal_controls(machine))};
  }
  throw NoSpecForMachine(fmt::format(
      "--spec auto: no spec in {} is for {}; give one with --spec FILE, or make one from a golden "
      "run with 'flopbench spec generate'",
      dir_it->string(), machine));
}

SpecChoice choose_spec(const std::string& option, const Environment& env,
                       const std::vector<int>& gpus) {
  if (option != "auto") return {read_spec(option), option};
  AutoSpec chosen = auto_spec(env, gpus);
  fmt::print("{}", chosen.said);
  return std::move(chosen.choice);
}

// Whether the spec names a measurement like `req`: the runner's work is limited to those.
bool needed(const Spec& spec, const MeasurementRequest& req) {
  return std::any_of(spec.criteria.begin(), spec.criteria.end(), [&](const Criterion& c) {
    const Metric& m = c.metric;
    if (!m.measured_rate() || m.workload != req.implementation->workload ||
        m.precision != req.precision || m.implementation != req.implementation->name()) {
      return false;
    }
    if (!m.device.on_gpu()) return !req.device.on_gpu();
    // A metric on every GPU needs each; a request without a GPU is GPU work this machine cannot
    // do, which the runner records as such.
    return req.device.on_gpu() &&
           (m.device.gpus.empty() || req.device.no_gpu() || m.device == req.device);
  });
}

// A rate row on a workload that the profile has no sizes for would fail as "not measured" after
// the whole run: refused first, as `run` refuses such a workload (`--profile sweep` has none for
// peak).
void refuse_rows_without_sizes(const Spec& spec, Profile profile) {
  for (const Criterion& c : spec.criteria) {
    const Metric& m = c.metric;
    if (!m.measured_rate()) continue;
    const SizingFacts facts{.device = m.device.on_gpu() ? DeviceKind::gpu : DeviceKind::cpu};
    if (info(*m.workload).default_sizes(profile, facts, m.precision).problems.empty()) {
      throw InputError(fmt::format(
          "profile {} has no sizes for {}, which the spec's row {} (line {}) needs; give --sizes, "
          "or another --profile",
          to_string(profile), to_string(*m.workload), m.name, c.line));
    }
  }
}

struct CheckOptions {
  std::string spec, results, junit, sizes;
  MeasureOptions measure;
  std::vector<std::string> measuring_options_given;  // --sizes, --out, --profile, ...
};

// The JUnit file, in a directory made for it as the sheet's is (it may be the run's own, which
// exists only once the run does).
void write_junit(const std::string& path, std::string_view xml) {
  try {
    create_parent_directories(path);
    write_file_atomically(path, xml);
  } catch (const InputError& e) {
    // After the verdict, which exit 2 (no verdict) would deny: a file not written is exit 3.
    throw IoError(e.what());
  }
  fmt::print("wrote {}\n", path);
}

// A fleet record: a directory `flopbench merge` wrote, its fleet.json, or a copy of that under
// another name.
std::optional<fs::path> fleet_file(const fs::path& results) {
  std::error_code ec;
  if (fs::is_directory(results, ec) && fs::exists(results / "fleet.json", ec)) {
    return results / "fleet.json";
  }
  if (results.filename() == "fleet.json" ||
      (fs::is_regular_file(results, ec) && is_fleet_record_file(results)))
    return results;
  return std::nullopt;
}

// Every node against the spec (`auto`: the shipped one for each node's GPU), then the fleet.
int check_fleet(const CheckOptions& opt, const fs::path& file) {
  FleetRecord fleet = read_fleet_file(file);
  std::optional<SpecChoice> fixed;
  if (opt.spec != "auto") fixed = choose_spec(opt.spec, {}, {});
  std::set<std::string> said;  // each choice of --spec auto once, not once per node
  judge_fleet(
      fleet,
      [&](const ResultsDocument& doc) {
        if (fixed) return *fixed;
        AutoSpec chosen = auto_spec(doc.environment, doc.run.gpus);
        if (said.insert(chosen.said).second) fmt::print("{}", chosen.said);
        return std::move(chosen.choice);
      },
      opt.spec, utc_now());
  // The verdict is shown and the JUnit file written before the record is rewritten: a record
  // that cannot be written (a read-only archive) still gets its verdict, then exit 3.
  // Host names, problems and reasons come from the nodes' files: no terminal controls.
  for (const auto& n : fleet.nodes) {
    if (!n.superseded.empty()) {
      fmt::print("{}", strip_terminal_controls(
                           fmt::format("superseded {}: {}\n", node_label(n), n.superseded)));
      continue;
    }
    if (!n.reporting() || !n.results->acceptance) {
      fmt::print("{}",
                 strip_terminal_controls(fmt::format("FAIL {}: {}\n", node_label(n), n.problem)));
      continue;
    }
    // A node's failed and warned criteria under it: what the operator acts on.
    const AcceptanceResult& verdict = *n.results->acceptance;
    fmt::print("{}", strip_terminal_controls(fmt::format(
                         "{} {} ({})\n{}", verdict.passed ? "PASS" : "FAIL", node_label(n),
                         criteria_counts(verdict), unmet_criteria_table(verdict, "    "))));
  }
  fmt::print("fleet acceptance ({}):\n", strip_terminal_controls(fleet.acceptance->spec));
  for (const auto& v : fleet.acceptance->criteria) {
    fmt::print("{}", strip_terminal_controls(fmt::format(
                         "  {} {} {} {}{}{}\n", to_string(v.verdict), v.metric, v.comparator,
                         v.bound_text, v.reason.empty() ? "" : ": ", v.reason)));
  }
  fmt::print("{}\n", fleet.acceptance->passed ? "PASS" : "FAIL");
  if (!opt.junit.empty()) write_junit(opt.junit, FleetJunitPrinter().print(fleet));
  // A record of another name is a copy: the outputs beside it belong to that directory's
  // fleet.json, and are left alone. A link to a fleet's own record is that record.
  const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  std::error_code ec;
  if (file.filename() == "fleet.json") {
    write_fleet_outputs(fleet, dir);
  } else if (const fs::path own = fs::canonical(file, ec).parent_path() / "fleet.json";
             !ec && fs::equivalent(own, file, ec)) {
    write_fleet_outputs(fleet, own.parent_path());
  } else {
    write_file_atomically(file, FleetJsonPrinter().print(fleet));
  }
  fmt::print("verdicts recorded in {}\n", file.string());
  return fleet.acceptance->passed ? kExitOk : kExitFailures;
}

int check_command(const CheckOptions& opt, const std::vector<std::string>& command_line) {
  if (!opt.junit.empty()) {
    std::vector<fs::path> inputs;
    if (!opt.results.empty()) {
      inputs.emplace_back(opt.results);
      if (const auto fleet = fleet_file(opt.results)) inputs.push_back(*fleet);
    } else if (!opt.measure.out.empty()) {
      // The run check makes, where its placeholders put it ({time} as of now). Placeholders it
      // cannot fill are refused when the run claims its directory, after the earlier verdict
      // below is gone.
      try {
        inputs.push_back(fs::path(expand_out_placeholders(opt.measure.out, host_name(),
                                                          this_launch(), utc_now(true))) /
                         "results.json");
      } catch (const InputError&) {
      }
    }
    if (opt.spec != "auto") inputs.emplace_back(opt.spec);
    refuse_output_over_records(opt.junit, "--junit", inputs);
    // An earlier check's JUnit file would be read as this one's verdict where this one gives
    // none (a bad spec, no spec for the machine, Ctrl-C): it goes before anything can stop it.
    // A link stays, its file emptied (an empty file is no verdict); a device, FIFO or socket
    // (/dev/stdout) holds no earlier verdict.
    std::error_code ec;
    const bool link = fs::is_symlink(fs::symlink_status(opt.junit, ec));
    if (fs::is_regular_file(fs::status(opt.junit, ec))) {
      if (link) {
        fs::resize_file(opt.junit, 0, ec);
      } else {
        fs::remove(opt.junit, ec);
      }
      if (ec) {
        throw IoError(fmt::format("--junit {}: cannot remove the earlier verdict: {}", opt.junit,
                                  ec.message()));
      }
    }
  }
  if (!opt.results.empty() && !opt.measuring_options_given.empty()) {
    const auto& given = opt.measuring_options_given;
    throw InputError(fmt::format(
        "{} {} how to measure, and with --results nothing is measured: the verdict is recorded "
        "in the results given",
        fmt::join(given, ", "), given.size() == 1 ? "says" : "say"));
  }
  if (!opt.results.empty()) {
    if (const auto fleet = fleet_file(opt.results)) return check_fleet(opt, *fleet);
  }
  std::optional<SpecChoice> chosen;
  // A bad spec is reported before anything is measured.
  if (opt.spec != "auto") chosen = choose_spec(opt.spec, {}, {});
  ResultsDocument doc;  // the judged run, with its verdict
  fs::path results_file;
  if (!opt.results.empty()) {
    doc = read_results_file(opt.results);
    if (!chosen) chosen = choose_spec(opt.spec, doc.environment, doc.run.gpus);
    doc.acceptance = judge(chosen->spec, doc, chosen->label, utc_now());
    results_file = opt.results;
  } else {
    if (!chosen) {
      // The GPUs CUDA sees, and those NVML or nvidia-smi name where CUDA sees none.
      Environment here;
      here.gpu = gpu_inventory();
      here.health = collect_health(here.gpu);
      chosen = choose_spec(
          opt.spec, here, parse_gpus(opt.measure.gpus, this_launch()).value_or(std::vector<int>{}));
    }
    Selection sel;
    if (opt.sizes.empty()) {
      refuse_rows_without_sizes(chosen->spec, parse_profile(opt.measure.profile));
    } else {
      sel.sizes = parse_sizes(opt.sizes);
    }
    MeasuredRun run =
        measure_selection(sel, opt.measure, command_line,
                          [&](const MeasurementRequest& req) { return needed(chosen->spec, req); });
    // A criterion missed on a contended measurement is measured again once before the verdict.
    if (!run.doc.run.interrupted) {
      if (const auto again = contended_misses(chosen->spec, run.doc); !again.empty()) {
        fmt::print("\nre-measuring {} that missed a criterion while contended\n",
                   counted(again.size(), "measurement"));
        remeasure(run, again, opt.measure);
      }
    }
    if (run.doc.run.interrupted) {  // while measuring or re-measuring
      write_run_outputs(run);
      print_error("flopbench: interrupted; no verdict (the measurements so far are in {})\n",
                  run.dir.string());
      return run_exit_status(run.doc);
    }
    run.doc.acceptance = judge(chosen->spec, run.doc, chosen->label, utc_now());
    write_run_outputs(run);
    results_file = run.dir / "results.json";
    doc = std::move(run.doc);
    fmt::print("\n");
  }
  fmt::print("{}", AcceptanceConsolePrinter().print(doc));
  if (!opt.junit.empty()) {
    // The judged machine's name, which --results need not be this one's.
    write_junit(opt.junit, AcceptanceJunitPrinter(
                               doc.environment.host.empty() ? "unknown" : doc.environment.host)
                               .print(doc));
  }
  // After the verdict is shown and the JUnit file written: a results file that cannot be written
  // (a read-only archive) still gets its verdict, then exit 3.
  if (!opt.results.empty()) {
    // Through the model: the reader kept the fields this version does not know, and the writer
    // puts them back.
    write_file_atomically(results_file, JsonPrinter().print(doc));
    // The outputs beside a run's results.json are regenerated with the verdict; those beside
    // a file of another name are another run's.
    if (results_file.filename() == "results.json") {
      write_output_files(doc, results_file.has_parent_path() ? results_file.parent_path() : ".",
                         false);
    }
  }
  fmt::print("verdict recorded in {}\n", results_file.string());
  return doc.acceptance->passed ? kExitOk : kExitFailures;
}

struct GenerateOptions {
  std::string from, out;
  double ratio = 0;
};

int generate_command(const GenerateOptions& opt) {
  if (!(opt.ratio > 0 && opt.ratio <= 1)) {
    throw InputError(
        fmt::format("--ratio {}: expected a number in (0, 1], the fraction of the "
                    "golden run a machine must reach",
                    opt.ratio));
  }
  std::error_code ec;
  const fs::path name = fs::path(opt.out).filename();
  if (fs::is_directory(opt.out, ec) || name.empty() || name == "." || name == "..") {
    throw InputError(fmt::format("--out {}: names a directory; name the spec file", opt.out));
  }
  if (fs::exists(opt.out, ec)) {
    throw InputError(fmt::format(
        "--out {}: exists; flopbench does not overwrite a spec, so choose a new name", opt.out));
  }
  refuse_output_over_records(opt.out, "--out", {opt.from});
  const ResultsDocument doc = read_results_file(opt.from);
  if (doc.run.kind() != kRunKind) {
    throw InputError(fmt::format(
        "{}: the results of a {}, which has no measurements to make a spec from; its {}.* rows "
        "are written by hand (docs/acceptance.md)",
        opt.from, kind_name(doc.run.kind()), doc.run.kind()));
  }
  if (const std::string note = incomplete_run_note(doc.run); !note.empty()) {
    print_error("flopbench: warning: {}: {}\n", opt.from, note);
  }
  if (std::none_of(doc.measurements.begin(), doc.measurements.end(),
                   [](const auto& r) { return r.disposition == Disposition::passed; })) {
    throw InputError(fmt::format("{}: no passed measurement to make a spec from", opt.from));
  }
  std::vector<const MeasurementRecord*> references;
  const std::string spec = generate_spec(doc, opt.ratio, opt.from, &references);
  // A contended figure is partly a co-tenant's: a reference taken from it is too low. (Those
  // no reference came from, a smaller problem or one measured again, do not count.)
  const auto contended =
      std::ranges::count_if(references, [](const auto* r) { return r->contended(); });
  if (contended > 0) {
    print_error(
        "flopbench: warning: {}: {} {} taken from contended measurements, so {} low; "
        "measure the golden run on a quiet machine (run --wait-quiet)\n",
        opt.from, counted(contended, "reference"), contended == 1 ? "was" : "were",
        contended == 1 ? "it is" : "they are");
  }
  // A reference is taken from passed measurements alone: a golden run should have no other.
  if (const auto wrong = std::ranges::count_if(doc.measurements, unverified); wrong > 0) {
    print_error(
        "flopbench: warning: {}: {} gave a wrong answer or failed, and no reference is "
        "taken from {} (report.md says why); a golden run should be correct throughout: "
        "find why, and measure it again\n",
        opt.from, counted(wrong, "measurement"), wrong == 1 ? "it" : "them");
  }
  create_parent_directories(opt.out);
  write_file_atomically(opt.out, spec);
  fmt::print("wrote {}\n", opt.out);
  return kExitOk;
}

}  // namespace

Command add_check_command(CLI::App& app) {
  auto opt = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check",
      "judge a run against an acceptance spec: exit 0 pass, 1 fail, 2 cannot check, 3 a "
      "file could not be written, 4 a defect of flopbench, 128 + N interrupted by signal N");
  cmd->add_option("--spec", opt->spec,
                  "the spec (CSV; see docs/acceptance.md), or 'auto': the shipped spec for "
                  "this machine's GPU")
      ->required();
  cmd->add_option("--results", opt->results,
                  "judge this results.json (the verdict is added to it) or the run's directory, "
                  "or a fleet that 'flopbench merge' wrote; default: measure what the spec "
                  "needs first")
      ->transform(results_of_a_run());
  cmd->add_option("--junit", opt->junit, "also write the verdict as JUnit XML to this file");
  // The options from here on say how to measure: with --results, none may be given.
  const std::size_t first_measuring = cmd->get_options().size();
  cmd->add_option("--sizes", opt->sizes,
                  "when measuring: sizes as for 'flopbench run' (default: the profile's)");
  add_measure_options(cmd, opt->measure);
  return {cmd, [opt, cmd, first_measuring](const std::vector<std::string>& command_line) {
            const auto options = cmd->get_options();
            for (std::size_t i = first_measuring; i < options.size(); ++i) {
              if (options[i]->count() > 0) {
                opt->measuring_options_given.push_back(options[i]->get_name());
              }
            }
            return check_command(*opt, command_line);
          }};
}

Command add_spec_command(CLI::App& app) {
  auto opt = std::make_shared<GenerateOptions>();
  auto* cmd = app.add_subcommand("spec", "acceptance specs");
  cmd->require_subcommand(1);
  auto* generate = cmd->add_subcommand(
      "generate", "write a spec that holds machines to a ratio of a golden run's measurements");
  generate->add_option("--from", opt->from, "the golden run's results.json, or its directory")
      ->required()
      ->transform(results_of_a_run());
  generate->add_option("--ratio", opt->ratio, "each bound is this fraction of the golden value")
      ->required();
  generate->add_option("--out", opt->out, "the spec file to write (must not exist)")->required();
  return {cmd, [opt](const std::vector<std::string>&) { return generate_command(*opt); }};
}

}  // namespace flopbench

#include "app/cli.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "app/cli_commands.hpp"
#include "app/cli_selection.hpp"
#include "app/out_placeholders.hpp"
#include "harness/core/build_info.hpp"
#include "harness/core/registry.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/launcher.hpp"
#include "harness/machine/load_sampler.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"
#include "harness/machine/vector_shape.hpp"
#include "harness/measure/burn.hpp"
#include "harness/measure/interrupts.hpp"
#include "harness/measure/runner.hpp"
#include "reports/console.hpp"
#include "reports/fleet_report.hpp"
#include "reports/format.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"

namespace flopbench {
namespace fs = std::filesystem;

std::string utc_now(bool compact) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  if (compact) {
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  } else {
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  return buf;
}

std::string path_component(std::string_view name) {
  std::string out;
  for (const char c : name) {
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
  }
  return out.empty() || out == "." || out == ".." ? "host" : out;
}

std::map<std::string, std::string> implementation_libraries() {
  std::map<std::string, std::string> libs;
  for (const auto& impl : registry().all()) {
    if (!impl.spec.library.empty() && !impl.spec.library_version.empty()) {
      libs[impl.spec.library] = impl.spec.library_version;
    }
  }
  return libs;
}

namespace {

InputError output_dir_taken(const std::string& out) {
  return InputError(
      fmt::format("--out {}: exists and is not an empty directory; flopbench never "
                  "overwrites an earlier run, so choose a new directory",
                  out));
}

}  // namespace

fs::path prepare_output_dir(const std::string& out, const std::string& host) {
  const auto create = [](const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      throw_output_path_failure(
          fmt::format("cannot create the output directory {}: {}", dir.string(), ec.message()),
          ec.value());
    }
  };
  if (!out.empty()) {
    const fs::path dir = out;
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
      throw InputError(fmt::format("--out {}: is a file; name a new or empty directory", out));
    }
    if (fs::is_symlink(fs::symlink_status(dir, ec)) && !fs::exists(dir, ec)) {
      throw InputError(fmt::format(
          "--out {}: is a symbolic link to {}, which does not exist; name a new or empty "
          "directory",
          out, fs::read_symlink(dir, ec).string()));
    }
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) throw output_dir_taken(out);
    create(dir);
    return dir;
  }
  const fs::path base =
      fs::path("results") / fmt::format("{}-{}", path_component(host), utc_now(true));
  create(base.parent_path());
  for (int i = 1;; ++i) {
    const fs::path dir = i == 1 ? base : fs::path(fmt::format("{}-{}", base.string(), i));
    std::error_code ec;
    // create_directory fails on a name that exists: of two runs, each gets its own.
    if (fs::create_directory(dir, ec)) return dir;
    if (ec) {
      throw_output_path_failure(fmt::format("cannot create {}: {}", dir.string(), ec.message()),
                                ec.value());
    }
  }
}

bool output_dir_exists(const std::string& out) {
  std::error_code ec;
  return !out.empty() && fs::exists(out, ec);
}

fs::path claim_results_dir(const std::string& out, const ResultsDocument& doc) {
  const std::string& host = doc.environment.host;
  const fs::path dir =
      prepare_output_dir(expand_out_placeholders(out, host, doc.run.launch, utc_now(true)), host);
  if (!create_new_file(dir / "results.json", JsonPrinter().print(doc))) throw output_dir_taken(out);
  return dir;
}

namespace {

// OMP_NUM_THREADS (a comma-separated list, one count per nesting level) is checked before the
// OpenMP runtime starts threads from it: a huge value aborts inside libgomp. A value the runtime
// cannot read (empty, a word; OMP_THREAD_LIMIT too) it warns of and ignores, and the run would
// use another count than the one asked for: refused, as the runtime's warning says.
void check_omp_thread_variables() {
  for (const auto& [name, list] :
       {std::pair{"OMP_NUM_THREADS", true}, std::pair{"OMP_THREAD_LIMIT", false}}) {
    const char* value = std::getenv(name);
    if (!value) continue;
    const std::string_view text(value);
    bool valid = true;
    for (const std::string_view item :
         list ? split_commas(text) : std::vector<std::string_view>{text}) {
      // The runtime skips white space around each count (" 2", "2, 3").
      const auto n = whole_text_as<std::int64_t>(trim_space(item));
      valid = valid && n && *n >= 1 && (*n <= kMaxThreads || !list);
    }
    if (!valid) {
      throw InputError(
          list ? fmt::format("{}={}: expected thread counts from 1 to {}", name, value, kMaxThreads)
               : fmt::format("{}={}: expected a thread count of 1 or more", name, value));
    }
  }
}

}  // namespace

std::string settle_thread_team(int asked, std::string_view overridden_by) {
  check_omp_thread_variables();
  const bool chosen = asked > 0 || std::getenv("OMP_NUM_THREADS") != nullptr;
  if (asked > 0) omp_set_num_threads(asked);
  omp_set_dynamic(0);
  const int limit = omp_get_thread_limit();
  if (omp_get_max_threads() > limit) {
    if (asked > 0) {
      throw InputError(
          fmt::format("--threads {}: OMP_THREAD_LIMIT allows {}", asked, counted(limit, "thread")));
    }
    omp_set_num_threads(limit);
  }
  const auto quota = cpu_quota();
  const int threads = omp_get_max_threads();
  // More threads than CPUs take turns on them: each parallel region waits for its slowest.
  std::string crowded;
  if (const std::size_t cpus = usable_cpus().size();
      chosen && cpus > 0 && static_cast<std::size_t>(threads) > cpus) {
    crowded = fmt::format(
        "warning: the {} this run uses are more than the {} this process may use: they take "
        "turns, and CPU figures fall short of what the CPUs do",
        counted(threads, "thread"), counted(cpus, "CPU"));
  }
  // OMP_PROC_BIND=master (primary) binds every thread of a team to the primary thread's place.
  if (const int place = omp_get_place_num();
      crowded.empty() && omp_get_proc_bind() == omp_proc_bind_primary && place >= 0 &&
      omp_get_place_num_procs(place) < threads) {
    crowded = fmt::format(
        "warning: OMP_PROC_BIND=master binds the {} this run uses to the primary thread's place "
        "of {}: they take turns, and CPU figures fall short of what the CPUs do",
        counted(threads, "thread"), counted(omp_get_place_num_procs(place), "CPU"));
  }
  if (!quota || quota->cpus >= threads) return crowded;
  if (!crowded.empty()) crowded += "\n";
  const std::string where =
      fmt::format("a cgroup CPU quota of {} ({})", quota->cpus_text(), quota->file);
  if (chosen) {
    return crowded + fmt::format(
                         "warning: {} is below the {} this run uses: they will be throttled, and "
                         "CPU figures show what the quota allows",
                         where, counted(threads, "thread"));
  }
  const int within = threads_within_quota(threads, quota);
  omp_set_num_threads(within);
  if (within > quota->cpus) {
    return fmt::format(
        "warning: {} is less than one CPU: the run's one thread will be throttled, and CPU "
        "figures show what the quota allows",
        where);
  }
  return fmt::format("{} holds the default to {}; {} overrides it", where,
                     counted(within, "thread"), overridden_by);
}

namespace {

// The console of a run: its failure (`run | head`, a full disk behind `>`) must not stop the
// run. SIGPIPE interrupts it, and cli_main reports a failed stdout at exit.
template <class... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
  write_console(stdout, format, std::forward<Args>(args)...);
}

std::string describe_result(const MeasurementRecord& r) {
  if (r.disposition != Disposition::passed) {
    return fmt::format("{}: {}", to_string(r.disposition), r.reason);
  }
  const std::string rate = throughput(headline(r));
  std::string peak = r.percent_of_peak ? fmt::format(", {:.0f}% of peak", *r.percent_of_peak) : "";
  // What makes a passed figure less than it seems is said where it is shown.
  std::string caveats;
  for (const std::string& caveat :
       {contention_note(r), fewer_threads_note(r), throttle_note(r),
        r.note_starting(MeasurementRecord::kAbovePeak),  // measure() noted it
        r.note_starting(MeasurementRecord::kNarrowVectors)}) {
    if (!caveat.empty()) caveats += "; " + caveat;
  }
  return fmt::format("{}{} (median of {}, cv {}, {}) passed{}", rate, peak, r.stats->samples,
                     cv_text(*r.stats, 1), r.stopping_rule, caveats);
}

void print_written_files(const fs::path& dir, bool with_results_json) {
  std::vector<std::string> names;
  for (const auto& printer : output_printers(with_results_json))
    names.push_back(printer->file_name());
  say("\nwrote {}/{{{}}}\n", dir.string(), fmt::join(names, ", "));
}

}  // namespace

RunInfo start_run_info(const std::vector<std::string>& command_line, std::string profile,
                       std::uint64_t seed, const Launch& launch,
                       const std::optional<std::vector<int>>& gpus) {
  RunInfo run{command_line, std::move(profile), seed, omp_get_max_threads(), utc_now(), "", false};
  run.launch = launch;
  run.gpus = gpus.value_or(std::vector<int>{});
  return run;
}

int finish_results_dir(ResultsDocument& doc, const fs::path& dir, bool failed) {
  doc.run.finished_utc = utc_now();
  doc.run.interrupted = interrupt_requested();
  write_output_files(doc, dir, true);
  // The verdict over every device, as report.md leads with it: the lines above each said one
  // device's, OK for one that was cut short by an interrupt.
  say("\n{}", ConsoleSummaryPrinter().print(doc));
  print_written_files(dir, true);
  if (doc.run.interrupted) return 128 + interrupt_signal();
  return failed ? kExitFailures : kExitOk;
}

namespace {

struct RunOptions {
  std::string workloads, implementations, precision = "all", sizes;
  bool sweep = false;  // --profile sweep
  int repeat = 1;      // independent runs of the whole selection
  MeasureOptions measure;
};

// Measures the selection `opt.repeat` times, each run a results directory of its own:
// `--out` itself for one, `run-1` ... `run-N` inside it for several (the replicates that
// `flopbench compare A1 A2 ... --against B1 B2 ...` takes). Returns the worst exit status.
int run_replicates(const RunOptions& opt, const Selection& sel,
                   const std::vector<std::string>& command_line) {
  const auto run_once = [&](const MeasureOptions& measure) {
    const MeasuredRun run = measure_selection(sel, measure, command_line, {});
    write_run_outputs(run);
    const int status = run_exit_status(run.doc);
    if (run.doc.run.interrupted) {
      print_error("flopbench: interrupted; the measurements finished before it were written\n");
    } else if (status == kExitFailures) {
      print_error("flopbench: a measurement was incorrect or failed; see {}/report.md\n",
                  run.dir.string());
    }
    return status;
  };
  if (opt.repeat == 1) return run_once(opt.measure);
  const std::string host = host_name();
  const std::string out =
      expand_out_placeholders(opt.measure.out, host, this_launch(), utc_now(true));
  const bool out_existed = output_dir_exists(out);
  const fs::path parent = prepare_output_dir(out, host);
  int status = kExitOk;
  int written = 0;
  for (int i = 1; i <= opt.repeat; ++i) {
    say("\nrun {} of {}\n", i, opt.repeat);
    MeasureOptions one = opt.measure;
    one.out = (parent / fmt::format("run-{}", i)).string();
    one.replicate = Replicate{i, opt.repeat};
    // Bad input (a --gpus this machine lacks) is found as the first run starts: it leaves no
    // empty directory behind, as a run without --repeat does not.
    status =
        std::max(status, undone_on_bad_input(parent, out_existed, [&] { return run_once(one); }));
    written = i;
    if (interrupt_requested()) break;
  }
  const std::string runs =
      interrupt_requested()
          ? fmt::format("{} of {} runs (the last interrupted)", written, opt.repeat)
          : fmt::format("{} runs", written);
  say("\n{} in {}/run-*; compare them with another set as 'flopbench compare "
      "{}/run-*/results.json --against OTHER/run-*/results.json'\n",
      runs, parent.string(), parent.string());
  return status;
}

int run_command(const RunOptions& opt, const std::vector<std::string>& command_line) {
  Selection sel;
  if (!opt.workloads.empty()) sel.workloads = parse_workloads(opt.workloads);
  if (!opt.implementations.empty()) {
    sel.implementations = split_names(opt.implementations, "--implementations");
  }
  sel.precisions = parse_precisions(opt.precision);
  if (!opt.sizes.empty()) sel.sizes = parse_sizes(opt.sizes);

  return run_replicates(opt, sel, command_line);
}

// --wait-quiet: waits, with a line on stderr each second, until the machine is quiet or
// `limit_s` seconds have passed, then measures either way. A signal ends the wait at once: the
// run then records every measurement as skipped, in its results directory.
void wait_quiet(int limit_s) {
  const auto read_unless_interrupted = []() -> std::optional<MachineLoad> {
    if (interrupt_requested()) return std::nullopt;
    return load_over_one_second();
  };
  const bool quiet =
      wait_for_quiet(limit_s, read_unless_interrupted, [&](const MachineLoad& load, int waited_s) {
        print_error("waiting for a quiet machine ({} of at most {} s): {}\n", waited_s, limit_s,
                    contention_figures(load));
      });
  if (!quiet && !interrupt_requested()) {
    print_error(
        "flopbench: the machine was not quiet after {} s; measuring anyway (measurements "
        "it disturbs are marked contended)\n",
        limit_s);
  }
}

// A sweep times GPU work end to end, and its smallest sizes cannot take less than a launch: the
// launch latency of an empty kernel is measured once on every GPU that such work uses, and
// recorded with the GPU's inventory.
void measure_launch_latencies(const std::vector<MeasurementRequest>& plan, GpuInventory& gpu) {
  std::set<int> timed_end_to_end;
  for (const auto& req : plan) {
    if (req.end_to_end) timed_end_to_end.insert(req.device.gpus.begin(), req.device.gpus.end());
  }
  for (GpuDevice& d : gpu.devices) {
    if (!timed_end_to_end.contains(d.index)) continue;
    try {
      d.launch_latency = launch_latency(d.index);
      if (d.launch_latency) {
        say("GPU {}: empty-kernel launch {:.1f} µs with the wait, {:.1f} µs back to back\n",
            d.index, d.launch_latency->synchronous_us, d.launch_latency->back_to_back_us);
      }
    } catch (const std::exception& e) {
      say("GPU {}: launch latency not measured: {}\n", d.index, e.what());
    }
  }
}

// What a signal that ends the process at once (a second one, or the first when the measurement
// under way does not stop in time) leaves in results.json: the run as it stands, marked
// interrupted, not a record that reads as killed by something else.
void arm_quit_record(const fs::path& dir, ResultsDocument& doc) {
  const bool interrupted = doc.run.interrupted;
  doc.run.interrupted = true;
  set_quit_record((dir / "results.json").string(), JsonPrinter().print(doc));
  doc.run.interrupted = interrupted;
}

// Measures each request in turn into the run, with a progress line each, keeping results.json
// current.
void measure_requests(MeasuredRun& run, const std::vector<MeasurementRequest>& plan,
                      const RunSettings& settings) {
  // Without a GPU, GPU work is recorded as unsupported without a progress line: the start of
  // the run already said why.
  const auto without_device = [](const MeasurementRequest& req) { return req.device.no_gpu(); };
  const auto shown = plan.size() - static_cast<std::size_t>(
                                       std::count_if(plan.begin(), plan.end(), without_device));
  const auto end_to_end_of = [](const MeasurementRequest& req) -> std::string_view {
    if (!req.end_to_end) return "";
    return *req.end_to_end == HostMemory::pinned ? " end to end, pinned" : " end to end, pageable";
  };
  // Columns as wide as their widest entry, so that every line's result starts in one column.
  std::size_t workload_width = 6, implementation_width = 8, device_width = 5, precision_width = 4,
              problem_width = 14, end_to_end_width = 0;
  for (const auto& req : plan) {
    if (without_device(req)) continue;
    workload_width =
        std::max(workload_width, display_name(req.implementation->workload, req.precision).size());
    implementation_width = std::max(implementation_width, req.implementation->name().size());
    device_width = std::max(device_width, req.device.label().size());
    precision_width = std::max(precision_width, to_string(req.precision).size());
    problem_width = std::max(problem_width, req.problem.label().size());
    end_to_end_width = std::max(end_to_end_width, end_to_end_of(req).size());
  }
  int counter = 0;
  for (const auto& req : plan) {
    run.requests.push_back(req);
    if (without_device(req)) {
      run.doc.measurements.push_back(measure(req, settings, run.doc.environment));
      continue;
    }
    say("[{:>{}}/{}] {:<{}} {:<{}} {:<{}} {:<{}} {:>{}}{:<{}} ... ", ++counter,
        std::to_string(shown).size(), shown,
        display_name(req.implementation->workload, req.precision), workload_width,
        req.implementation->name(), implementation_width, req.device.label(), device_width,
        to_string(req.precision), precision_width, req.problem.label(), problem_width,
        end_to_end_of(req), end_to_end_width);
    std::fflush(stdout);
    run.doc.measurements.push_back(measure(req, settings, run.doc.environment));
    const auto& r = run.doc.measurements.back();
    say("{} [{:.1f} s]\n", describe_result(r), r.wall_s);
    std::fflush(stdout);
    // Keep results.json current, so that even a crash loses at most the measurement under way;
    // the record a signal leaves first, so that it is never older than the file.
    arm_quit_record(run.dir, run.doc);
    write_file_atomically(run.dir / "results.json", JsonPrinter().print(run.doc));
  }
}

}  // namespace

MeasuredRun measure_selection(Selection sel, const MeasureOptions& opt,
                              const std::vector<std::string>& command_line,
                              const RequestFilter& keep) {
  // From the start: a signal while the machine is probed still ends in a results directory
  // marked interrupted.
  install_interrupt_handler();
  sel.profile = parse_profile(opt.profile);
  const Launch launch = this_launch();
  sel.gpus = parse_gpus(opt.gpus, launch);
  const std::string quota_note = settle_thread_team(opt.threads, "--threads or OMP_NUM_THREADS");

  ResultsDocument doc;
  doc.environment = collect_environment(implementation_libraries());
  const auto plan = plan_measurements(sel, doc.environment, keep);
  doc.run = start_run_info(command_line, opt.profile, opt.seed, launch, sel.gpus);
  doc.run.replicate = opt.replicate;
  const RunSettings settings = settings_for(sel.profile, opt.seed);
  doc.run.sampling = settings.recorded();
  // Claimed before any wait: an --out that cannot be used is refused at once, not after it.
  const fs::path dir = claim_results_dir(opt.out, doc);
  arm_quit_record(dir, doc);
  if (opt.wait_quiet_s > 0) {
    wait_quiet(opt.wait_quiet_s);
    doc.run.started_utc = utc_now();  // the run starts once the wait is over
    arm_quit_record(dir, doc);
  }

  const auto& cpu = doc.environment.cpu;
  // GPU work without a GPU is recorded, not run (measure_requests): counted apart, as the
  // progress lines count only what runs.
  const auto without_gpu = static_cast<std::size_t>(std::ranges::count_if(
      plan, [](const MeasurementRequest& req) { return req.device.no_gpu(); }));
  say("flopbench {} ({}): {}{}, profile {}, {}, seed {}\n", build::version, build::git_commit,
      counted(plan.size() - without_gpu, "measurement"),
      without_gpu > 0 ? fmt::format(" (and {} of GPU work, not run without a GPU)", without_gpu)
                      : "",
      opt.profile, counted(doc.run.threads, "thread"), opt.seed);
  if (!launch.launcher.empty()) say("task: {}\n", launch_text(launch));
  const std::string usable = usable_of_online(cpu);
  say("CPU: {} ({}, {}){}\n", cpu.model, counted(cpu.cores, "core"), cpu.microarchitecture,
      usable.empty() ? "" : "; " + usable);
  if (!quota_note.empty()) say("{}\n", quota_note);
  if (doc.environment.gpu.devices.empty()) {
    say("no CUDA device: {}\n", doc.environment.gpu.no_device_reason);
  }
  for (const auto& g : doc.environment.gpu.devices) say("GPU {}: {}\n", g.index, g.name);
  if (const auto& health = doc.environment.health) {
    for (const auto& g : health->gpus) {
      if (!g.cuda_visible) {
        say("{} (health facts only: CUDA does not see it{}): {}\n", health_gpu_label(*health, g),
            g.lost ? "; the driver lists it as lost" : "", health_gpu_text(g));
      }
    }
  }
  if (!doc.environment.gpu.devices.empty()) {
    std::string why_not;
    if (const TelemetrySource* source = gpu_telemetry(&why_not)) {
      doc.run.telemetry_source = source->name();
    } else {
      doc.run.telemetry_source = "none: " + why_not;
      say("GPU telemetry unavailable: {}\n", why_not);
    }
  }
  // A library that cannot be loaded makes its implementations unsupported; say so once, here.
  std::set<std::string> unavailable;
  for (const auto& req : plan) {
    if (std::string why = req.implementation->unsupported_reason(req.precision); !why.empty())
      unavailable.insert(std::move(why));
  }
  for (const auto& why : unavailable) say("unsupported: {}\n", why);
  measure_launch_latencies(plan, doc.environment.gpu);
  say("results: {}\n", dir.string());
  std::fflush(stdout);

  MeasuredRun run{std::move(doc), dir, {}};
  measure_requests(run, plan, settings);
  apply_measured_ceilings(run.doc.measurements);
  run.doc.run.finished_utc = utc_now();
  run.doc.run.interrupted = interrupt_requested();
  return run;
}

void remeasure(MeasuredRun& run, const std::vector<std::size_t>& indices,
               const MeasureOptions& opt) {
  std::vector<MeasurementRequest> again;
  for (const std::size_t i : indices) again.push_back(run.requests.at(i));
  measure_requests(run, again, settings_for(parse_profile(opt.profile), opt.seed));
  apply_measured_ceilings(run.doc.measurements);
  run.doc.run.finished_utc = utc_now();
  run.doc.run.interrupted = interrupt_requested();
}

namespace {
// Set when written results did not read back: the command finishes its work (a verdict, the
// other files), then exits kExitInternalError.
bool results_defect_seen = false;
}  // namespace

void write_output_files(const ResultsDocument& doc, const fs::path& dir,
                        bool include_results_json) {
  // The run's own record from here: a signal that ends the process while it is written leaves
  // it too, not the one armed while measuring.
  if (include_results_json)
    set_quit_record((dir / "results.json").string(), JsonPrinter().print(doc));
  const std::string problem = write_outputs(doc, dir, include_results_json);
  if (include_results_json) set_quit_record("", "");
  if (!problem.empty()) {
    print_error("flopbench: error: {}\n", problem);
    results_defect_seen = true;
  }
}

void write_run_outputs(const MeasuredRun& run) {
  write_output_files(run.doc, run.dir, true);
  say("\n{}", ConsoleSummaryPrinter().print(run.doc));
  print_written_files(run.dir, true);
}

namespace {

// Every implementation with every precision it has; one that cannot run here says why, for
// each precision where the reasons differ.
int list_command() {
  simd::refuse_a_vector_cap_it_cannot_obey();  // as info and run do
  const auto precisions_of = [](const Implementation& impl) {
    std::vector<std::string_view> precisions;
    for (const auto p : impl.spec.precisions) precisions.push_back(to_string(p));
    return fmt::format("{}", fmt::join(precisions, ","));
  };
  std::size_t width = 0;  // of the precision column, so that the descriptions line up
  for (const auto& impl : registry().all()) width = std::max(width, precisions_of(impl).size());
  for (const auto& impl : registry().all()) {
    std::map<std::string, std::vector<std::string_view>> unsupported;  // reason -> precisions
    for (const auto p : impl.spec.precisions) {
      if (std::string why = impl.unavailable_reason(p); !why.empty())
        unsupported[std::move(why)].push_back(to_string(p));
    }
    std::string notes;
    for (const auto& [why, at] : unsupported) {
      notes += at.size() == impl.spec.precisions.size()
                   ? fmt::format(" [unsupported: {}]", why)
                   : fmt::format(" [{} unsupported: {}]", fmt::join(at, ","), why);
    }
    fmt::print("{:<8} {:<12} {:<4} {:<{}} {}{}\n", impl.workload, impl.name(),
               to_string(impl.spec.device), precisions_of(impl), width, impl.spec.description,
               notes);
  }
  // Said once for them all: every gpu implementation needs a GPU that CUDA sees.
  if (std::ranges::any_of(registry().all(), [](const Implementation& impl) {
        return impl.spec.device == DeviceKind::gpu;
      })) {
    if (const GpuInventory gpus = gpu_inventory(); gpus.devices.empty()) {
      fmt::print("\nno CUDA device: {}; the gpu implementations cannot run here\n",
                 gpus.no_device_reason);
    }
  }
  return kExitOk;
}

int info_command() {
  ResultsDocument doc;
  doc.environment = collect_environment(implementation_libraries());
  fmt::print("{}", InfoPrinter().print(doc));
  return kExitOk;
}

int report_command(const std::string& results_file, const std::string& out) {
  const ResultsDocument doc = read_results_file(results_file);
  const fs::path source_dir =
      fs::path(results_file).has_parent_path() ? fs::path(results_file).parent_path() : ".";
  const auto resolved = [](const fs::path& p) {
    std::error_code ec;
    fs::path r = fs::weakly_canonical(p, ec);
    if (ec) throw IoError(fmt::format("cannot resolve {}: {}", p.string(), ec.message()));
    return r;
  };
  const bool elsewhere = !out.empty() && resolved(out) != resolved(source_dir);
  // The outputs beside a directory's results.json are that run's: a copy of another name
  // there (as `check` also treats it) must not replace them, nor two copies each other's.
  if (!elsewhere && !is_directorys_results_file(results_file)) {
    throw InputError(fmt::format(
        "{} is not its directory's results.json, and the outputs there are that run's (or "
        "another copy's); give --out DIR to write this one's",
        results_file));
  }
  fs::path dir = source_dir;
  if (elsewhere) {
    // Elsewhere the outputs, results.json among them, go to a new or empty directory only, as a
    // run's do, claimed by creating its results.json: another run's are never overwritten.
    dir = prepare_output_dir(out, doc.environment.host);
    if (!create_new_file(dir / "results.json", JsonPrinter().print(doc))) {
      throw output_dir_taken(out);
    }
  }
  write_output_files(doc, dir, false);
  fmt::print("{}", ConsoleSummaryPrinter().print(doc));
  print_written_files(dir, elsewhere);
  return kExitOk;
}

// The reports flopbench writes beside a record it reads or is about to write: the folder of the
// path given, and of the file its links lead to, where it holds a run's results.json (the run's
// reports, which `check` writes again) or a fleet's fleet.json (the fleet's), whatever the file
// given is called; beside a results.json given that is not there yet, the reports a run will
// write.
std::vector<fs::path> written_beside(const fs::path& input) {
  std::error_code ec;
  std::vector<fs::path> beside;
  for (const fs::path& path : {input, fs::weakly_canonical(input, ec)}) {
    if (path.empty()) continue;  // a path that could not be resolved
    const fs::path dir = fs::is_directory(path, ec) ? path : path.parent_path();
    if (fs::exists(dir / "fleet.json", ec)) {
      for (const auto& p : fleet_printers()) beside.push_back(dir / p->file_name());
    }
    if (path.filename() == "results.json" || fs::exists(dir / "results.json", ec)) {
      for (const auto& p : output_printers(false)) beside.push_back(dir / p->file_name());
    }
  }
  return beside;
}

}  // namespace

bool is_directorys_results_file(const fs::path& file) {
  const fs::path dir = file.has_parent_path() ? file.parent_path() : ".";
  std::error_code ec;
  return file.filename() == "results.json" || fs::equivalent(dir / "results.json", file, ec);
}

void refuse_output_over_records(const fs::path& output, std::string_view option,
                                const std::vector<fs::path>& inputs) {
  if (output.filename() == "results.json" || output.filename() == "fleet.json") {
    throw InputError(
        fmt::format("{} {}: that is the name of flopbench's record of a run or fleet, "
                    "which this would replace; choose another file name",
                    option, output.string()));
  }
  std::error_code ec;
  if (fs::is_directory(output, ec)) {
    throw InputError(fmt::format("{} {}: is a directory; name a file", option, output.string()));
  }
  // Writing through it would create a file where the link points; refused rather than guessed.
  if (fs::is_symlink(fs::symlink_status(output, ec)) && !fs::exists(output, ec)) {
    throw InputError(
        fmt::format("{} {}: is a symbolic link to {}, which does not exist; name a file", option,
                    output.string(), fs::read_symlink(output, ec).string()));
  }
  const bool exists = fs::exists(output, ec);
  const fs::path canonical_output = fs::weakly_canonical(output, ec);
  for (const fs::path& input : inputs) {
    if (exists && fs::equivalent(output, input, ec)) {
      throw InputError(fmt::format("{} {}: is {}, which this command reads; choose another file",
                                   option, output.string(), input.string()));
    }
    for (const fs::path& report : written_beside(input)) {
      std::error_code report_ec;
      if (fs::weakly_canonical(report, report_ec) == canonical_output && !report_ec) {
        throw InputError(fmt::format(
            "{} {}: is the {} that flopbench writes beside {}, which this would replace; "
            "choose another file",
            option, output.string(), report.filename().string(), input.string()));
      }
    }
  }
}

namespace {

// "at least 0" or "0 to 100" (a validator's description), and the phrase an error ends with:
// "of at least 0", "from 0 to 100".
std::pair<std::string, std::string> range_texts(double lo, double hi) {
  std::string range =
      std::isinf(hi) ? fmt::format("at least {}", lo) : fmt::format("{} to {}", lo, hi);
  std::string expected = (std::isinf(hi) ? "of " : "from ") + range;
  return {std::move(range), std::move(expected)};
}

}  // namespace

CLI::Validator number_in(double lo, double hi) {
  const auto [range, expected] = range_texts(lo, hi);
  return {[lo, hi, expected](const std::string& text) -> std::string {
            const auto v = whole_text_as<double>(text);
            if (v && std::isfinite(*v) && *v >= lo && *v <= hi) return "";
            return fmt::format("{} is not a number {}", text, expected);
          },
          range};
}

CLI::Validator percent_in(double lo, double hi) {
  const CLI::Validator number = number_in(lo, hi);
  const auto [range, expected] = range_texts(lo, hi);
  return {[number, expected](std::string& text) -> std::string {
            std::string value = text;
            if (value.ends_with('%')) value.pop_back();
            if (!number(value).empty()) {
              return fmt::format("{} is not a percentage {}", text, expected);
            }
            text = value;
            return "";
          },
          range};
}

CLI::Validator whole_number_in(std::int64_t lo, std::int64_t hi) {
  const std::string range = fmt::format("{} to {}", lo, hi);
  return {[lo, hi, range](const std::string& text) -> std::string {
            const auto v = whole_text_as<std::int64_t>(text);
            if (v && *v >= lo && *v <= hi) return "";
            return fmt::format("{} is not a whole number from {}", text, range);
          },
          range};
}

CLI::Validator results_of_a_run() {
  return {[](std::string& path) -> std::string {
            path = results_file_in(path).string();
            return "";
          },
          ""};
}

CLI::Validator seed_number() {
  return {[](const std::string& text) -> std::string {
            if (whole_text_as<std::uint64_t>(text)) return "";
            return fmt::format("{} is not a whole number from 0 to 2^64 - 1", text);
          },
          "0 to 2^64 - 1"};
}

void add_measure_options(CLI::App* cmd, MeasureOptions& opt) {
  cmd->add_option("--profile", opt.profile,
                  "quick, standard, full or sweep (gemm, sum and dot over a geometric grid of "
                  "sizes)")
      ->capture_default_str();
  cmd->add_option("--threads", opt.threads,
                  "CPU threads (default: OMP_NUM_THREADS, else every CPU this process may use, "
                  "within its cgroup's CPU quota)")
      ->check(whole_number_in(1, kMaxThreads));
  cmd->add_option("--gpus", opt.gpus,
                  fmt::format("{}; gemm and peak also run on all of them at once when there are "
                              "two or more",
                              kGpusHelp))
      ->capture_default_str();
  cmd->add_option("--seed", opt.seed, "seed of the generated inputs (0 to 2^64 - 1)")
      ->capture_default_str()
      ->check(seed_number());
  cmd->add_option("--out", opt.out, std::string(kOutHelp));
  cmd->add_flag("--wait-quiet{60}", opt.wait_quiet_s,
                "first wait, up to SECONDS (60 when not given; 1 to 86400), until other "
                "processes and steal take less than a quarter of a CPU, then measure")
      ->check(whole_number_in(1, 86400))
      ->option_text("[=SECONDS]");
}

Command add_run_command(CLI::App& app) {
  auto opt = std::make_shared<RunOptions>();
  auto* cmd =
      app.add_subcommand("run", "measure the selected workloads and write a results directory");
  cmd->add_option("--workloads", opt->workloads,
                  fmt::format("comma-separated: {}; default all", workload_names_help()));
  cmd->add_option("--implementations", opt->implementations,
                  "comma-separated implementation names (see 'flopbench list'); default all");
  cmd->add_option("--precision", opt->precision,
                  fmt::format("comma-separated: {}, or all; a precision named here is reported "
                              "for every selected implementation of a workload that has it "
                              "(unsupported where one lacks it)",
                              precision_names_help()))
      ->capture_default_str();
  cmd->add_option("--sizes", opt->sizes,
                  "comma-separated sizes: N (gemm N x N x N, or N vector elements) or MxNxK; "
                  "K/M/G suffixes; default: the profile's");
  cmd->add_option("--repeat", opt->repeat,
                  "independent runs of the whole selection; with N >= 2, each in a directory "
                  "run-1 ... run-N inside --out (replicates for 'flopbench compare ... "
                  "--against ...')")
      ->check(whole_number_in(1, 1000))
      ->capture_default_str();
  add_measure_options(cmd, opt->measure);
  cmd->add_flag("--sweep", opt->sweep,
                "the same as --profile sweep (not with --profile): gemm, sum and dot over a "
                "geometric grid of sizes on every device, and where the GPU starts to beat the "
                "CPU")
      ->excludes(cmd->get_option("--profile"));
  return {cmd, [opt](const std::vector<std::string>& command_line) {
            if (opt->sweep) opt->measure.profile = std::string(to_string(Profile::sweep));
            return run_command(*opt, command_line);
          }};
}

Command add_list_command(CLI::App& app) {
  return {app.add_subcommand("list", "list every registered implementation"),
          [](const std::vector<std::string>&) { return list_command(); }};
}

Command add_info_command(CLI::App& app) {
  return {app.add_subcommand("info", "print the machine inventory and theoretical peaks"),
          [](const std::vector<std::string>&) { return info_command(); }};
}

Command add_report_command(CLI::App& app) {
  struct Options {
    std::string results_file, out;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("report", "regenerate the outputs of a run from its results.json");
  cmd->add_option("results", opt->results_file, std::string(kResultsHelp))
      ->required()
      ->transform(results_of_a_run());
  cmd->add_option("--out", opt->out,
                  "directory for the outputs, with a copy of results.json: a new or empty one, "
                  "or results.json's own (default: beside results.json)");
  return {cmd, [opt](const std::vector<std::string>&) {
            return report_command(opt->results_file, opt->out);
          }};
}

int run_exit_status(const ResultsDocument& doc) {
  if (doc.run.interrupted) {
    return interrupt_signal() != 0 ? 128 + interrupt_signal() : kExitInterrupted;
  }
  const bool bad = std::any_of(doc.measurements.begin(), doc.measurements.end(),
                               [](const auto& m) { return unverified(m); });
  return bad ? kExitFailures : kExitOk;
}

int run_guarded(const std::function<int()>& command) {
  const auto error = [](int status, std::string_view message) {
    print_error("flopbench: error: {}\n", strip_terminal_controls(message));
    return status;
  };
  try {
    return command();
  } catch (const InputError& e) {
    return error(kExitBadInput, e.what());
  } catch (const IoError& e) {
    return error(kExitIoError, e.what());
  } catch (const std::bad_alloc&) {
    return error(kExitIoError, "out of memory");
  } catch (const std::system_error& e) {  // also std::filesystem::filesystem_error, fmt's
    // A console write that failed because its reader went away (`check | head`): the signal
    // ends the command, as it ends a run, quietly.
    if (interrupt_signal() == SIGPIPE && e.code() == std::errc::broken_pipe) return 128 + SIGPIPE;
    return error(kExitIoError, e.what());
  } catch (const std::exception& e) {
    return error(
        kExitInternalError,
        fmt::format("internal error: {} (please report it, with the command line)", e.what()));
  }
}

namespace {

// CLI11's help, less what it renders badly: a flag's default value is no part of its name
// ("--wait-quiet{60}"), an optional value ("[=SECONDS]") follows its name without a space, and
// options that exclude or need each other say so in their descriptions, not as "Excludes: ..."
// or "Needs: ..." run into the type.
class HelpFormatter final : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    std::string name = CLI::Formatter::make_option_name(opt, is_positional);
    for (auto open = name.find('{'); open != std::string::npos; open = name.find('{', open)) {
      name.erase(open, name.find('}', open) - open + 1);
    }
    return name;
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (opt->get_option_text().starts_with("[=")) return opt->get_option_text();
    std::string opts = CLI::Formatter::make_option_opts(opt);
    for (const std::string_view relation : {" Excludes:", " Needs:"}) {
      if (const auto at = opts.find(relation); at != std::string::npos) opts.erase(at);
    }
    return opts;
  }
};

// The first option or argument of the chosen (sub)command that was given an empty value
// (`--workloads ""`): an empty value would otherwise mean the option's default ("all"), silently.
// A flag with an optional value written empty (`--wait-quiet=`, or `={}`) is one too: CLI11 reads
// it as the bare flag, its default (60 s). A flag's arguments are found in `args` (the command
// line), and only for flags CLI11 parsed, so an option's value that ends in '=' is a value.
const CLI::Option* given_empty(const CLI::App& app, std::span<char* const> args) {
  const auto empty_flag = [&](const std::string& name) {
    for (const std::string_view arg : args) {
      if (arg == "--") return false;
      if (arg == "--" + name + "=" || arg == "--" + name + "={}") return true;
    }
    return false;
  };
  for (const CLI::Option* o : app.get_options()) {
    if (o->count() == 0) continue;
    const auto& given = o->results();
    const bool empty = o->get_expected_min() == 0
                           ? std::any_of(o->get_lnames().begin(), o->get_lnames().end(), empty_flag)
                           : std::any_of(given.begin(), given.end(),
                                         [](const std::string& v) { return v.empty(); });
    if (empty) return o;
  }
  for (const CLI::App* sub : app.get_subcommands()) {
    if (const CLI::Option* o = given_empty(*sub, args)) return o;
  }
  return nullptr;
}

// An option and the value it took that is one of its command's own options: CLI11 gives an
// option that still needs a value the next argument, whatever it is, so `merge A B --rerun
// --expect-hosts 2` would read "--expect-hosts" and "2" as reruns and drop the expectation.
std::optional<std::pair<const CLI::Option*, std::string>> option_taken_as_value(
    const CLI::App& app) {
  // Its own options and those of the commands above it (--version).
  const auto is_option_of = [&](std::string_view value) {
    if (!value.starts_with('-') || value == "-") return false;
    const std::string_view name = value.substr(0, value.find('='));
    for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
      if (std::ranges::any_of(a->get_options(), [&](const CLI::Option* o) {
            return std::ranges::any_of(o->get_lnames(),
                                       [&](const std::string& l) { return name == "--" + l; }) ||
                   std::ranges::any_of(o->get_snames(),
                                       [&](const std::string& s) { return name == "-" + s; });
          }))
        return true;
    }
    return false;
  };
  for (const CLI::Option* o : app.get_options()) {
    if (o->count() == 0 || o->get_expected_min() == 0) continue;
    for (const std::string& value : o->results()) {
      if (is_option_of(value)) return std::pair(o, value);
    }
  }
  for (const CLI::App* sub : app.get_subcommands()) {
    if (auto taken = option_taken_as_value(*sub)) return taken;
  }
  return std::nullopt;
}

// Whether what was printed to standard output reached it: a failure (`info > /dev/full`) must
// not pass for success.
bool stdout_written() { return std::fflush(stdout) == 0 && !std::ferror(stdout); }

}  // namespace

int cli_main(int argc, char** argv) {
  // GPUs numbered in PCI bus order, as nvidia-smi, NVML and Slurm number them, rather than
  // CUDA's default fastest first: on a machine of mixed GPUs, "gpu3 FAULTY" names the card an
  // operator would pull, and --gpus, CUDA_VISIBLE_DEVICES and a launcher's local rank count the
  // way they do. Before any CUDA call; a value the user set stands (an empty one is unset).
  if (const char* order = std::getenv("CUDA_DEVICE_ORDER"); !order || !*order) {
    setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID", 1);
  }
  CLI::App app{"flopbench: GPU-vs-CPU FLOPS and bandwidth benchmarks", "flopbench"};
  app.formatter(std::make_shared<HelpFormatter>());  // the commands added below inherit it
  app.set_version_flag("--version",
                       fmt::format("flopbench {} ({})", build::version, build::git_commit));
  app.require_subcommand(1);
  const std::vector<Command> commands = {
      add_run_command(app),    add_list_command(app),    add_info_command(app),
      add_report_command(app), add_sheet_command(app),   add_compare_command(app),
      add_check_command(app),  add_spec_command(app),    add_merge_command(app),
      add_burn_command(app),   add_memtest_command(app),
  };

  // CLI11 would take an unknown command for a stray argument; name it instead.
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(commands.begin(), commands.end(),
                   [&](const Command& c) { return c.app->get_name() == argv[1]; })) {
    std::vector<std::string> names;
    for (const auto& c : commands) names.push_back(c.app->get_name());
    print_error(
        "flopbench: error: unknown command '{}' (expected one of: {}; see 'flopbench "
        "--help')\n",
        argv[1], fmt::join(names, ", "));
    return kExitBadInput;
  }
  // The command's own help lists its options ('flopbench spec generate --help'); the top-level
  // help lists only the commands.
  const auto bad_command_line = [&](std::string_view what) {
    std::string command;
    for (const CLI::App* a = &app; !a->get_subcommands().empty();) {
      a = a->get_subcommands().front();
      command += a->get_name() + " ";
    }
    print_error("flopbench: error: {} (see 'flopbench {}--help')\n", what, command);
    return kExitBadInput;
  };
  // What else a command line with an option taken as a value leads to ("--out is required",
  // "quick was not expected") is its consequence: name the cause.
  const auto option_taken = [&](const std::pair<const CLI::Option*, std::string>& taken) {
    const auto& [option, value] = taken;
    return bad_command_line(
        option->get_lnames().empty()
            ? fmt::format("{} was given where {} were expected", value, option->get_name())
            : fmt::format("{}: expected a value, found the option {}", option->get_name(), value));
  };
  const auto printed = [](int status) {
    if (stdout_written()) return status;
    print_error("flopbench: error: cannot write to standard output\n");
    return kExitIoError;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return printed(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return printed(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return printed(app.exit(e));
  } catch (const CLI::ParseError& e) {
    if (const auto taken = option_taken_as_value(app)) return option_taken(*taken);
    // CLI11 words an option given twice as a count ("--profile: At Most 1 required but
    // received 2"); say which it is.
    const std::string what = e.what();
    constexpr std::string_view kTwice = ": At Most 1 required but received ";
    if (const std::size_t at = what.find(kTwice); at != std::string::npos) {
      return bad_command_line(fmt::format("{}: given {} times; give it once", what.substr(0, at),
                                          what.substr(at + kTwice.size())));
    }
    // `compare A1 A2 -- B1 B2`, as other tools take two sets of runs: CLI11 calls B's runs
    // unexpected (listing them backwards); say how compare takes them.
    const auto args = std::span(argv + 1, argv + argc);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) && std::string_view(argv[1]) == "compare" &&
        std::find(args.begin(), args.end(), std::string_view("--")) != args.end()) {
      return bad_command_line(
          "the runs after '--' were not expected: give A.json B.json, or A's runs then "
          "--against B's runs");
    }
    // A flag whose value is optional (`--wait-quiet[=SECONDS]`) takes it after '=' only: CLI11
    // calls a value after a space unexpected; say how to give it.
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
      for (const auto& c : commands) {
        if (argc < 2 || c.app->get_name() != argv[1]) continue;  // the command given
        for (const CLI::Option* opt : c.app->get_options()) {
          if (!opt->get_option_text().starts_with("[=") || opt->get_lnames().empty()) continue;
          const std::string name = "--" + opt->get_lnames().front();
          for (std::size_t i = 0; i + 1 < args.size(); ++i) {
            if (args[i] == name && !std::string_view(args[i + 1]).starts_with('-')) {
              return bad_command_line(fmt::format("{} {}: give its value after '=', as {}={}", name,
                                                  args[i + 1], name, args[i + 1]));
            }
          }
        }
      }
    }
    return bad_command_line(what);
  }
  if (const CLI::Option* empty = given_empty(app, std::span(argv + 1, argv + argc))) {
    return bad_command_line(fmt::format("{}: an empty value", empty->get_name()));
  }
  if (const auto taken = option_taken_as_value(app)) return option_taken(*taken);

  const std::vector<std::string> command_line(argv, argv + argc);
  const int status = run_guarded([&] {
    for (const auto& c : commands) {
      if (c.app->parsed()) return c.action(command_line);
    }
    return kExitBadInput;  // unreachable: require_subcommand(1)
  });
  // Buffered console output is written here at the latest: a failure (`info > /dev/full`) must
  // not pass for success.
  // (An interrupted or failed status already says more.)
  int exit_status = status;
  if (results_defect_seen && (status == kExitOk || status == kExitFailures)) {
    exit_status = kExitInternalError;
  }
  if (!stdout_written() && status == kExitOk) {
    // A reader that went away after the work was done (`run | head`, the pipe closed during the
    // summary) ends it as it would have ended during the work: 128 + SIGPIPE, quietly.
    if (interrupt_signal() == SIGPIPE) {
      exit_status = 128 + SIGPIPE;
    } else {
      print_error("flopbench: error: cannot write to standard output\n");
      exit_status = kExitIoError;
    }
  }
  if (threads_left_running()) {
    // A burn or a memory test left a thread stuck in a hung GPU's driver (or running when an
    // error ended a burn), where the runtime's teardown at exit could wait for it: end here.
    std::fflush(nullptr);
    std::_Exit(exit_status);
  }
  return exit_status;
}

}  // namespace flopbench

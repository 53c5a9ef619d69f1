// report.md: the MarkdownPrinter.

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "harness/core/workloads.hpp"
#include "reports/acceptance_report.hpp"
#include "reports/burn_report.hpp"
#include "reports/crossover.hpp"
#include "reports/format.hpp"
#include "reports/output_files.hpp"

namespace flopbench {
namespace {

// An inline code span that survives backticks in its text.
std::string code(std::string_view s) {
  std::size_t longest = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  const bool space = !s.empty() && (s.front() == '`' || s.back() == '`');
  return fmt::format("{0}{1}{2}{1}{0}", fence, space ? " " : "", s);
}

// "- label: value" on one line: the value is read from results.json, where a line break in it
// (a host name, a CPU model, a launcher's job id) would start a heading or an item of its own.
std::string item(const std::string& label, const std::string& value) {
  return fmt::format("- {}: {}\n", one_line(label), one_line(value));
}

std::string header_section(const ResultsDocument& doc) {
  const auto& env = doc.environment;
  const auto& run = doc.run;
  std::string out = fmt::format("# {}\n\n", one_line(fmt::format("flopbench {} report (commit {})",
                                                                 or_unknown(env.flopbench_version),
                                                                 or_unknown(env.git_commit))));
  if (const std::string note = incomplete_run_note(run); !note.empty()) {
    out += fmt::format("> **Incomplete:** {}\n\n", one_line(note));
  }
  out += item("Date", fmt::format("{} to {} (UTC)", or_unknown(run.started_utc),
                                  or_unknown(run.finished_utc)));
  out += item("Host", host_text(env));
  if (!run.launch.launcher.empty()) out += item("Task", launch_text(run.launch));
  out += item("Command", code(shell_command(run.command_line)));
  if (run.replicate) out += item("Replicate", replicate_text(run));
  out += item("Profile", fmt::format("{}, seed {}, threads {}", or_unknown(run.profile), run.seed,
                                     run.threads));
  out += item("Build", fmt::format("{}, {}, flags {}", or_unknown(env.compiler),
                                   or_unknown(env.build_type), code(env.compiler_flags)));
  out += item("Libraries", list_or(library_items(env), "none recorded"));
  out += item("OpenMP", list_or(openmp_items(env), "none recorded"));
  return out;
}

std::string inventory_section(const Environment& env) {
  std::string out = "\n## Inventory\n\n### CPU\n\n";
  for (const auto& [label, value] : cpu_facts(env.cpu)) out += item(label, value);

  const auto& gpu = env.gpu;
  out += "\n### GPUs\n\n";
  if (const auto versions = cuda_versions(gpu); !versions.empty())
    out += one_line(versions) + ".\n\n";
  if (gpu.devices.empty()) out += fmt::format("No CUDA device: {}\n", one_line(no_gpu_reason(gpu)));
  for (const auto& [label, value] : gpu_facts(gpu)) out += item(label, value);
  return out;
}

// The health facts: the host's as a list, each GPU's in the tables of the groups of facts, a
// column per GPU.
std::string health_section(const MachineHealth& h) {
  std::string out = fmt::format("\n## Health\n\n{}\n\n### Host facts\n\n", kHealthIntro);
  for (const auto& [label, value] : health_host_facts(h)) out += item(label, value);
  if (h.gpus.empty()) return out;
  out += "\n### GPU facts\n\n";
  for (const auto& g : h.gpus) {
    out += item(health_gpu_label(h, g), health_gpu_text(g));
  }
  for (const Table& t : gpu_health_tables(h)) {
    out += '\n';
    out += t.markdown();
  }
  return out;
}

std::string group_section(const Group& g, const Environment& env) {
  std::string out = fmt::format("\n### {}\n\n{}", group_title(g), group_table(g).markdown());
  std::vector<std::string> notes = group_notes(g, env);
  for (std::string& note : notes) note = one_line(std::move(note));  // results text among them
  if (!notes.empty()) out += fmt::format("\nNotes:\n\n- {}\n", fmt::join(notes, "\n- "));
  return out;
}

std::string gpu_vs_cpu_section(const ResultsDocument& doc, const std::vector<Group>& groups) {
  const Table t = gpu_vs_cpu_table(doc.environment, groups);
  if (t.rows.empty()) return "";
  return fmt::format("\n## GPU vs CPU\n\n{}\n\n{}", kGpuVsCpuIntro, t.markdown());
}

std::string matrix_section(const std::vector<Group>& groups) {
  const auto figures = matrix_figures(groups);
  if (figures.empty()) return "";
  return fmt::format("\n## Matrix (tensor) throughput\n\n{}\n\n{}", kMatrixIntro,
                     matrix_table(figures).markdown());
}

std::string crossover_section(const ResultsDocument& doc) {
  const auto found = crossovers(doc);
  if (found.empty()) return "";
  std::string out =
      "\n## Crossover: where the GPU beats the CPU\n\nFor each workload and precision swept, the "
      "smallest size from which the GPU is faster than the fastest CPU implementation at every "
      "larger size measured, interpolated on log-log axes between grid points; speedup = CPU "
      "median / GPU median. `crossover.csv` has the same figures.\n";
  for (const std::string& latency : launch_latency_sentences(doc.environment.gpu))
    out += "\n" + latency + "\n";
  for (const Crossover& c : found) {
    // The basis may quote a reason read from the results (no_gpu_reason): on its line.
    out += fmt::format("\n### {}\n\nCrossover: {}.\n\n{}", crossover_title(c),
                       one_line(crossover_sentence(c)), crossover_table(c).markdown());
  }
  return out;
}

std::string openblas_table(const Environment& env, const std::vector<Group>& groups) {
  Table t;
  t.columns = {{"Workload"},         {"Problem"},        {"Implementation"}, {"Device"},
               {"Throughput", true}, {"OpenBLAS", true}, {"Ratio", true}};
  for (const auto& g : groups) {
    for (const auto* r : g.records) {
      const auto* reference = fastest(g.records, r->problem,
                                      [](const auto& x) { return x.implementation == "openblas"; });
      const auto mine = headline(*r);
      const auto theirs = reference ? headline(*reference) : std::nullopt;
      if (r == reference || !median_s(*r) || !mine || !theirs || mine->unit != theirs->unit) {
        continue;
      }
      // Both on one problem: whether it is partly a cache goes with the problem, as in GPU vs CPU.
      const bool partly_cache = within_cache(env, *r) || within_cache(env, *reference);
      t.rows.push_back({group_title(g),
                        r->problem.label() + (partly_cache ? " (partly cache)" : ""),
                        implementation_label(*r), r->device.label(),
                        with_flags(throughput(mine), figure_flags(*r)),
                        with_flags(throughput(theirs), figure_flags(*reference)),
                        ratio(mine->value / theirs->value)});
    }
  }
  if (t.rows.empty()) return "";
  return "\n### Relative to OpenBLAS\n\nEach implementation's throughput divided by OpenBLAS's on "
         "the same problem and precision. A figure flagged (fewer threads, contended, above "
         "peak, partly cache) makes its ratio no like-for-like comparison.\n\n" +
         t.markdown();
}

std::string stream_table(const Environment& env, const std::vector<Group>& groups) {
  Table t;
  t.columns = {{"Workload"},          {"Problem"},
               {"Implementation"},    {"Device"},
               {"GB/s", true},        {"STREAM triad GB/s", true},
               {"STREAM size", true}, {"Ratio", true}};
  for (const auto& g : groups) {
    const auto reference_workload = info(g.workload).bandwidth_reference;
    if (!reference_workload) continue;
    for (const auto* r : g.records) {
      if (!median_s(*r) || !r->gbytes_per_s) continue;
      const auto* reference =
          bandwidth_reference(groups, *reference_workload, r->device, r->precision);
      if (!reference) continue;
      t.rows.push_back(
          {group_title(g), r->problem.label(), implementation_label(*r), r->device.label(),
           with_flags(short_number(*r->gbytes_per_s), caveats(env, *r)),
           with_flags(short_number(*reference->gbytes_per_s), caveats(env, *reference)),
           reference->problem.label(), ratio(*r->gbytes_per_s / *reference->gbytes_per_s)});
    }
  }
  if (t.rows.empty()) return "";
  return "\n### Relative to STREAM triad\n\nEach implementation's GB/s divided by the STREAM triad "
         "GB/s of the same device and precision (its largest passed size). A figure partly of a "
         "cache (its vectors within 4 times the largest cache) is no memory bandwidth, and a "
         "ratio to or from one compares what the caches held, not the code.\n\n" +
         t.markdown();
}

std::string not_passed_section(const ResultsDocument& doc) {
  std::string out = "\n## Not passed\n\n";
  std::string items;
  for (const auto& r : doc.measurements) {
    if (passed(r) || r.device.no_gpu()) continue;
    items += item(where(r), result_text(r));
  }
  for (const std::string& line : not_run_without_gpu(doc)) items += "- " + line + "\n";
  return out + (items.empty() ? "Every measurement passed.\n" : items);
}
}  // namespace

std::string MarkdownPrinter::do_print(const ResultsDocument& doc) const {
  const auto groups = groups_of(doc);
  std::string out = header_section(doc) + inventory_section(doc.environment);
  if (doc.environment.health) out += health_section(*doc.environment.health);
  out += AcceptanceMarkdownPrinter().print(doc);
  if (doc.burn) out += burn_markdown_section(*doc.burn, doc.run);
  if (doc.memtest) out += memtest_markdown_section(*doc.memtest, doc.run);
  // A burn's or memory test's results have no measurements to speak of.
  if (!doc.measurements.empty() || (!doc.burn && !doc.memtest)) {
    out +=
        "\n## Results\n\nMedian time per run; throughput from the median. Only passed "
        "measurements report numbers.\n";
    if (const std::string sampling = sampling_text(doc); !sampling.empty())
      out += "\n" + sampling + "\n";
    if (groups.empty()) out += "\nNo measurements.\n";
    for (const std::string& line : not_run_without_gpu(doc)) out += "\n" + line + ".\n";
    for (const auto& g : without_gpu_less_work(groups)) out += group_section(g, doc.environment);
    out += gpu_vs_cpu_section(doc, groups);
    out += matrix_section(groups);
    out += crossover_section(doc);
    const std::string ratios =
        openblas_table(doc.environment, groups) + stream_table(doc.environment, groups);
    if (!ratios.empty()) out += "\n## Reference ratios\n" + ratios;
    out += not_passed_section(doc);
  }
  out = without_raw_html(out);
  out +=
      "\n## Regenerating\n\nEvery other file in this directory is generated from results.json: "
      "`flopbench report <dir>/results.json` writes them again.\n";
  return out;
}

}  // namespace flopbench

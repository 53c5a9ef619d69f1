// The flopbench command end to end: runs into a temporary directory, the files it writes,
// regeneration with `report`, every kind of bad input, and Ctrl-C.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_selection.hpp"
#include "cpu_baselines/openblas_common.hpp"
#include "harness/core/registry.hpp"
#include "harness/core/sizes.hpp"
#include "harness/core/statistics.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/memtest.hpp"
#include "harness/machine/peak_model.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/vector_shape.hpp"
#include "harness/measure/plan.hpp"
#include "reports/acceptance/spec.hpp"
#include "reports/burn_report.hpp"
#include "reports/compare.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "tests/process.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using testing::Outcome;
using testing::read_text;
using testing::run_flopbench;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / fmt::format("flopbench-test-{}-{}", info->name(), getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Outcome flopbench(const std::vector<std::string>& args) {
    return run_flopbench(args, dir_ / "capture");
  }
  fs::path dir_;
};

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_F(Cli, VersionListAndInfo) {
  const Outcome version = flopbench({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_NE(version.out.find("flopbench 0."), std::string::npos);

  const Outcome list = flopbench({"list"});
  EXPECT_EQ(list.status, 0) << list.err;
  // Where CUDA sees no GPU, a last line says why the gpu implementations cannot run here.
  const GpuInventory gpus = gpu_inventory();
  const bool no_gpu_said =
      gpus.devices.empty() && std::ranges::any_of(registry().all(), [](const Implementation& i) {
        return i.spec.device == DeviceKind::gpu;
      });
  EXPECT_EQ(count_lines(list.out), registry().all().size() + (no_gpu_said ? 2 : 0));
  EXPECT_EQ(list.out.find(fmt::format("\n\nno CUDA device: {}; the gpu implementations cannot "
                                      "run here\n",
                                      gpus.no_device_reason)) != std::string::npos,
            no_gpu_said)
      << list.out;
  EXPECT_NE(list.out.find("gemm     omp          cpu  fp32,fp64"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("stream   omp"), std::string::npos);
  // Every precision an implementation has, and per precision why one cannot run here.
  const std::size_t onednn = list.out.find("gemm     onednn       cpu  bf16,fp16,int8 ");
  ASSERT_NE(onednn, std::string::npos) << list.out;
  const std::string onednn_line = list.out.substr(onednn, list.out.find('\n', onednn) - onednn);
  if (!FLOPBENCH_HAVE_DNNL) {
    EXPECT_NE(onednn_line.find("[unsupported: built without oneDNN"), std::string::npos)
        << onednn_line;
  }
  for (const Precision p : registry().find(WorkloadId::gemm, "onednn")->spec.precisions) {
    const std::string why = registry().find(WorkloadId::gemm, "onednn")->unavailable_reason(p);
    EXPECT_NE(onednn_line.find(why), std::string::npos) << why << "\n" << onednn_line;
  }

  const Outcome info = flopbench({"info"});
  EXPECT_EQ(info.status, 0) << info.err;
  // The CUDA build loads cuBLAS at run time and names its version, or why it did not load.
  EXPECT_EQ(info.out.find(" cuBLAS ") != std::string::npos, FLOPBENCH_HAVE_CUDA) << info.out;
  EXPECT_NE(info.out.find("CPU"), std::string::npos);
  if (info.out.find("no CUDA device: ") == std::string::npos) {
    EXPECT_NE(info.out.find("\ngpu0: "), std::string::npos) << "neither GPUs nor 'no CUDA device'";
  }

  // Held to one CPU (a taskset, a job's cpuset), the process says it may use fewer than are
  // online: its cores are not the machine's.
  const std::vector<int> cpus = usable_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "one CPU here";
  const ScopedAffinity one({cpus.front()});
  const Outcome held = flopbench({"info"});
  EXPECT_EQ(held.status, 0) << held.err;
  EXPECT_NE(held.out.find("1 logical (this process may use 1 of the "), std::string::npos)
      << held.out;
}

// Where standard output and the errors go to one file (a batch job's log), an error comes after
// what was printed before it: the log does not end on a line saying that the work goes on.
TEST_F(Cli, AnErrorIsTheLastLineOfALogOfBothStreams) {
  const fs::path full = dir_ / "full";
  fs::create_directories(full);
  std::ofstream(full / "earlier") << "an earlier run";
  const fs::path log = dir_ / "log";
  const std::string command = fmt::format("'{}' burn --duration 2s --out '{}' > '{}' 2>&1",
                                          FLOPBENCH_EXECUTABLE, full.string(), log.string());
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kExitBadInput);
  const std::string text = read_text(log);
  const std::size_t error = text.rfind("flopbench: error: --out ");
  ASSERT_NE(error, std::string::npos) << text;
  EXPECT_EQ(text.find('\n', error), text.size() - 1) << text;
}

// With OMP_PROC_BIND set, the OpenMP runtime binds the initial thread to its first place before
// the machine is read: the cores, and the peaks, are still every usable CPU's.
TEST_F(Cli, OpenMpBindingDoesNotShrinkTheMachine) {
  const auto cores_line = [&] {
    const Outcome o = flopbench({"info"});
    EXPECT_EQ(o.status, 0) << o.err;
    const auto at = o.out.find("Cores:");
    return at == std::string::npos ? o.out : o.out.substr(at, o.out.find('\n', at) - at);
  };
  const std::string unbound = cores_line();
  const testing::ScopedEnv places("OMP_PLACES", "threads");
  {
    const testing::ScopedEnv bind("OMP_PROC_BIND", "close");
    EXPECT_EQ(cores_line(), unbound);
  }
  // Bound to the primary thread's place, a team's threads take turns on its one CPU: the run
  // says so.
  if (usable_cpus().size() < 2) return;
  const testing::ScopedEnv bind("OMP_PROC_BIND", "master");
  const Outcome run =
      flopbench({"run", "--workloads", "dot", "--implementations", "omp", "--precision", "fp32",
                 "--sizes", "1000", "--profile", "quick", "--out", (dir_ / "master").string()});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(fmt::format("warning: OMP_PROC_BIND=master binds the {} threads this run "
                                     "uses to the primary thread's place of 1 CPU: they take turns",
                                     usable_cpus().size())),
            std::string::npos)
      << run.out;
}

TEST_F(Cli, QuickRunWritesEveryOutputAndReportRegeneratesThem) {
  const fs::path out = dir_ / "run";
  const Outcome o = flopbench(
      {"run", "--profile", "quick", "--sizes", "65", "--out", out.string(), "--seed", "7"});
  ASSERT_EQ(o.status, 0) << o.out << o.err;

  const ResultsDocument doc = read_results_file(out / "results.json");
  // Every registered implementation at every precision it supports, once (size 65 for all).
  std::size_t expected = 0;
  for (const auto& impl : registry().all()) expected += impl.spec.precisions.size();
  ASSERT_EQ(doc.measurements.size(), expected);
  for (const auto& m : doc.measurements) {
    SCOPED_TRACE(fmt::format("{}/{}", m.workload, m.implementation));
    if (m.disposition == Disposition::unsupported) {
      EXPECT_FALSE(m.reason.empty());
      continue;
    }
    EXPECT_EQ(m.disposition, Disposition::passed) << m.reason;
    ASSERT_TRUE(m.stats.has_value());
    EXPECT_GT(m.stats->median, 0);
    EXPECT_TRUE(m.gflops.has_value());
    EXPECT_TRUE(m.verification && m.verification->passed);
  }
  EXPECT_EQ(doc.run.seed, 7u);
  EXPECT_EQ(doc.run.profile, "quick");
  EXPECT_FALSE(doc.run.finished_utc.empty());
  EXPECT_FALSE(doc.environment.cpu.model.empty());

  // The raw JSON carries the fields the issue names, with null where meaningless.
  const auto raw = nlohmann::json::parse(read_text(out / "results.json"));
  EXPECT_EQ(raw.at("schema_version"), kSchemaVersion);
  for (const auto& m : raw.at("measurements")) {
    for (const char* key :
         {"workload", "implementation", "device", "precision", "problem", "disposition",
          "statistics", "gflops", "gbytes_per_s", "percent_of_peak"}) {
      EXPECT_TRUE(m.contains(key)) << key;
    }
  }
  EXPECT_EQ(count_lines(read_text(out / "results.csv")), expected + 1);  // header + rows
  const std::string md = read_text(out / "report.md");
  EXPECT_NE(md.find("SGEMM"), std::string::npos);
  EXPECT_NE(md.find("DGEMM"), std::string::npos);
  const auto gbench = nlohmann::json::parse(read_text(out / "google-benchmark.json"));
  EXPECT_TRUE(gbench.contains("context"));
  EXPECT_FALSE(gbench.at("benchmarks").empty());

  // Console: a progress line per measurement and the summary table. Without a GPU, GPU work
  // gets no progress lines, only the one line that says why.
  const auto without_device =
      static_cast<std::size_t>(std::count_if(doc.measurements.begin(), doc.measurements.end(),
                                             [](const auto& m) { return m.device.no_gpu(); }));
  const std::size_t shown = expected - without_device;
  EXPECT_NE(o.out.find(fmt::format("[{}/{}]", shown, shown)), std::string::npos) << o.out;
  // Every progress line's result starts in the same column, "INT8 GEMM (TOPS)"'s too.
  std::set<std::size_t> result_columns;
  std::istringstream lines(o.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("[") && line.find(" ... ") != std::string::npos)
      result_columns.insert(line.find(" ... "));
  }
  EXPECT_EQ(result_columns.size(), 1u) << o.out;
  // The header counts what runs, as the progress lines do, and the GPU work apart.
  EXPECT_NE(o.out.find(fmt::format(
                "): {} measurement{}{}, profile quick", shown, shown == 1 ? "" : "s",
                without_device > 0
                    ? fmt::format(" (and {} of GPU work, not run without a GPU)", without_device)
                    : "")),
            std::string::npos)
      << o.out;
  if (without_device > 0) {
    EXPECT_NE(
        o.out.find(fmt::format("{} GPU measurements not run: no CUDA device: ", without_device)),
        std::string::npos)
        << o.out;
    EXPECT_EQ(o.out.find("gpu     "), std::string::npos) << "a row for GPU work without a GPU";
  }

  // `report` regenerates byte-identical files, into another directory and in place.
  const fs::path again = dir_ / "again";
  const Outcome r = flopbench({"report", (out / "results.json").string(), "--out", again.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"results.json", "results.csv", "report.md", "google-benchmark.json"}) {
    EXPECT_EQ(read_text(out / f), read_text(again / f)) << f;
  }
  const std::string md_before = read_text(out / "report.md");
  ASSERT_EQ(flopbench({"report", (out / "results.json").string()}).status, 0);
  EXPECT_EQ(read_text(out / "report.md"), md_before);
  // In place with --out naming the run's own directory too, however it is spelled; but another
  // run's directory is never written over.
  fs::create_directory_symlink(out, dir_ / "link-to-run");
  for (const fs::path& own : {out, out / ".", dir_ / "link-to-run", out / ".." / out.filename()}) {
    SCOPED_TRACE(own.string());
    const Outcome same =
        flopbench({"report", (out / "results.json").string(), "--out", own.string()});
    ASSERT_EQ(same.status, 0) << same.err;
    EXPECT_EQ(read_text(out / "report.md"), md_before);
  }
  const std::string again_results = read_text(again / "results.json");
  const fs::path golden = fs::path(FLOPBENCH_TEST_DATA_DIR) / "golden" / "reports" / "results.json";
  expect_one_line_error(flopbench({"report", golden.string(), "--out", again.string()}),
                        "exists and is not an empty directory", kExitBadInput);
  EXPECT_EQ(read_text(again / "results.json"), again_results);
  expect_one_line_error(
      flopbench({"report", golden.string(), "--out", (again / "results.json").string()}),
      "/results.json: is a file; name a new or empty directory", kExitBadInput);
  // A link to nothing is bad input, named as such (not "cannot create ...: File exists", 3).
  fs::create_symlink(dir_ / "nowhere", dir_ / "dangling");
  expect_one_line_error(
      flopbench({"report", golden.string(), "--out", (dir_ / "dangling").string()}),
      "dangling: is a symbolic link to " + (dir_ / "nowhere").string() +
          ", which does not exist; name a new or empty directory",
      kExitBadInput);
}

// Bad input found as the first of a run --repeat's runs starts (a GPU this machine lacks) leaves
// no empty directory behind, as it does not without --repeat; an empty directory given stays.
TEST_F(Cli, RepeatedRunsRefusedAtTheStartLeaveNoDirectory) {
  const fs::path out = dir_ / "repeats";
  const std::vector<std::string> args = {
      "run", "--profile", "quick",     "--workloads", "sum", "--implementations",
      "omp", "--sizes",   "64K",       "--repeat",    "2",   "--gpus",
      "99",  "--out",     out.string()};
  EXPECT_EQ(flopbench(args).status, kExitBadInput);
  EXPECT_FALSE(fs::exists(out));
  fs::create_directories(out);
  EXPECT_EQ(flopbench(args).status, kExitBadInput);
  EXPECT_TRUE(fs::is_directory(out));
}

TEST_F(Cli, QuickProfileWithDefaultSizesRunsEverything) {
  const fs::path out = dir_ / "quick";
  const Outcome o = flopbench({"run", "--profile", "quick", "--out", out.string()});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  // Every registered implementation is in the run, at every precision it has (unsupported where
  // its device or library is missing), and every CPU one passed unless its implementation says
  // why it cannot run here (oneDNN without BF16, FP16 or VNNI instructions).
  std::set<std::string> in_run;
  for (const auto& m : doc.measurements) {
    in_run.insert(fmt::format("{} {}", m.workload, m.implementation));
    EXPECT_TRUE(m.disposition == Disposition::passed || m.disposition == Disposition::unsupported)
        << m.workload << "/" << m.implementation << ": " << m.reason;
    if (m.device.on_gpu()) continue;
    const Implementation* impl = registry().find(m.workload, m.implementation);
    ASSERT_NE(impl, nullptr) << m.implementation;
    const std::string why_not = impl->unavailable_reason(m.precision);
    if (why_not.empty()) {
      EXPECT_EQ(m.disposition, Disposition::passed) << m.workload << "/" << m.implementation;
    } else {
      EXPECT_NE(m.reason.find(why_not), std::string::npos) << m.reason;
    }
  }
  for (const Implementation& impl : registry().all())
    EXPECT_TRUE(in_run.contains(fmt::format("{} {}", impl.workload, impl.name())))
        << impl.workload << " " << impl.name() << " is not in the quick run";
}

// Whether a record is judged against a theoretical peak, which a narrow-vectors note needs.
bool theoretical_peak(const MeasurementRecord& m) {
  return m.peak.gflops && !m.peak.is_measured_ceiling();
}

// OpenBLAS's figures say which kernels it ran and whether the environment chose them: an
// OPENBLAS_CORETYPE set in the image can hold it to half the CPU's vector width.
TEST_F(Cli, OpenBlasSaysWhichKernelsItRanAndWhoChoseThem) {
  if (!FLOPBENCH_HAVE_OPENBLAS) GTEST_SKIP() << "built without OpenBLAS";
  const auto kernels_note = [&](const std::string& coretype, const std::string& name) {
    const testing::ScopedEnv env("OPENBLAS_CORETYPE", coretype);
    const fs::path out = dir_ / name;
    const Outcome o = flopbench({"run", "--workloads", "sgemm,dot", "--implementations", "openblas",
                                 "--precision", "fp32", "--sizes", "256", "--profile", "quick",
                                 "--out", out.string()});
    EXPECT_EQ(o.status, 0) << o.out << o.err;
    std::vector<std::string> notes;
    const ResultsDocument doc = read_results_file(out / "results.json");
    for (const auto& m : doc.measurements) {
      for (const auto& note : m.notes) {
        if (note.starts_with("OpenBLAS kernels: ")) notes.push_back(note);
      }
    }
    EXPECT_EQ(notes.size(), 2u);  // GEMM and dot
    return std::pair(notes.empty() ? std::string() : notes.front(), doc);
  };
  const auto [forced, doc] = kernels_note("Haswell", "forced");
  EXPECT_EQ(forced, "OpenBLAS kernels: Haswell, with OPENBLAS_CORETYPE=Haswell set");
  // Haswell's kernels are AVX2: on a CPU whose peak counts two 512-bit FMA units a core (Zen 5,
  // Intel's AVX-512 server cores) the GEMM can reach half of it, and says so with the cause; on
  // one whose 256-bit FMAs fill its peak (Zen 4, AVX-512 hidden) it has nothing to say.
  const auto reach = vector_reach(doc.environment.cpu, 256);
  for (const auto& m : doc.measurements) {
    EXPECT_EQ(m.vector_bits, 256) << m.workload;
    const std::string narrow = m.note_starting(MeasurementRecord::kNarrowVectors);
    if (m.workload == WorkloadId::gemm && reach && reach->share < 1 && theoretical_peak(m)) {
      EXPECT_TRUE(
          narrow.starts_with("narrow vectors: 256-bit (OpenBLAS's Haswell kernels, with "
                             "OPENBLAS_CORETYPE=Haswell set: unset it to let OpenBLAS choose)"))
          << narrow;
    } else {
      EXPECT_EQ(narrow, "") << m.workload;  // dot has no peak: bandwidth-bound
    }
  }
  const std::string own = kernels_note("", "own").first;
  EXPECT_TRUE(own.ends_with(", its own choice for this CPU")) << own;
}

// OPENBLAS_CORETYPE naming kernels of instructions this CPU lacks (an image made for AVX-512
// Xeons, run on an AMD instance) killed the run with SIGILL inside OpenBLAS (exit 132, no
// reason): OpenBLAS is unsupported with why, in `list` and in the run, whose other work goes on.
TEST_F(Cli, OpenBlasKernelsThisCpuCannotRunAreUnsupportedNotACrash) {
  if (!FLOPBENCH_HAVE_OPENBLAS) GTEST_SKIP() << "built without OpenBLAS";
  std::string core;
  // Cores OpenBLAS 0.3.21 can be made to run (it says "Core not found" for Cooperlake, and
  // chooses for itself).
  for (const char* candidate : {"SkylakeX", "Haswell"}) {
    if (!openblas_core_lacks(candidate, x86_cpu_has).empty()) {
      core = candidate;
      break;
    }
  }
  if (core.empty()) GTEST_SKIP() << "this CPU runs every x86 kernel set of OpenBLAS";
  const testing::ScopedEnv env("OPENBLAS_CORETYPE", core);
  const std::string why = fmt::format(
      "unsupported: OpenBLAS would run its {} kernels (with "
      "OPENBLAS_CORETYPE={} set), which need ",
      core, core);
  const Outcome list = flopbench({"list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("OpenBLAS cblas_sgemm / cblas_dgemm [" + why), std::string::npos)
      << list.out;
  const fs::path out = dir_ / "run";
  const Outcome o = flopbench({"run", "--workloads", "sgemm,dot", "--implementations",
                               "openblas,omp", "--precision", "fp32", "--sizes", "256", "--profile",
                               "quick", "--out", out.string()});
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 4u);
  for (const auto& m : doc.measurements) {
    if (m.implementation == "openblas") {
      EXPECT_EQ(m.disposition, Disposition::unsupported) << m.workload;
      EXPECT_TRUE(m.reason.find("unset OPENBLAS_CORETYPE, or name a core this CPU runs") !=
                  std::string::npos)
          << m.reason;
    } else {
      EXPECT_EQ(m.disposition, Disposition::passed) << m.workload << ": " << m.reason;
    }
  }
}

// OpenBLAS's own thread pool spins for a while after each call (2^OPENBLAS_THREAD_TIMEOUT TSC
// cycles, 2^28 by default: about 0.1 s). A measurement that followed it at once shared the CPUs
// with it: on a 2-CPU VM a quick stream after OpenBLAS's dot ran at 6 to 140 GB/s instead of 150,
// its threads waiting for a CPU 80-105 % of each sample's time. Each measurement now starts once
// the threads of the one before are at rest. Here the pool spins for 2^29 cycles (0.15-0.3 s),
// longer than the whole stream measurement: the stream waits for it, however busy the machine
// (the waits of its samples would say so only on a quiet one).
TEST_F(Cli, AMeasurementStartsOnceThePreviousLibrarysThreadsAreAtRest) {
  if (!FLOPBENCH_HAVE_OPENBLAS) GTEST_SKIP() << "built without OpenBLAS";
  const testing::ScopedEnv timeout("OPENBLAS_THREAD_TIMEOUT", "29");
  const fs::path out = dir_ / "after-openblas";
  const Outcome o = flopbench({"run", "--workloads", "dot,stream", "--implementations",
                               "openblas,omp", "--precision", "fp64", "--sizes", "65536",
                               "--profile", "quick", "--out", out.string()});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 3u);  // dot omp, dot openblas, stream omp
  const MeasurementRecord& openblas = doc.measurements[1];
  const MeasurementRecord& stream = doc.measurements[2];
  ASSERT_EQ(openblas.implementation, "openblas");
  ASSERT_EQ(stream.workload, WorkloadId::stream);
  // OpenBLAS's pool has a worker only where it runs more than one thread.
  if (openblas.threads < 2) GTEST_SKIP() << "OpenBLAS ran one thread: no pool to wait for";
  // Waited for it (not at all without the wait), however long the stream's own setup and check
  // took of the pool's spin on a busy machine.
  EXPECT_GE(stream.threads_rest_wait_s, 0.01);
  EXPECT_LT(stream.threads_rest_wait_s, 1.0);  // it rested before the limit
}

// A thread that never rests (libgomp's pool under OMP_WAIT_POLICY=active spins while idle) is
// waited for once, up to 1 s, and named in that measurement's notes; later ones start at once.
TEST_F(Cli, AThreadThatNeverRestsIsWaitedForOnceAndNoted) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one CPU: no OpenMP pool thread";
  const testing::ScopedEnv policy("OMP_WAIT_POLICY", "active");
  const fs::path out = dir_ / "active";
  const Outcome o =
      flopbench({"run", "--workloads", "dot", "--implementations", "eigen,omp", "--precision",
                 "fp32", "--sizes", "65536", "--profile", "quick", "--out", out.string()});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 2u);
  const auto noted = [](const MeasurementRecord& m) {
    return std::ranges::any_of(m.notes, [](const std::string& n) {
      return n.starts_with("started while 1 other thread of flopbench still ran after a 1.");
    });
  };
  EXPECT_TRUE(noted(doc.measurements[0]))
      << fmt::format("{}", fmt::join(doc.measurements[0].notes, "\n"));
  EXPECT_GE(doc.measurements[0].wall_s, 1.0);
  EXPECT_FALSE(noted(doc.measurements[1]));
}

// --repeat N writes N complete runs, one directory each, which compare reads pair by pair and as
// replicates. Whether two runs of one command stay within the floor is a fact about the machine
// (a shared CI host once drifted SGEMM +76 % between runs, uncontended by every reading):
// scripts/noise-floor.py measures it; CompareJudgesAgainstTheFloorBothWays checks the verdicts on
// times that cannot drift.
TEST_F(Cli, RepeatWritesEveryRunAndCompareReadsThemAsReplicates) {
  const fs::path out = dir_ / "replicates";
  const Outcome runs = flopbench({"run", "--workloads", "gemm,peak", "--implementations", "omp",
                                  "--profile", "quick", "--repeat", "4", "--out", out.string()});
  ASSERT_EQ(runs.status, 0) << runs.err;
  std::vector<std::string> results;
  for (int i = 1; i <= 4; ++i) {
    const fs::path file = out / fmt::format("run-{}", i) / "results.json";
    const ResultsDocument doc = read_results_file(file);
    ASSERT_EQ(doc.measurements.size(), 4u) << file;
    // Each run says which of the four it is, in results.json and in its reports.
    ASSERT_TRUE(doc.run.replicate.has_value()) << file;
    EXPECT_EQ(doc.run.replicate->index, i);
    EXPECT_EQ(doc.run.replicate->of, 4);
    EXPECT_NE(read_text(file.parent_path() / "report.md")
                  .find(fmt::format("- Replicate: run {} of 4 of one run --repeat 4", i)),
              std::string::npos);
    results.push_back(file.string());
  }
  EXPECT_FALSE(fs::exists(out / "run-5"));
  for (std::size_t i = 1; i < results.size(); ++i) {
    const Outcome o = flopbench({"compare", results[0], results[i]});
    EXPECT_EQ(o.status, 0) << o.out << o.err;
    // One run of four on each side: said, as the verdicts rest on one run's samples.
    EXPECT_NE(o.out.find("note: A gives 1 of the 4 runs its run --repeat 4 asked for: its "
                         "verdicts rest on those alone"),
              std::string::npos)
        << o.out;
    EXPECT_NE(o.out.find("4 matched:"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("0 only in A, 0 only in B"), std::string::npos) << o.out;
  }
  const Outcome o =
      flopbench({"compare", results[0], results[1], "--against", results[2], results[3]});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("4 matched:"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("0 only in A, 0 only in B"), std::string::npos) << o.out;
  // Runs 1 and 2, then 3 and 4: one side after the other, which compare must say it cannot see.
  EXPECT_NE(o.out.find("the runs of A and B were not taken in turns"), std::string::npos) << o.out;
}

// A real run's file with its times replaced: each measurement's 10 samples spread evenly over 5 %
// above its median times `factor`, so that the verdicts depend on the factor alone and not on how
// busy the machine was when it ran (nor on how many samples a stalled host left it); nothing
// contended.
nlohmann::json scaled_run(nlohmann::json doc, const std::function<double(std::size_t)>& factor) {
  auto& measurements = doc.at("measurements");
  for (std::size_t i = 0; i < measurements.size(); ++i) {
    auto& m = measurements[i];
    const double f = factor(i);
    auto& stats = m.at("statistics");
    const double median = stats.at("median_s").get<double>() * f;
    auto& samples = m.at("samples_s");
    constexpr int kSamples = 10;
    samples = nlohmann::json::array();
    // Evenly spread over 5 % around the median, so that their median and mean are it.
    for (int s = 0; s < kSamples; ++s)
      samples.push_back(median * (1 + 0.05 * (s - (kSamples - 1) / 2.0) / kSamples));
    m.at("host_wall_s") = samples;
    stats.at("samples") = kSamples;
    stats.at("min_s") = samples.front();
    stats.at("max_s") = samples.back();
    stats.at("median_s") = median;
    stats.at("mean_s") = median;
    for (const char* key : {"gflops", "gbytes_per_s", "percent_of_peak"}) {
      if (m.contains(key) && m.at(key).is_number()) m.at(key) = m.at(key).get<double>() / f;
    }
    m.at("load").at("contended") = false;
  }
  return doc;
}

// `run` prints its results directory: every command that reads a run takes that directory for the
// results.json in it. A directory without one is still named as what it is.
TEST_F(Cli, ARunsDirectoryStandsForItsResultsJson) {
  const fs::path run = dir_ / "run";
  ASSERT_EQ(flopbench({"run", "--workloads", "sgemm", "--implementations", "omp", "--sizes", "64",
                       "--threads", "1", "--out", run.string()})
                .status,
            0);
  const std::string results = read_text(run / "results.json");
  const Outcome report = flopbench({"report", run.string(), "--out", (dir_ / "again").string()});
  EXPECT_EQ(report.status, 0) << report.err;
  EXPECT_EQ(read_text(dir_ / "again" / "results.json"), results);
  const Outcome sheet = flopbench({"sheet", run.string()});
  EXPECT_EQ(sheet.status, 0) << sheet.err;
  EXPECT_TRUE(fs::exists(run / "sheet-en.html"));
  // Another run to compare with (a copy would be refused as the same run).
  ResultsDocument later = read_results_file(run / "results.json");
  later.run.started_utc = "2099-01-01T00:00:00Z";
  fs::create_directory(dir_ / "later");
  write_file_atomically(dir_ / "later" / "results.json", JsonPrinter().print(later));
  const Outcome compare = flopbench({"compare", run.string(), (dir_ / "later").string()});
  EXPECT_EQ(compare.status, 0) << compare.err;
  EXPECT_NE(compare.out.find("1 matched"), std::string::npos) << compare.out;
  const Outcome itself = flopbench({"compare", run.string(), run.string()});
  EXPECT_EQ(itself.status, 2) << itself.err;
  EXPECT_NE(itself.err.find("compare a run with another"), std::string::npos) << itself.err;
  const Outcome repeats =
      flopbench({"compare", run.string(), run.string(), "--against", run.string(), run.string()});
  EXPECT_EQ(repeats.status, 2) << repeats.err;  // one run is no replicates
  EXPECT_NE(repeats.err.find("replicates must be distinct runs"), std::string::npos) << repeats.err;
  write_file_atomically(
      dir_ / "spec.csv",
      std::string(kSpecHeader) + "\ncpu.sgemm.omp.gflops,>=,0.001 GFLOP/s,,fail,any,\n");
  const Outcome check =
      flopbench({"check", "--spec", (dir_ / "spec.csv").string(), "--results", run.string()});
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_TRUE(read_results_file(run / "results.json").acceptance.has_value());
  EXPECT_NE(read_text(run / "report.md").find("cpu.sgemm.omp.gflops"), std::string::npos);
  const Outcome generate = flopbench({"spec", "generate", "--from", run.string(), "--ratio", "0.5",
                                      "--out", (dir_ / "generated.csv").string()});
  EXPECT_EQ(generate.status, 0) << generate.err;
  EXPECT_NE(read_text(dir_ / "generated.csv").find("cpu.sgemm.omp"), std::string::npos);

  fs::create_directory(dir_ / "empty");
  expect_one_line_error(
      flopbench({"sheet", (dir_ / "empty").string()}),
      "empty: is a directory; it holds no results.json: give a run's results directory or file");
}

// One run each: within the floor between runs (the compute-bound and the memory-bound one), the
// same in either direction; beyond it, slower (a regression: exit 1) or faster.
TEST_F(Cli, CompareJudgesAgainstTheFloorBothWays) {
  const fs::path out = dir_ / "run";
  ASSERT_EQ(flopbench({"run", "--workloads", "gemm,stream,peak", "--implementations", "omp",
                       "--profile", "quick", "--out", out.string()})
                .status,
            0);
  const ResultsDocument doc = read_results_file(out / "results.json");
  std::vector<double> floors;
  for (const auto& m : doc.measurements) {
    ASSERT_EQ(m.disposition, Disposition::passed) << m.workload << ": " << m.reason;
    floors.push_back(CompareRule{}.noise_floor(m));
  }
  ASSERT_EQ(floors.size(), 6u);  // gemm, stream (memory-bound), peak at two precisions
  nlohmann::json original = nlohmann::json::parse(read_text(out / "results.json"));
  // As on a machine whose caches hold none of the quick profile's vectors (one L3 of 4 KiB: one
  // that reports none may hide one): one run a side gives bandwidth partly of a cache no verdict
  // (Compare.PartlyCacheBandwidthIsJudgedOnlyOnRepeatedRuns).
  original["environment"]["cpu"]["caches"] = nlohmann::json::array({{{"level", 3},
                                                                     {"type", "Unified"},
                                                                     {"size_bytes", 4096},
                                                                     {"instances", 1},
                                                                     {"shared_by_cpus", 1}}});
  const auto write = [&](const std::string& name, double times_floor, bool slower) {
    const fs::path file = dir_ / (name + ".json");
    write_file_atomically(file, scaled_run(original, [&](std::size_t i) {
                                  const double f = 1 + times_floor * floors[i];
                                  return slower ? f : 1 / f;
                                }).dump());
    return file.string();
  };
  const std::string a = write("a", 0, true);
  const auto compare = [&](const std::string& b) {
    return flopbench({"compare", a, b, "--fail-on-regression", "0"});
  };

  for (const bool slower : {true, false}) {
    const Outcome within = compare(write("within", 0.9, slower));
    EXPECT_EQ(within.status, 0) << within.out << within.err;
    EXPECT_NE(within.out.find("6 matched: 0 faster, 0 slower, 6 same"), std::string::npos)
        << within.out;
  }
  const Outcome slower = compare(write("slower", 1.2, true));
  EXPECT_EQ(slower.status, 1) << slower.out << slower.err;
  EXPECT_NE(slower.out.find("6 matched: 0 faster, 6 slower, 0 same"), std::string::npos)
      << slower.out;
  EXPECT_NE(slower.err.find("6 measurements slower, beyond the noise,"), std::string::npos)
      << slower.err;
  const Outcome faster = compare(write("faster", 1.2, false));
  EXPECT_EQ(faster.status, 0) << faster.out << faster.err;
  EXPECT_NE(faster.out.find("6 matched: 6 faster, 0 slower, 0 same"), std::string::npos)
      << faster.out;

  // A machine's own floors (--noise-floor, as scripts/noise-floor.py measures them): 10 % slower
  // is within the shared VM's floors and beyond a quiet machine's 5 %.
  const std::string ten_percent = dir_ / "ten.json";
  write_file_atomically(ten_percent, scaled_run(original, [](std::size_t) { return 1.1; }).dump());
  EXPECT_EQ(compare(ten_percent).status, 0);
  const Outcome quiet = flopbench(
      {"compare", a, ten_percent, "--fail-on-regression", "5%", "--noise-floor", "cpu=5%"});
  EXPECT_EQ(quiet.status, 1) << quiet.out << quiet.err;
  EXPECT_NE(quiet.out.find("6 matched: 0 faster, 6 slower, 0 same"), std::string::npos)
      << quiet.out;
  EXPECT_NE(quiet.out.find("(5% CPU compute-bound, 5% CPU memory-bound, 5% GPU;"),
            std::string::npos)
      << quiet.out;
  // Each class keeps its own floor: 60 % slower is beyond a 40 % compute-bound floor (gemm, peak
  // at two precisions) and within a 100 % memory-bound one (stream).
  const std::string sixty_percent = dir_ / "sixty.json";
  write_file_atomically(sixty_percent,
                        scaled_run(original, [](std::size_t) { return 1.6; }).dump());
  const Outcome classes =
      flopbench({"compare", a, sixty_percent, "--noise-floor", "cpu-compute=40%,cpu-memory=100%"});
  EXPECT_NE(classes.out.find("6 matched: 0 faster, 4 slower, 2 same"), std::string::npos)
      << classes.out;
  // One class alone: the memory-bound stream keeps its 100 %.
  const Outcome compute_only =
      flopbench({"compare", a, ten_percent, "--noise-floor", "cpu-compute=5"});
  EXPECT_EQ(compute_only.status, 0) << compute_only.err;
  EXPECT_NE(compute_only.out.find("6 matched: 0 faster, 4 slower, 2 same"), std::string::npos)
      << compute_only.out;
  for (const char* bad :
       {"cpu", "cpu=0", "cpu=0.05", "cpu=-5", "disk=5", "gpu=nan", "cpu=5,", "cpu=2000",
        // A floor set twice: the second would silently replace the first.
        "gpu=5,gpu=6", "cpu-compute=5,cpu=50"}) {
    const Outcome o = flopbench({"compare", a, ten_percent, "--noise-floor", bad});
    EXPECT_EQ(o.status, 2) << bad << ": " << o.out;
    EXPECT_NE(o.err.find(fmt::format("--noise-floor '{}': ", bad)), std::string::npos) << o.err;
  }
}

// Reading a results file and writing every output from it takes memory in proportion to the
// file, not kilobytes per sample (google-benchmark.json once took 4 KB a sample: 2 GB for a
// 500,000-sample file).
TEST_F(Cli, ReportOnHalfAMillionSamplesStaysWithinBoundedMemory) {
  if (testing::kSanitized) GTEST_SKIP() << "memory use under AddressSanitizer is its own";
  const fs::path small = dir_ / "small";
  ASSERT_EQ(flopbench({"run", "--workloads", "dot", "--implementations", "omp", "--precision",
                       "fp32", "--sizes", "1024", "--profile", "quick", "--threads", "1", "--out",
                       small.string()})
                .status,
            0);
  ResultsDocument doc = read_results_file(small / "results.json");
  ASSERT_EQ(doc.measurements.size(), 1u);
  const MeasurementRecord one = doc.measurements[0];
  doc.measurements.clear();
  for (int i = 0; i < 10; ++i) {
    MeasurementRecord r = one;
    r.problem = Problem::vector(1024 + i);  // ten distinct measurements
    r.samples_s.assign(50'000, 0);
    for (std::size_t s = 0; s < r.samples_s.size(); ++s)
      r.samples_s[s] = 1e-3 * (1 + 1e-6 * static_cast<double>(s));
    r.host_wall_s = r.samples_s;
    r.stats = compute_statistics(r.samples_s);
    r.gflops = r.flops / r.stats->median / 1e9;
    r.gbytes_per_s = r.bytes / r.stats->median / 1e9;
    if (r.percent_of_peak) r.percent_of_peak = 100 * *r.gflops / *r.peak.gflops;
    doc.measurements.push_back(std::move(r));
  }
  const fs::path big = dir_ / "big";
  fs::create_directories(big);
  write_file_atomically(big / "results.json", JsonPrinter().print(doc));
  const auto file_kib = static_cast<long>(fs::file_size(big / "results.json") / 1024);

  testing::Process report(
      {"report", (big / "results.json").string(), "--out", (dir_ / "outputs").string()},
      dir_ / "capture");
  long peak_kib = 0;
  ASSERT_EQ(report.wait(&peak_kib), 0) << report.err();
  // Generous: the parsed document, its copies in each output, and the program itself; the
  // 4 KB-per-sample printer needed over 1.6 GB here.
  EXPECT_LT(peak_kib, 400 * 1024) << "results.json is " << file_kib << " KiB";
}

// Google Benchmark's own compare.py (Debian's libbenchmark-tools) on two runs: one row per
// measurement, and an OVERALL_GEOMEAN that is the geometric mean of the median ratios, which
// flopbench's compare reports too.
TEST_F(Cli, GoogleBenchmarksComparePyReadsTwoRunsRight) {
  const fs::path compare_py = "/usr/share/benchmark/compare.py";
  if (!fs::exists(compare_py) || std::system("/usr/bin/python3 -c 'import scipy' 2>/dev/null") != 0)
    GTEST_SKIP() << "needs libbenchmark-tools and python3-scipy (scripts/install-deps.sh --test)";
  std::vector<fs::path> runs;
  for (const char* name : {"a", "b"}) {
    runs.push_back(dir_ / name);
    ASSERT_EQ(
        flopbench({"run", "--workloads", "dot,sum", "--implementations", "omp", "--sizes", "4096",
                   "--profile", "quick", "--threads", "1", "--out", runs.back().string()})
            .status,
        0);
  }
  const fs::path text = dir_ / "compare.txt";
  ASSERT_EQ(
      std::system(fmt::format("/usr/bin/python3 {} --no-color benchmarks {} {} > {} 2>&1",
                              compare_py.string(), (runs[0] / "google-benchmark.json").string(),
                              (runs[1] / "google-benchmark.json").string(), text.string())
                      .c_str()),
      0)
      << read_text(text);
  const std::string out = read_text(text);
  // The geometric mean of the median time ratios, over every measurement (flopbench's own
  // geomean leaves out contended ones).
  const ResultsDocument a = read_results_file(runs[0] / "results.json");
  const ResultsDocument b = read_results_file(runs[1] / "results.json");
  const CompareResult ours = compare_results(a, b);
  ASSERT_EQ(ours.matched.size(), 4u);  // dot and sum, fp32 and fp64
  double log_sum = 0;
  for (const auto& c : ours.matched) log_sum += std::log(c.b_median / c.a_median);
  std::smatch geomean;
  ASSERT_TRUE(std::regex_search(out, geomean, std::regex(R"(OVERALL_GEOMEAN\s+([-+][0-9.]+))")))
      << out;
  EXPECT_NEAR(std::stod(geomean[1]), std::exp(log_sum / 4) - 1, 1e-4) << out;
  for (const auto& c : ours.matched) {
    const std::string name = fmt::format("{}/omp/cpu/{}/{}", c.a->workload,
                                         to_string(c.a->precision), c.a->problem.label());
    for (const char* suffix : {" ", "_median ", "_cv "})
      EXPECT_NE(out.find(name + suffix), std::string::npos) << name << suffix << "\n" << out;
  }
}

// --wait-quiet waits for the machine, saying so on stderr, and measures anyway at its limit.
TEST_F(Cli, WaitQuietWaitsForABusyMachineThenMeasuresAnyway) {
  const fs::path out = dir_ / "waited";
  const fs::path taken = dir_ / "taken";
  fs::create_directories(taken);
  std::ofstream(taken / "notes.txt") << "someone else's\n";
  Outcome o, refused;
  {
    const testing::CpuHog hog;
    o = flopbench({"run", "--wait-quiet=1", "--workloads", "dot", "--implementations", "omp",
                   "--precision", "fp32", "--sizes", "64", "--profile", "quick", "--out",
                   out.string()});
    // An --out that cannot be used is refused before the wait, not after it.
    refused = flopbench({"run", "--wait-quiet=5", "--workloads", "dot", "--implementations", "omp",
                         "--precision", "fp32", "--sizes", "64", "--out", taken.string()});
  }
  EXPECT_EQ(refused.status, kExitBadInput) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("not an empty directory"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("waiting for a quiet machine"), std::string::npos) << refused.err;
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("waiting for a quiet machine (1 of at most 1 s): other processes used "),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("the machine was not quiet after 1 s; measuring anyway"), std::string::npos)
      << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 1u);
  // Each sample says how long our threads waited for a CPU the hog had: with two threads on a
  // 2-CPU machine beside it, a good part of some samples (on a quiet one, well under 1 %). Not of
  // most: where the test runs beside others, the scheduler may give the hog another CPU for
  // much of the run (a CI run saw 13 of 20 samples wait nothing, and 7 wait 44-96 %).
  const MeasurementRecord& m = doc.measurements.front();
  ASSERT_EQ(m.samples_waited.size(), m.samples_s.size());
  std::vector<double> waited = m.samples_waited;
  std::sort(waited.begin(), waited.end());
  EXPECT_GE(waited.front(), 0);
  if (m.threads >= static_cast<int>(std::thread::hardware_concurrency())) {
    EXPECT_GT(waited.back(), 0.05) << fmt::format("{}", fmt::join(waited, " "));
  }
  EXPECT_EQ(flopbench({"run", "--wait-quiet=0", "--out", (dir_ / "never").string()}).status,
            kExitBadInput);
}

// Ctrl-C while waiting for a quiet machine ends the wait at once: a results directory marked
// interrupted, every planned measurement skipped, exit 130.
TEST_F(Cli, CtrlCWhileWaitingForAQuietMachineWritesTheSkippedRun) {
  const fs::path out = dir_ / "waiting";
  const testing::CpuHog hog;
  testing::Process p({"run", "--wait-quiet=600", "--workloads", "dot", "--implementations", "omp",
                      "--precision", "fp32", "--sizes", "64", "--out", out.string()},
                     dir_ / "capture");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (p.err().find("waiting for a quiet machine") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(p.err().find("waiting for a quiet machine"), std::string::npos) << p.err();
  const auto interrupted_at = std::chrono::steady_clock::now();
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(), kExitInterrupted) << p.out() << p.err();
  // Well inside the 10 s after which an interrupted run that did not stop is killed.
  EXPECT_LT(std::chrono::steady_clock::now() - interrupted_at, std::chrono::seconds(5));
  EXPECT_EQ(p.err().find("did not stop in time"), std::string::npos) << p.err();
  EXPECT_EQ(p.err().find("measuring anyway"), std::string::npos) << p.err();
  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_TRUE(doc.run.interrupted);
  ASSERT_EQ(doc.measurements.size(), 1u);
  EXPECT_EQ(doc.measurements[0].disposition, Disposition::skipped);
}

// The matrix precisions end to end: oneDNN's BF16 and INT8 GEMMs run, verified, with a % of
// the peak of the instructions they use; an implementation without them says so; report.md
// names them exactly.
TEST_F(Cli, MatrixPrecisionsRunVerifiedAndReported) {
  const fs::path out = dir_ / "run";
  const Outcome run =
      flopbench({"run", "--workloads", "gemm", "--precision", "bf16,int8", "--implementations",
                 "omp,onednn", "--sizes", "64x48x80", "--profile", "quick", "--out", out.string()});
  EXPECT_EQ(run.status, 0) << run.out << run.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 4u);
  const Implementation* onednn = registry().find(WorkloadId::gemm, "onednn");
  for (const auto& m : doc.measurements) {
    SCOPED_TRACE(m.implementation + " " + std::string(to_string(m.precision)));
    if (m.implementation == "omp") {
      EXPECT_EQ(m.disposition, Disposition::unsupported);
      EXPECT_NE(m.reason.find("has no " + std::string(to_string(m.precision))), std::string::npos);
      continue;
    }
    const std::string why = onednn->unavailable_reason(m.precision);
    EXPECT_EQ(m.disposition, why.empty() ? Disposition::passed : Disposition::unsupported)
        << m.reason;
    if (!why.empty()) continue;
    ASSERT_TRUE(m.verification.has_value());
    EXPECT_TRUE(m.verification->passed);
    // A CPU with the instructions has a peak, and the record its percentage.
    EXPECT_EQ(m.percent_of_peak.has_value(), m.peak.gflops.has_value()) << m.peak.basis;
  }
  const std::string md = read_text(out / "report.md");
  EXPECT_NE(md.find("### BF16 GEMM (bf16)"), std::string::npos) << md;
  EXPECT_NE(md.find("### INT8 GEMM (TOPS) (int8)"), std::string::npos) << md;
}

// cuBLASLt's GEMM: registered in a CUDA build at every matrix precision and listed with them
// all; run here, one record per precision: measured and verified on a GPU, else unsupported
// with the reason (no CUDA device, or cuBLASLt not loadable).
TEST_F(Cli, CublasLtHasEveryMatrixPrecisionAndSaysWhyItCannotRun) {
  const Implementation* lt = registry().find(WorkloadId::gemm, "cublaslt");
  if (!FLOPBENCH_HAVE_CUDA) {
    EXPECT_EQ(lt, nullptr);
    GTEST_SKIP() << "CPU-only build: no GPU implementations";
  }
  ASSERT_NE(lt, nullptr);
  EXPECT_EQ(lt->spec.device, DeviceKind::gpu);
  EXPECT_EQ(lt->spec.library, "cuBLASLt");
  const std::vector<Precision> matrix_precisions = {
      Precision::tf32, Precision::bf16, Precision::fp16, Precision::fp8_e4m3, Precision::int8};
  EXPECT_EQ(lt->spec.precisions, matrix_precisions);
  EXPECT_EQ(lt->unsupported_reason(Precision::fp32),
            "gemm cublaslt has no fp32 (it runs tf32, bf16, fp16, fp8_e4m3, int8)");

  const Outcome list = flopbench({"list"});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("gemm     cublaslt     gpu  tf32,bf16,fp16,fp8_e4m3,int8 cuBLASLt"),
            std::string::npos)
      << list.out;

  const fs::path out = dir_ / "run";
  const Outcome run = flopbench({"run", "--workloads", "gemm", "--precision",
                                 "tf32,bf16,fp16,fp8_e4m3,int8", "--implementations", "cublaslt",
                                 "--sizes", "256", "--profile", "quick", "--out", out.string()});
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  std::vector<Precision> recorded;
  for (const auto& m : doc.measurements) {
    SCOPED_TRACE(std::string(to_string(m.precision)) + ": " + m.reason);
    ASSERT_EQ(m.implementation, "cublaslt");
    recorded.push_back(m.precision);
    if (const std::string why = lt->unavailable_reason(m.precision); !why.empty()) {
      EXPECT_EQ(m.disposition, Disposition::unsupported);
      EXPECT_EQ(m.reason, why);
    } else if (doc.environment.gpu.devices.empty()) {
      EXPECT_EQ(m.disposition, Disposition::unsupported);
      EXPECT_TRUE(m.device.no_gpu());
      EXPECT_EQ(m.reason.rfind("no CUDA device: ", 0), 0u);
      EXPECT_FALSE(m.verification.has_value());
    } else if (m.disposition == Disposition::unsupported) {
      // Only FP8 may lack tensor cores on a GPU that has the others (before Ada and Hopper).
      EXPECT_EQ(m.precision, Precision::fp8_e4m3);
      EXPECT_NE(m.reason.find("compute capability 8.9"), std::string::npos);
    } else {
      EXPECT_EQ(m.disposition, Disposition::passed);
      ASSERT_TRUE(m.verification.has_value());
      EXPECT_TRUE(m.verification->passed);
      EXPECT_NE(std::find(m.notes.begin(), m.notes.end(), "dense (no sparsity)"), m.notes.end());
    }
  }
  std::sort(recorded.begin(), recorded.end());
  EXPECT_EQ(recorded, matrix_precisions);
}

// oneDNN limited to an ISA without VNNI (its own ONEDNN_MAX_CPU_ISA) sums INT8 products in
// saturating INT16: its INT8 GEMM is unsupported, with that reason, rather than "incorrect".
TEST_F(Cli, OneDnnInt8WithoutVnniIsUnsupported) {
  const std::string why =
      registry().find(WorkloadId::gemm, "onednn")->unavailable_reason(Precision::int8);
  if (!why.empty()) GTEST_SKIP() << "no oneDNN INT8 here at all: " << why;
  const fs::path out = dir_ / "run";
  setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE", 1);
  setenv("DNNL_MAX_CPU_ISA", "AVX512_CORE", 1);
  const Outcome run = flopbench({"run", "--workloads", "gemm_int8", "--implementations", "onednn",
                                 "--sizes", "64", "--profile", "quick", "--out", out.string()});
  unsetenv("ONEDNN_MAX_CPU_ISA");
  unsetenv("DNNL_MAX_CPU_ISA");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 1u);
  EXPECT_EQ(doc.measurements[0].disposition, Disposition::unsupported);
  EXPECT_NE(doc.measurements[0].reason.find("saturating INT16"), std::string::npos)
      << doc.measurements[0].reason;
}

// A sweep on this machine: every size on the CPU in results.json, crossover.csv and the
// reports; GPU work, where the build has it, unsupported with the reason when there is no GPU.
TEST_F(Cli, SweepRecordsEverySizeAndItsCrossover) {
  const fs::path out = dir_ / "sweep";
  const Outcome o = flopbench(
      {"run", "--sweep", "--workloads", "sgemm", "--sizes", "16,32,64", "--out", out.string()});
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_EQ(doc.run.profile, "sweep");
  std::set<std::int64_t> cpu_sizes;
  bool no_gpu = false;
  for (const auto& m : doc.measurements) {
    if (m.implementation == "onednn" || m.implementation == "cublaslt") {
      // Named precisions give the implementations that lack them a record saying so, on the
      // CPU (oneDNN) and the GPU (cuBLASLt) alike.
      EXPECT_EQ(m.disposition, Disposition::unsupported);
      EXPECT_NE(m.reason.find("has no fp32"), std::string::npos) << m.reason;
    } else if (m.device == DeviceRef::cpu()) {
      EXPECT_EQ(m.disposition, Disposition::passed) << m.reason;
      cpu_sizes.insert(m.problem.n);
    } else if (m.device.no_gpu()) {
      no_gpu = true;
      EXPECT_EQ(m.disposition, Disposition::unsupported);
      EXPECT_EQ(m.reason.rfind("no CUDA device: ", 0), 0u) << m.reason;
    }
  }
  EXPECT_EQ(cpu_sizes, (std::set<std::int64_t>{16, 32, 64}));

  const auto raw = nlohmann::json::parse(read_text(out / "results.json"));
  const auto& crossovers = raw.at("crossovers");
  ASSERT_EQ(crossovers.size(), 1u) << crossovers.dump();
  EXPECT_EQ(crossovers[0].at("workload"), "gemm");
  EXPECT_EQ(crossovers[0].at("points").size(), 3u);
  if (doc.environment.gpu.devices.empty()) {
    EXPECT_TRUE(crossovers[0].at("size").is_null());
    const std::string basis = crossovers[0].at("basis");
    EXPECT_EQ(basis.rfind("not reached: ", 0), 0u) << basis;
    if (no_gpu) {
      EXPECT_NE(basis.find("no CUDA device: "), std::string::npos) << basis;
    }
  }
  EXPECT_EQ(count_lines(read_text(out / "crossover.csv")), 1u + 3);
  EXPECT_NE(read_text(out / "report.md").find("## Crossover: where the GPU beats the CPU"),
            std::string::npos);
  EXPECT_NE(read_text(out / "report.html").find("<polyline"), std::string::npos);

  // --sweep is --profile sweep: naming another profile as well is refused.
  expect_one_line_error(
      flopbench({"run", "--sweep", "--profile", "quick", "--out", (dir_ / "x").string()}),
      "--profile");
}

TEST_F(Cli, SelectionFlagsNarrowTheRun) {
  const fs::path out = dir_ / "narrow";
  const Outcome o =
      flopbench({"run", "--workloads", "dgemm,dot", "--implementations", "omp", "--sizes", "33",
                 "--profile", "quick", "--threads", "1", "--out", out.string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 3u);  // DGEMM, dot fp32, dot fp64
  EXPECT_EQ(doc.measurements[0].workload, WorkloadId::gemm);
  EXPECT_EQ(doc.measurements[0].precision, Precision::fp64);
  for (const auto& m : doc.measurements) {
    EXPECT_EQ(m.implementation, "omp");
    EXPECT_EQ(m.threads, 1);
  }
  EXPECT_EQ(o.out.find("warning: the"), std::string::npos) << o.out;

  // More threads than the CPUs this process may use: they take turns, and the run says so.
  const std::size_t cpus = usable_cpus().size();
  const Outcome crowded = flopbench(
      {"run", "--workloads", "dgemm", "--implementations", "omp", "--sizes", "33", "--profile",
       "quick", "--threads", std::to_string(cpus + 1), "--out", (dir_ / "crowded").string()});
  ASSERT_EQ(crowded.status, 0) << crowded.err;
  EXPECT_NE(crowded.out.find(fmt::format("warning: the {} threads this run uses are more than the "
                                         "{} this process may use: they take turns",
                                         cpus + 1, counted(cpus, "CPU"))),
            std::string::npos)
      << crowded.out;
}

// Google Benchmark's own environment variables, set for another program, change nothing: the
// runner gives every setting it relies on as a flag.
TEST_F(Cli, GoogleBenchmarksEnvironmentVariablesAreIgnored) {
  const fs::path out = dir_ / "env", stray = dir_ / "stray.json";
  setenv("BENCHMARK_FILTER", "nothing-matches-this", 1);
  setenv("BENCHMARK_LIST_TESTS", "true", 1);
  setenv("BENCHMARK_OUT", stray.c_str(), 1);
  setenv("BENCHMARK_REPETITIONS", "7", 1);
  const Outcome o = flopbench({"run", "--workloads", "sum", "--implementations", "omp", "--sizes",
                               "1K", "--precision", "fp32", "--profile", "quick", "--threads", "1",
                               "--out", out.string()});
  for (const char* name :
       {"BENCHMARK_FILTER", "BENCHMARK_LIST_TESTS", "BENCHMARK_OUT", "BENCHMARK_REPETITIONS"}) {
    unsetenv(name);
  }
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_EQ(doc.measurements.size(), 1u);
  EXPECT_EQ(doc.measurements[0].disposition, Disposition::passed) << doc.measurements[0].reason;
  EXPECT_FALSE(doc.measurements[0].samples_s.empty());
  EXPECT_FALSE(fs::exists(stray));
}

// OMP_THREAD_LIMIT caps the team below omp_get_max_threads(): the records say the threads that
// ran, the peak counts their FLOPs, and --threads beyond the limit is refused.
TEST_F(Cli, AThreadLimitIsTheTeamThatRunsAndIsRecorded) {
  const fs::path out = dir_ / "limited";
  setenv("OMP_THREAD_LIMIT", "1", 1);
  // SGEMM at 256^3: large enough that the hand-written GEMM runs on the whole team.
  const Outcome o = flopbench({"run", "--workloads", "peak,sgemm", "--implementations", "omp",
                               "--sizes", "256", "--profile", "quick", "--out", out.string()});
  const Outcome refused = flopbench({"run", "--workloads", "peak", "--implementations", "omp",
                                     "--threads", "2", "--out", (dir_ / "refused").string()});
  unsetenv("OMP_THREAD_LIMIT");
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_EQ(doc.run.threads, 1);
  ASSERT_FALSE(doc.measurements.empty());
  for (const auto& m : doc.measurements) {
    EXPECT_EQ(m.disposition, Disposition::passed) << m.reason;
    EXPECT_EQ(m.threads, 1);
  }
  expect_one_line_error(refused, "--threads 2: OMP_THREAD_LIMIT allows 1 thread");
}

// FLOPBENCH_MAX_VECTOR_BITS at the build's own width runs the narrow pass of a build that has a
// wide one (harness/machine/vector_shape.hpp): the kernels verify, their notes and the clock say
// that width, and results.json records the cap.
TEST_F(Cli, AVectorWidthCapRunsTheKernelsAndTheClockAtThatWidth) {
  const int bits = simd::vector_dispatch().build_bytes * 8;
  const fs::path out = dir_ / "capped";
  setenv("FLOPBENCH_MAX_VECTOR_BITS", std::to_string(bits).c_str(), 1);
  const Outcome o =
      flopbench({"run", "--workloads", "peak,gemm,dot", "--implementations", "omp", "--precision",
                 "fp32", "--sizes", "256", "--profile", "quick", "--out", out.string()});
  unsetenv("FLOPBENCH_MAX_VECTOR_BITS");
  ASSERT_EQ(o.status, 0) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_EQ(doc.environment.openmp_env.at("FLOPBENCH_MAX_VECTOR_BITS"), std::to_string(bits));
  const std::string width = fmt::format("{}-bit vector", bits);
  EXPECT_NE(doc.environment.cpu.clock_source.find(width), std::string::npos)
      << doc.environment.cpu.clock_source;
  ASSERT_EQ(doc.measurements.size(), 3u);
  // Narrower than the FMA units the peak counts (a 256-bit cap on an AVX-512 CPU), the compute
  // workloads say they can reach only part of it.
  const auto reach = vector_reach(doc.environment.cpu, bits);
  for (const auto& m : doc.measurements) {
    EXPECT_EQ(m.disposition, Disposition::passed) << m.reason;
    if (m.workload == WorkloadId::dot) continue;  // no notes
    ASSERT_FALSE(m.notes.empty()) << m.workload;
    EXPECT_NE(m.notes[0].find(width), std::string::npos) << m.notes[0];
    EXPECT_EQ(m.vector_bits, bits);
    const std::string narrow = m.note_starting(MeasurementRecord::kNarrowVectors);
    if (reach && reach->share < 1 && theoretical_peak(m)) {
      EXPECT_TRUE(narrow.starts_with(
          fmt::format("narrow vectors: {}-bit (the hand-written kernels' {}-bit pass", bits, bits)))
          << narrow;
    } else {
      EXPECT_EQ(narrow, "");
    }
  }
}

TEST_F(Cli, BadCommandLinesGiveOneLineErrorsAndWriteNothing) {
  const fs::path out = dir_ / "never";
  const std::string o = out.string();
  expect_one_line_error(flopbench({"run", "--workloads", "nosuch", "--out", o}),
                        "unknown workload 'nosuch'");
  expect_one_line_error(flopbench({"run", "--implementations", "nosuch", "--out", o}),
                        "unknown implementation 'nosuch'");
  expect_one_line_error(flopbench({"run", "--sizes", "0", "--out", o}), "bad size '0'");
  expect_one_line_error(flopbench({"run", "--sizes", "-5", "--out", o}), "bad size '-5'");
  expect_one_line_error(flopbench({"run", "--sizes", "abc", "--out", o}), "bad size 'abc'");
  expect_one_line_error(flopbench({"run", "--workloads", "gemm", "--sizes", "1000000", "--out", o}),
                        "too big");
  expect_one_line_error(flopbench({"run", "--precision", "fp8", "--out", o}),
                        "unknown precision 'fp8'");
  // A workload named in --workloads that the other options leave nothing of is refused, not
  // dropped.
  expect_one_line_error(flopbench({"run", "--workloads", "dot,stream", "--implementations", "eigen",
                                   "--sizes", "1M", "--out", o}),
                        "--workloads stream: no registered implementation of it matches "
                        "--implementations eigen");
  expect_one_line_error(
      flopbench({"run", "--workloads", "sgemm,dot", "--precision", "fp64", "--out", o}),
      "--workloads sgemm is gemm at FP32, which --precision fp64 leaves out");
  // 'all' beside other names would leave them unread, a misspelt one included.
  for (const char* list : {"all,nonsense", "fp64,all"}) {
    expect_one_line_error(flopbench({"run", "--precision", list, "--out", o}),
                          fmt::format("--precision {}: 'all' stands alone", list));
  }
  expect_one_line_error(flopbench({"run", "--profile", "fast", "--out", o}),
                        "unknown profile 'fast'");
  expect_one_line_error(flopbench({"run", "--threads", "0", "--out", o}), "--threads");
  expect_one_line_error(flopbench({"run", "--bogus"}), "--bogus");
  // The help that lists the command's options.
  expect_one_line_error(flopbench({"burn", "--bogus"}), "(see 'flopbench burn --help')");
  expect_one_line_error(flopbench({"run", "--threads", "x"}), "(see 'flopbench run --help')");
  expect_one_line_error(flopbench({"spec", "generate", "--bogus"}),
                        "(see 'flopbench spec generate --help')");
  expect_one_line_error(flopbench({"--bogus"}), "(see 'flopbench --help')");
  expect_one_line_error(flopbench({"frobnicate"}), "frobnicate");
  EXPECT_FALSE(fs::exists(out));
}

// Every command's help reads as written: an optional value as [=SECONDS], no flag default in a
// name ("--wait-quiet{60}"), no "Excludes:" or "Needs:" run into a type; options that exclude
// each other still refuse each other.
TEST_F(Cli, HelpShowsOptionsAsTheyAreTyped) {
  for (const std::vector<std::string>& command : {std::vector<std::string>{"run"},
                                                  {"check"},
                                                  {"burn"},
                                                  {"memtest"},
                                                  {"sheet"},
                                                  {"report"},
                                                  {"compare"},
                                                  {"merge"},
                                                  {"info"},
                                                  {"spec", "generate"}}) {
    std::vector<std::string> args = command;
    args.emplace_back("--help");
    const Outcome o = flopbench(args);
    EXPECT_EQ(o.status, 0) << command[0];
    EXPECT_FALSE(std::regex_search(o.out, std::regex(R"(--[a-z-]+\{)"))) << o.out;
    EXPECT_EQ(o.out.find("Excludes"), std::string::npos) << o.out;
    EXPECT_EQ(o.out.find("Needs:"), std::string::npos) << o.out;
  }
  const Outcome run = flopbench({"run", "--help"});
  EXPECT_NE(run.out.find("\n  --wait-quiet[=SECONDS]      first wait, up to SECONDS (60 when not "
                         "given"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\n  --sweep                     the same as --profile sweep (not with "
                         "--profile)"),
            std::string::npos);
  expect_one_line_error(flopbench({"run", "--sweep", "--profile", "quick"}),
                        "--profile excludes --sweep");
  expect_one_line_error(flopbench({"memtest", "--size-gib", "1", "--fraction", "0.5"}), "excludes");
  // An optional value after a space is no value of the flag: how to give it.
  expect_one_line_error(flopbench({"run", "--wait-quiet", "5"}),
                        "--wait-quiet 5: give its value after '=', as --wait-quiet=5");
  expect_one_line_error(flopbench({"check", "--spec", "auto", "--wait-quiet", "5"}),
                        "--wait-quiet 5: give its value after '=', as --wait-quiet=5");
  // Not on a command that has no such option.
  const Outcome report = flopbench({"report", "--wait-quiet", "r.json"});
  EXPECT_EQ(report.status, kExitBadInput);
  EXPECT_EQ(report.err.find("give its value after"), std::string::npos) << report.err;
}

TEST_F(Cli, OutMustBeNewOrEmptyAndWritable) {
  const fs::path used = dir_ / "used";
  fs::create_directories(used);
  std::ofstream(used / "results.json") << "an earlier run";
  expect_one_line_error(flopbench({"run", "--out", used.string()}), "not an empty directory");
  EXPECT_EQ(read_text(used / "results.json"), "an earlier run");

  // A directory under a file can never be made: bad input, not a failure of the system.
  const fs::path file = dir_ / "a-file";
  std::ofstream(file) << "x";
  expect_one_line_error(
      flopbench({"run", "--out", (file / "sub").string()}),
      "cannot create the output directory " + (file / "sub").string() + ": Not a directory");
  // So does report's, once it has read its input.
  const fs::path results =
      fs::path(FLOPBENCH_TEST_DATA_DIR) / "golden" / "reports" / "results.json";
  expect_one_line_error(flopbench({"report", results.string(), "--out", (file / "sub").string()}),
                        "cannot create");
  // One the system refuses is its failure.
  if (::geteuid() != 0) {
    const fs::path locked = dir_ / "locked";
    fs::create_directories(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    expect_one_line_error(flopbench({"run", "--out", (locked / "sub").string()}), "cannot create",
                          kExitIoError);
    fs::permissions(locked, fs::perms::owner_all);
  }
}

TEST_F(Cli, ReportRejectsMissingMalformedAndWrongShapeFiles) {
  expect_one_line_error(flopbench({"report", (dir_ / "missing.json").string()}), "missing.json");
  const fs::path malformed = dir_ / "malformed.json";
  std::ofstream(malformed) << "{\"schema_version\": 1, \"measurements\": [";
  expect_one_line_error(flopbench({"report", malformed.string()}), "malformed.json");
  const fs::path wrong = dir_ / "wrong.json";
  std::ofstream(wrong) << "{\"schema_version\": 1}";
  expect_one_line_error(flopbench({"report", wrong.string()}), "wrong.json");
  EXPECT_FALSE(fs::exists(dir_ / "report.md"));
}

TEST_F(Cli, CtrlCKeepsWhatWasMeasuredAndExits130) {
  const fs::path out = dir_ / "interrupted";
  testing::Process p({"run", "--workloads", "sum,dot", "--implementations", "omp,eigen", "--sizes",
                      "4M", "--out", out.string()},
                     dir_ / "capture");
  // Interrupt once the second measurement has started, so the first one has finished.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (p.out().find("[2/") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(), kExitInterrupted) << p.out() << p.err();
  EXPECT_NE(p.err().find("interrupted"), std::string::npos);

  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_TRUE(doc.run.interrupted);
  // Every planned measurement has a record, measured or skipped.
  Selection sel;
  sel.workloads = parse_workloads("sum,dot");
  sel.implementations = {"omp", "eigen"};
  sel.sizes = parse_sizes("4M");
  ASSERT_EQ(doc.measurements.size(), plan_measurements(sel, doc.environment).size());
  EXPECT_EQ(doc.measurements[0].disposition, Disposition::passed) << doc.measurements[0].reason;
  EXPECT_EQ(doc.measurements.back().disposition, Disposition::skipped);
  EXPECT_NE(doc.measurements.back().reason.find("interrupted"), std::string::npos);
  for (const char* f : {"results.csv", "report.md", "google-benchmark.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "left behind: " << entry.path();
  }
}

// The CPU, with every GPU; without a GPU it is burned anyway, saying so. Both precisions in
// turn, a verdict each, exit 0.
TEST_F(Cli, BurnOfTheCpuGivesAVerdictAndExitsZero) {
  const Outcome o =
      flopbench({"burn", "--cpu", "--duration", "2.5s", "--precision", "fp32,fp64", "--size", "512",
                 "--progress", "1", "--out", (dir_ / "burn").string()});
  EXPECT_EQ(o.status, kExitOk) << o.out << o.err;
  if (!FLOPBENCH_HAVE_CUDA) {
    EXPECT_NE(o.out.find("burning the CPU"), std::string::npos) << o.out;
  }
  EXPECT_NE(o.out.find("cpu   FP32 OK"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("cpu   FP64 OK"), std::string::npos) << o.out;
  // The duration as given (2.5 s, which whole seconds announced as 3 s). Two and a half, at 512^3:
  // two iterations of half a second's runs compared where another test shares the CPUs. (At
  // 128^3 a run is shorter than a scheduler slice, and a thread team that waits at every run for
  // a thread another process holds ran six times slower than its sizing runs.)
  EXPECT_NE(o.out.find(" at FP32 for 2.5 s: gemm 512x512x512"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("2 device burns of 2.5 s each"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("GFLOP/s"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("warning: the CPU burns on"), std::string::npos) << o.out;

  // On fewer threads than its CPUs (a job environment's OMP_NUM_THREADS=1), the burn says so.
  if (usable_cpus().size() < 2 || cpu_quota()) GTEST_SKIP() << "one CPU, or a cgroup quota, here";
  const testing::ScopedEnv one("OMP_NUM_THREADS", "1");
  const Outcome single = flopbench(
      {"burn", "--cpu", "--duration", "2s", "--size", "128", "--out", (dir_ / "single").string()});
  EXPECT_EQ(single.status, kExitOk) << single.out << single.err;
  EXPECT_NE(single.out.find(fmt::format("warning: the CPU burns on 1 thread of the {} CPUs this "
                                        "process may use (OMP_NUM_THREADS or OMP_THREAD_LIMIT): "
                                        "the other CPUs are not burned in\n",
                                        usable_cpus().size())),
            std::string::npos)
      << single.out;
  EXPECT_NE(single.out.find("burning cpu (1 thread) at FP64"), std::string::npos) << single.out;
}

// A CPU burning alone at a matrix precision runs 2048³, not the 8192³ that keeps a GPU's tensor
// cores loaded: at BF16 that was one 11-second run, and a short burn had nothing to compare.
TEST_F(Cli, ACpuBurningAloneAtBf16RunsTheSmallerSize) {
  const Implementation* onednn = registry().find(WorkloadId::gemm, "onednn");
  ASSERT_NE(onednn, nullptr);
  if (const std::string why = onednn->unsupported_reason(Precision::bf16); !why.empty()) {
    GTEST_SKIP() << "no CPU BF16 GEMM here: " << why;
  }
  // With every GPU hidden, as on a machine without one: the CPU burns alone.
  const testing::ScopedEnv no_gpu("CUDA_VISIBLE_DEVICES", "");
  const Outcome o = flopbench(
      {"burn", "--duration", "2s", "--precision", "bf16", "--out", (dir_ / "burn").string()});
  EXPECT_NE(o.out.find("burning the CPU"), std::string::npos) << o.out;
  EXPECT_EQ(o.status, kExitOk) << o.out << o.err;
  EXPECT_NE(o.out.find("gemm 2048x2048x2048"), std::string::npos) << o.out;
  const ResultsDocument doc = read_results_file(dir_ / "burn" / "results.json");
  ASSERT_EQ(doc.burn->devices.size(), 1u);
  EXPECT_EQ(doc.burn->devices[0].problem, Problem::matrix(2048, 2048, 2048));
}

// A burn cut short says so in its last lines, over every device: each device's own line says
// OK for what ran before the interrupt.
TEST_F(Cli, AnInterruptedBurnEndsWithItsVerdict) {
  const testing::ScopedEnv no_gpu("CUDA_VISIBLE_DEVICES", "");
  const fs::path out = dir_ / "burn";
  testing::Process burn({"burn", "--duration", "60s", "--precision", "fp64", "--out", out.string()},
                        dir_ / "capture");
  // Once the device's burn has begun (its line is flushed as it starts): results.json is written
  // before, and an interrupt then ends the burn before any device.
  for (int i = 0; i < 600 && burn.out().find("burning cpu") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  burn.signal(SIGTERM);
  EXPECT_EQ(burn.wait(), 128 + SIGTERM) << burn.err();
  const std::string text = burn.out();
  const std::size_t verdict = text.find("\nburn-in: INCOMPLETE (interrupted): 1 device burn");
  EXPECT_NE(verdict, std::string::npos) << text;
  EXPECT_LT(verdict, text.find("\nwrote ")) << text;
}

// GPUs are numbered as nvidia-smi numbers them (PCI bus order) unless the user chose CUDA's
// order, and results.json says which numbering its gpu<N> are in.
TEST_F(Cli, GpusAreNumberedInPciBusOrderUnlessTheUserChoseOtherwise) {
  const auto cuda_env = [&](const std::string& name) {
    const fs::path out = dir_ / name;
    const Outcome o = flopbench({"run", "--workloads", "sum", "--implementations", "omp",
                                 "--precision", "fp32", "--sizes", "1024", "--threads", "1",
                                 "--profile", "quick", "--out", out.string()});
    EXPECT_EQ(o.status, 0) << o.out << o.err;
    return read_results_file(out / "results.json").environment.gpu.cuda_env;
  };
  {
    const testing::ScopedEnv order("CUDA_DEVICE_ORDER", "");
    ::unsetenv("CUDA_DEVICE_ORDER");  // restored by `order`
    const testing::ScopedEnv visible("CUDA_VISIBLE_DEVICES", "1,0");
    const auto env = cuda_env("unset");
    EXPECT_EQ(env.at("CUDA_DEVICE_ORDER"), "PCI_BUS_ID");
    EXPECT_EQ(env.at("CUDA_VISIBLE_DEVICES"), "1,0");
  }
  const testing::ScopedEnv order("CUDA_DEVICE_ORDER", "FASTEST_FIRST");
  EXPECT_EQ(cuda_env("chosen").at("CUDA_DEVICE_ORDER"), "FASTEST_FIRST");
}

// A precision named twice is burned once: not for twice the time, nor with two verdicts.
TEST_F(Cli, APrecisionNamedTwiceIsBurnedOnce) {
  const Outcome o = flopbench({"burn", "--cpu", "--duration", "2s", "--precision", "fp64,fp64",
                               "--size", "64", "--out", (dir_ / "burn").string()});
  EXPECT_EQ(o.status, kExitOk) << o.out << o.err;
  const ResultsDocument doc = read_results_file(dir_ / "burn" / "results.json");
  ASSERT_TRUE(doc.burn.has_value());
  EXPECT_EQ(std::count_if(doc.burn->devices.begin(), doc.burn->devices.end(),
                          [](const BurnDevice& d) { return d.device == DeviceRef::cpu(); }),
            1);
}

TEST_F(Cli, BurnRejectsBadDurationsAndPrecisions) {
  expect_one_line_error(flopbench({"burn", "--duration", "10x"}), "--duration 10x");
  expect_one_line_error(flopbench({"burn", "--duration", "0"}), "--duration 0");
  expect_one_line_error(flopbench({"burn", "--duration", "5s", "--precision", "fp128"}),
                        "unknown precision 'fp128'");
  expect_one_line_error(flopbench({"burn", "--duration", "5s", "--precision", "all"}),
                        "--precision all: name the precisions to burn");
  expect_one_line_error(flopbench({"burn", "--duration", "5s", "--size", "8"}), "--size");
  expect_one_line_error(flopbench({"burn"}), "--duration");
}

// A size the memory cannot hold is refused before anything burns (no results directory), not
// burned into a FAULTY device by its failed allocation.
TEST_F(Cli, BurnRefusesASizeTheMemoryCannotHold) {
  if (available_memory().bytes > 0.9 * 192 * (std::int64_t{1} << 30)) {
    GTEST_SKIP() << "this host has the 192 GiB a burn at 65536 needs";
  }
  const fs::path out = dir_ / "burn";
  expect_one_line_error(
      flopbench({"burn", "--cpu", "--duration", "5s", "--size", "65536", "--out", out.string()}),
      "--size 65536: a burn at FP64 needs 192.0 GiB of host memory and ");
  EXPECT_FALSE(fs::exists(out));
}

// Ctrl-C: the verdict of what ran, everything written, marked interrupted, exit 130.
TEST_F(Cli, CtrlCStopsABurnWithItsVerdictAndExits130) {
  const fs::path out = dir_ / "burn";
  testing::Process p({"burn", "--cpu", "--duration", "10m", "--size", "128", "--progress", "1",
                      "--out", out.string()},
                     dir_ / "capture");
  // Once progress lines have counted two different numbers of finished runs (runs are counted
  // as an iteration ends): two iterations compared. Interrupted after one, the device is
  // UNCHECKED; before the first, unrecorded.
  const std::regex ran(R"(cpu +([1-9][0-9]*) runs, )");
  const auto two_iterations = [&] {
    const std::string printed = p.out();
    std::set<std::string> counts;
    for (std::sregex_iterator it(printed.begin(), printed.end(), ran), end; it != end; ++it)
      counts.insert((*it)[1]);
    return counts.size() >= 2;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!two_iterations() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(), kExitInterrupted) << p.out() << p.err();
  EXPECT_NE(p.out().find("cpu   FP64 OK"), std::string::npos) << p.out();
  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_TRUE(doc.run.interrupted);
  EXPECT_FALSE(doc.run.finished_utc.empty());
  ASSERT_TRUE(doc.burn.has_value());
  ASSERT_FALSE(doc.burn->devices.empty());
  const BurnDevice& cpu = doc.burn->devices.back();
  EXPECT_EQ(cpu.device, DeviceRef::cpu());
  EXPECT_EQ(cpu.verdict, BurnVerdict::ok);
  EXPECT_GT(cpu.iterations, 0);
  EXPECT_LT(cpu.seconds, 600);
  EXPECT_FALSE(cpu.throughput.empty());
  EXPECT_NE(read_text(out / "report.html").find("aria-label=\"throughput\""), std::string::npos);
}

// Runs that become far slower than sized (a co-tenant stalling the thread team at every run) do
// not stretch the burn many times over: once it is past its duration by more than 10 s (a
// quarter of the duration or three iterations as sized, here less), the iteration under way is
// stopped unfinished, and says so whatever its verdict. The stall: the process stopped (SIGSTOP)
// for 13 s from its first progress line, in an iteration of half a second's runs; its next run
// then ends 14 s into a 3 s burn.
TEST_F(Cli, ABurnWhoseRunsSlowDownEndsNearItsDuration) {
  const fs::path out = dir_ / "burn";
  testing::Process p({"burn", "--cpu", "--duration", "3s", "--size", "128", "--precision", "fp64",
                      "--progress", "1", "--out", out.string()},
                     dir_ / "capture");
  const auto started = std::chrono::steady_clock::now();
  while (p.out().find("[    1 s]") == std::string::npos &&
         std::chrono::steady_clock::now() < started + std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  p.signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(13));
  p.signal(SIGCONT);
  p.wait();
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_TRUE(doc.burn.has_value()) << p.out() << p.err();
  ASSERT_EQ(doc.burn->devices.size(), 1u) << p.out();
  const BurnDevice& cpu = doc.burn->devices.front();
  EXPECT_NE(cpu.cut_short.find("was stopped unfinished 1"), std::string::npos) << p.out();
  EXPECT_NE(cpu.cut_short.find("s past the 3 s duration"), std::string::npos) << cpu.cut_short;
  EXPECT_LT(cpu.seconds, 17) << cpu.cut_short;
  EXPECT_NE(cpu.why.find(cpu.cut_short), std::string::npos) << cpu.why;
  if (cpu.iterations < 2) {
    EXPECT_EQ(cpu.verdict, BurnVerdict::unchecked);
  }
  // The cut iteration's runs are in the throughput: the last point took the stall.
  ASSERT_FALSE(cpu.throughput.empty());
  EXPECT_GT(cpu.throughput.back().run_s, 10) << cpu.throughput.back().at_s;
}

// Ctrl-C before a device's first iteration was checked: UNCHECKED, not OK (nothing was) nor
// DEGRADED, and the burn fails.
TEST_F(Cli, CtrlCBeforeTheFirstCheckLeavesTheDeviceUnchecked) {
  const fs::path out = dir_ / "burn";
  // The interrupt lands during setup: two sizing runs of 0.2 to 0.6 s each on two cores and their
  // verification follow the start line, and the first iteration then does not begin, whether it
  // would have been one run or several.
  testing::Process p({"burn", "--cpu", "--duration", "10m", "--size", "2048", "--precision", "fp64",
                      "--out", out.string()},
                     dir_ / "capture");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (p.out().find("burning cpu") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  p.signal(SIGINT);
  EXPECT_EQ(p.wait(), kExitInterrupted) << p.out() << p.err();
  // No median: a device that measured nothing has no rate, not one of 0.
  EXPECT_TRUE(std::regex_search(
      p.out(),
      std::regex(R"(\ncpu   FP64 UNCHECKED 0 runs in [0-9.]+ s: no iteration was checked\n)")))
      << p.out();
  const ResultsDocument doc = read_results_file(out / "results.json");
  EXPECT_TRUE(doc.run.interrupted);
  ASSERT_TRUE(doc.burn.has_value());
  ASSERT_EQ(doc.burn->devices.size(), 1u);
  EXPECT_EQ(doc.burn->devices[0].verdict, BurnVerdict::unchecked);
  EXPECT_EQ(doc.burn->devices[0].why, "no iteration was checked");
  // Interrupted, with nothing found: INCOMPLETE, no pass.
  EXPECT_NE(read_text(out / "report.md")
                .find("INCOMPLETE (interrupted): 1 device burn of 600 s each: 0 OK, 0 FAULTY, "
                      "0 DEGRADED (below the best sibling by more than "
                      "10%, or throttled), 1 UNCHECKED"),
            std::string::npos);
  // Its row: no busy share, no median, no drop.
  EXPECT_TRUE(
      std::regex_search(read_text(out / "report.md"),
                        std::regex(R"(\| UNCHECKED \| +0 \| +[0-9.]+ \| +- \| +- \| +- \|)")));
  EXPECT_NE(read_text(out / "results.json").find("\"median_gflops\": null"), std::string::npos);
}

// FLOPBENCH_BURN_INJECT_FAULT for the span of a test.
class InjectedFaultEnvironment {
 public:
  explicit InjectedFaultEnvironment(const char* value) {
    setenv("FLOPBENCH_BURN_INJECT_FAULT", value, 1);
  }
  ~InjectedFaultEnvironment() { unsetenv("FLOPBENCH_BURN_INJECT_FAULT"); }
  InjectedFaultEnvironment(const InjectedFaultEnvironment&) = delete;
  InjectedFaultEnvironment& operator=(const InjectedFaultEnvironment&) = delete;
};

// A short CPU burn end to end: a verdict, results.json with the time series, report.md and
// report.html with its chart, exit 0; then `check` judges it with burn criteria.
TEST_F(Cli, BurnWritesItsResultsAndCheckJudgesThem) {
  const fs::path out = dir_ / "burn";
  // 4 s for the 3 windows of a second asserted below: a window closes with the iteration that
  // ends it, up to half a second late, and a shared host can stall.
  const Outcome o = flopbench({"burn", "--cpu", "--duration", "4s", "--size", "128", "--progress",
                               "1", "--out", out.string()});
  ASSERT_EQ(o.status, kExitOk) << o.out << o.err;
  EXPECT_NE(o.out.find("results: " + out.string()), std::string::npos) << o.out;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_TRUE(doc.burn.has_value());
  EXPECT_TRUE(doc.run.complete());
  EXPECT_EQ(doc.burn->duration_s, 4);
  const BurnDevice& cpu = doc.burn->devices.back();
  EXPECT_EQ(cpu.device, DeviceRef::cpu());
  EXPECT_EQ(cpu.implementation, "omp");
  EXPECT_EQ(cpu.verdict, BurnVerdict::ok) << cpu.why;
  EXPECT_GE(cpu.seconds, 4);
  EXPECT_GE(cpu.throughput.size(), 3u);  // one point a second
  EXPECT_GE(cpu.cpu_load.size(), 2u);    // and a load reading
  for (const CpuBurnReading& r : cpu.cpu_load) {
    EXPECT_GE(r.other_cpus, 0);
    EXPECT_GE(r.steal_cpus, 0);
  }
  for (std::size_t i = 1; i < cpu.throughput.size(); ++i) {
    EXPECT_GT(cpu.throughput[i].at_s, cpu.throughput[i - 1].at_s);
    EXPECT_GT(cpu.throughput[i].gflops, 0);
  }
  const std::string html = read_text(out / "report.html");
  EXPECT_NE(html.find("<h2 id=\"burn\">Burn-in</h2>"), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"throughput\""), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"foreign load\""), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  const std::string md = read_text(out / "report.md");
  EXPECT_TRUE(std::regex_search(md, std::regex(R"(\| cpu +\| FP64 +\| OK +\|)"))) << md;

  const fs::path spec = dir_ / "burn.csv";
  const auto check_with = [&](const std::string& rows) {
    write_file_atomically(spec, "metric,comparator,bound,severity,applies_to,description\n" + rows);
    return flopbench(
        {"check", "--results", (out / "results.json").string(), "--spec", spec.string()});
  };
  const Outcome pass = check_with(
      "burn.faulty,==,0,fail,any,\nburn.degraded,==,0,fail,any,\n"
      "burn.duration_s,>=,3,fail,any,\nburn.cpu.faulty,==,0,fail,any,\n");
  EXPECT_EQ(pass.status, kExitOk) << pass.out << pass.err;
  EXPECT_NE(pass.out.find("PASS"), std::string::npos) << pass.out;
  const Outcome too_short = check_with("burn.duration_s,>=,600,fail,any,ten minutes\n");
  EXPECT_EQ(too_short.status, kExitFailures) << too_short.out << too_short.err;
  EXPECT_NE(too_short.out.find("burn.duration_s"), std::string::npos) << too_short.out;
}

// The matrix precisions burn on the CPU through oneDNN, every iteration checked bit for bit, INT8
// in GOP/s; where this CPU or build cannot run one, the burn refuses it before anything runs. A
// precision no CPU implementation has (FP8) is refused everywhere.
TEST_F(Cli, BurnRunsTheMatrixPrecisionsOnOneDnnOrSaysWhyNot) {
  const Implementation* onednn = registry().find(WorkloadId::gemm, "onednn");
  ASSERT_NE(onednn, nullptr);
  for (const Precision p : {Precision::bf16, Precision::int8}) {
    const std::string label(precision_label(p));
    const fs::path out = dir_ / ("burn-" + label);
    const Outcome o = flopbench({"burn", "--cpu", "--duration", "2s", "--size", "128",
                                 "--precision", std::string(to_string(p)), "--out", out.string()});
    if (const std::string why = onednn->unsupported_reason(p); !why.empty()) {
      expect_one_line_error(o, "cannot burn cpu at " + label + " with onednn: " + why);
      continue;
    }
    ASSERT_EQ(o.status, kExitOk) << o.out << o.err;
    EXPECT_NE(o.out.find("cpu   " + label + " OK"), std::string::npos) << o.out;
    const std::string unit = p == Precision::int8 ? " GOP/s" : " GFLOP/s";
    EXPECT_NE(o.out.find(unit), std::string::npos) << o.out;
    const ResultsDocument doc = read_results_file(out / "results.json");
    ASSERT_TRUE(doc.burn.has_value());
    const BurnDevice& cpu = doc.burn->devices.back();
    EXPECT_EQ(cpu.implementation, "onednn");
    EXPECT_EQ(cpu.precision, p);
    EXPECT_EQ(cpu.verdict, BurnVerdict::ok) << cpu.why;
    EXPECT_GT(cpu.iterations, 1);
    EXPECT_NE(read_text(out / "report.md").find(unit), std::string::npos);
  }
  expect_one_line_error(flopbench({"burn", "--cpu", "--duration", "1s", "--precision", "fp8_e4m3"}),
                        "cannot burn cpu at FP8 E4M3 with onednn: ");
}

// A wrong result and a NaN, injected into one run's read-back output on the CPU path: FAULTY
// with the run and the element, in the console and in results.json, and exit 1.
TEST_F(Cli, BurnWithAnInjectedFaultIsFaultyAndExitsOne) {
  struct Case {
    const char* inject;
    std::string why;
  };
  for (const Case& c : {Case{"wrong:3", "iteration 3: element 3 (row 3, column 0) is "},
                        Case{"nan:2", "iteration 2: element 3 (row 3, column 0) is nan"}}) {
    const InjectedFaultEnvironment inject(c.inject);
    const fs::path out = dir_ / fmt::format("burn-{}", c.inject[0]);
    // A long duration: the fault, not the clock, ends the burn.
    const Outcome o =
        flopbench({"burn", "--cpu", "--duration", "10m", "--size", "64", "--out", out.string()});
    EXPECT_EQ(o.status, kExitFailures) << c.inject << o.out << o.err;
    EXPECT_NE(o.out.find("cpu   FP64 FAULTY"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find(c.why), std::string::npos) << o.out;
    const ResultsDocument doc = read_results_file(out / "results.json");
    ASSERT_TRUE(doc.burn.has_value());
    const BurnDevice& cpu = doc.burn->devices.back();
    EXPECT_EQ(cpu.verdict, BurnVerdict::faulty) << c.inject;
    EXPECT_TRUE(cpu.why.starts_with(c.why)) << cpu.why;
    if (c.inject[0] == 'w') {
      EXPECT_NE(cpu.why.find("where the first iteration gave"), std::string::npos) << cpu.why;
    }
    EXPECT_NE(read_text(out / "report.html").find("FAULTY"), std::string::npos);
  }
  const InjectedFaultEnvironment bad("wrong");
  expect_one_line_error(flopbench({"burn", "--cpu", "--duration", "1s"}),
                        "FLOPBENCH_BURN_INJECT_FAULT=wrong: expected wrong:N or nan:N");
}

// Without a GPU there is nothing to test: a one-line error and exit 2, never a pass. With one,
// a small test passes, and one that would fit in the L2 cache is refused. A size whose bytes
// would not fit the test's integers is bad input, wherever it runs.
TEST_F(Cli, MemtestSaysWhyItCannotRun) {
  for (const char* size : {"0", "-1", "1048577", "1e300", "nan"}) {
    expect_one_line_error(flopbench({"memtest", "--size-gib", size, "--duration", "1s"}),
                          "--size-gib: expected more than 0 and at most 1048576");
  }
  // With the GPUs hidden, a machine that has some says so too.
  const testing::ScopedEnv no_gpus("CUDA_VISIBLE_DEVICES", "");
  const fs::path out = dir_ / "memtest";
  const Outcome o =
      flopbench({"memtest", "--size-gib", "0.25", "--duration", "5s", "--out", out.string()});
  expect_one_line_error(o, FLOPBENCH_HAVE_CUDA ? "memtest: no CUDA device: "
                                               : "memtest needs the CUDA build of flopbench");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, MemtestTestsEveryGpu) {
  const GpuInventory gpus = gpu_inventory();
  if (!FLOPBENCH_HAVE_CUDA || gpus.devices.empty()) GTEST_SKIP() << "no CUDA device";
  // 0.25 GiB, or as many quarter GiB as reach 4 x the largest L2 (the test refuses less).
  std::int64_t bytes = 1LL << 28;
  for (const GpuDevice& g : gpus.devices) {
    while (bytes < kMemtestCacheMultiple * g.l2_bytes) bytes += 1LL << 28;
  }
  const fs::path out = dir_ / "memtest";
  const Outcome o = flopbench({"memtest", "--size-gib",
                               fmt::format("{}", static_cast<double>(bytes) / (1LL << 30)),
                               "--duration", "5s", "--out", out.string()});
  EXPECT_EQ(o.status, kExitOk) << o.out << o.err;
  const ResultsDocument doc = read_results_file(out / "results.json");
  ASSERT_TRUE(doc.memtest.has_value());
  ASSERT_EQ(doc.memtest->devices.size(), gpus.devices.size());
  EXPECT_EQ(doc.run.gpus, std::vector<int>{});  // every GPU
  for (const MemtestDevice& d : doc.memtest->devices) {
    EXPECT_TRUE(d.passed()) << d.device << ": " << d.bad_words << " bad words, " << d.failure
                            << ", memory errors: " << memtest_memory_errors_text(d);
    EXPECT_EQ(d.bytes_tested, bytes);
    EXPECT_EQ(d.bytes_asked, bytes);
    EXPECT_GE(d.passes, 1);
    EXPECT_EQ(d.patterns.size(), 3u);
  }

  // 1 MiB is below 4 x any L2 this test's GPUs have: refused, not passed.
  const fs::path cached = dir_ / "memtest-cached";
  const Outcome c = flopbench({"memtest", "--size-gib", "0.0009765625", "--duration", "5s",
                               "--gpus", "0", "--out", cached.string()});
  EXPECT_EQ(c.status, kExitFailures) << c.out << c.err;
  const ResultsDocument refused = read_results_file(cached / "results.json");
  ASSERT_TRUE(refused.memtest.has_value());
  EXPECT_EQ(refused.run.gpus, std::vector<int>{0});  // the GPUs --gpus gave it
  ASSERT_EQ(refused.memtest->devices.size(), 1u);
  for (const MemtestDevice& d : refused.memtest->devices) {
    EXPECT_FALSE(d.passed()) << d.device;
    EXPECT_NE(d.failure.find("L2 cache"), std::string::npos) << d.device << ": " << d.failure;
    EXPECT_EQ(d.bytes_tested, 0) << d.device;
  }
}

TEST(ExitStatus, FailuresAndInterruptionsAreNonZero) {
  ResultsDocument doc;
  doc.measurements.resize(2);
  doc.measurements[0].disposition = Disposition::passed;
  doc.measurements[1].disposition = Disposition::unsupported;
  EXPECT_EQ(run_exit_status(doc), kExitOk);
  doc.measurements[1].disposition = Disposition::incorrect;
  EXPECT_EQ(run_exit_status(doc), kExitFailures);
  doc.measurements[1].disposition = Disposition::failed;
  EXPECT_EQ(run_exit_status(doc), kExitFailures);
  doc.run.interrupted = true;
  EXPECT_EQ(run_exit_status(doc), kExitInterrupted);
}

}  // namespace
}  // namespace flopbench

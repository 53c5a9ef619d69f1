// Fleets: launcher awareness, --out placeholders, --gpus local-rank, merge (medians, outliers,
// missing and bad nodes), the fleet record, its reports, the fleet check and its JUnit XML, and
// the commands end to end through the built binary.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/cli_selection.hpp"
#include "app/out_placeholders.hpp"
#include "harness/core/input_file.hpp"
#include "harness/machine/launcher.hpp"
#include "reports/acceptance/fleet_judge.hpp"
#include "reports/burn_report.hpp"
#include "reports/fleet.hpp"
#include "reports/fleet_report.hpp"
#include "reports/output_files.hpp"
#include "reports/results_json.hpp"
#include "tests/process.hpp"
#include "tests/test_support.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::run_flopbench;
using testing::TempDir;

EnvLookup env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(Launcher, ReadsEachLaunchersVariables) {
  const Launch slurm = detect_launch(env_of({{"SLURM_PROCID", "5"},
                                             {"SLURM_LOCALID", "1"},
                                             {"SLURM_NODEID", "2"},
                                             {"SLURM_NTASKS", "8"},
                                             {"SLURM_JOB_ID", "4242"},
                                             {"PMIX_RANK", "5"}}));
  EXPECT_EQ(slurm.launcher, "slurm");
  EXPECT_EQ(slurm.rank, 5);
  EXPECT_EQ(slurm.local_rank, 1);
  EXPECT_EQ(slurm.node, 2);
  EXPECT_EQ(slurm.tasks, 8);
  EXPECT_EQ(slurm.job, "4242");
  EXPECT_EQ(slurm.node_name, "");
  EXPECT_FALSE(slurm.step.has_value());
  EXPECT_EQ(
      detect_launch(env_of({{"SLURM_PROCID", "0"}, {"SLURMD_NODENAME", "gpu-st-7"}})).node_name,
      "gpu-st-7");
  // srun's step; a value that is no step number leaves none, and does not refuse to run.
  EXPECT_EQ(detect_launch(env_of({{"SLURM_PROCID", "0"}, {"SLURM_STEP_ID", "3"}})).step, 3);
  EXPECT_FALSE(
      detect_launch(env_of({{"SLURM_PROCID", "0"}, {"SLURM_STEP_ID", "batch"}})).step.has_value());

  // mpirun inside a Slurm allocation: Open MPI's rank, Slurm's job.
  const Launch ompi = detect_launch(env_of({{"OMPI_COMM_WORLD_RANK", "3"},
                                            {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
                                            {"OMPI_COMM_WORLD_SIZE", "4"},
                                            {"OMPI_MCA_ess_base_jobid", "99"},
                                            {"SLURM_PROCID", "0"},
                                            {"SLURMD_NODENAME", "batch-node"},
                                            {"SLURM_JOB_ID", "4242"}}));
  EXPECT_EQ(ompi.launcher, "openmpi");
  EXPECT_EQ(ompi.node_name, "");  // the batch step's node, not necessarily this rank's
  EXPECT_FALSE(ompi.step.has_value());
  EXPECT_EQ(ompi.rank, 3);
  EXPECT_EQ(ompi.local_rank, 0);
  EXPECT_EQ(ompi.tasks, 4);
  EXPECT_FALSE(ompi.node.has_value());
  EXPECT_EQ(ompi.job, "4242");

  const Launch pmix = detect_launch(env_of({{"PMIX_RANK", "7"}, {"PMIX_NAMESPACE", "ns1"}}));
  EXPECT_EQ(pmix.launcher, "pmix");
  EXPECT_EQ(pmix.rank, 7);
  EXPECT_EQ(pmix.job, "ns1");

  const Launch mpich =
      detect_launch(env_of({{"PMI_RANK", "2"}, {"PMI_SIZE", "6"}, {"MPI_LOCALRANKID", "1"}}));
  EXPECT_EQ(mpich.launcher, "mpich");
  EXPECT_EQ(mpich.rank, 2);
  EXPECT_EQ(mpich.local_rank, 1);
  EXPECT_EQ(mpich.tasks, 6);
  EXPECT_EQ(mpich.job, "");

  // MPICH's or Intel MPI's mpirun in a Slurm job: its per-node proxy was srun's task 1, the
  // rank is PMI's.
  const Launch hydra = detect_launch(env_of({{"SLURM_PROCID", "1"},
                                             {"SLURM_LOCALID", "0"},
                                             {"SLURM_JOB_ID", "4242"},
                                             {"PMI_RANK", "6"},
                                             {"PMI_SIZE", "8"},
                                             {"MPI_LOCALRANKID", "2"}}));
  EXPECT_EQ(hydra.launcher, "mpich");
  EXPECT_EQ(hydra.rank, 6);
  EXPECT_EQ(hydra.local_rank, 2);
  EXPECT_EQ(hydra.job, "4242");
  // Rank 0 on node 0 has PMI_RANK == SLURM_PROCID: the other variables tell the proxy apart.
  const Launch hydra_rank0 = detect_launch(env_of({{"SLURM_PROCID", "0"},
                                                   {"SLURM_NTASKS", "2"},
                                                   {"PMI_RANK", "0"},
                                                   {"PMI_SIZE", "8"},
                                                   {"MPI_LOCALRANKID", "0"}}));
  EXPECT_EQ(hydra_rank0.launcher, "mpich");
  EXPECT_EQ(hydra_rank0.tasks, 8);
  // srun's own tasks with PMI-2 have both, equal: Slurm's.
  EXPECT_EQ(
      detect_launch(
          env_of(
              {{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "8"}, {"PMI_RANK", "3"}, {"PMI_SIZE", "8"}}))
          .launcher,
      "slurm");

  const Launch direct = detect_launch(env_of({{"SLURM_JOB_ID", "4242"}}));
  EXPECT_EQ(direct.launcher, "");
  EXPECT_FALSE(direct.rank.has_value());
}

TEST(Launcher, AVariableThatIsNoNumberIsNamed) {
  try {
    detect_launch(env_of({{"SLURM_PROCID", "0"}, {"SLURM_LOCALID", "x1"}}));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("SLURM_LOCALID=x1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(detect_launch(env_of({{"PMI_RANK", "-1"}})), InputError);
  // A rank past the job's task count would write one node's results under another's rank.
  try {
    detect_launch(env_of({{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "2"}}));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "SLURM_PROCID=3 with SLURM_NTASKS=2: no such task in a job of 2 tasks"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(
      detect_launch(env_of({{"OMPI_COMM_WORLD_RANK", "4"}, {"OMPI_COMM_WORLD_SIZE", "4"}})),
      InputError);
  EXPECT_EQ(detect_launch(env_of({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}})).rank, 1);
  // A task count its results could not be read back with (merge would stand in a node for each
  // missing rank): refused before anything is measured.
  try {
    detect_launch(env_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "300000"}}));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format(
                  "SLURM_NTASKS=300000: not a task count of a job (1 to {})", kMostLaunchTasks)),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(detect_launch(
                env_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", std::to_string(kMostLaunchTasks)}}))
                .tasks,
            kMostLaunchTasks);
}

TEST(OutPlaceholders, ExpandsHostRankJobAndTime) {
  const Launch launch{"slurm", "4242", 3, 1, 0, 4};
  EXPECT_EQ(expand_out_placeholders("/shared/{job}/{host}-{rank}-{time}", "node-7", launch,
                                    "20260101-000000"),
            "/shared/4242/node-7-3-20260101-000000");
  EXPECT_EQ(expand_out_placeholders("plain/dir", "node-7", {}, "t"), "plain/dir");
  EXPECT_EQ(expand_out_placeholders("{host}", "node-7", {}, "t"), "node-7");
  // A host name or job id is one path component: it cannot lead the directory out of --out.
  Launch odd = launch;
  odd.job = "../../etc";
  EXPECT_EQ(expand_out_placeholders("out/{host}/{job}", "a/../../b", odd, "t"),
            "out/a_.._.._b/.._.._etc");
}

TEST(OutPlaceholders, BadPatternsAreNamed) {
  const auto message = [](std::string_view out, const Launch& launch) {
    try {
      expand_out_placeholders(out, "h", launch, "t");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("r/{rank}", {}).find("{rank} is the launcher's rank"), std::string::npos);
  EXPECT_NE(message("r/{job}", Launch{"mpich", "", 1}).find("{job}"), std::string::npos);
  EXPECT_NE(message("r/{hostname}", {}).find("unknown placeholder {hostname}"), std::string::npos);
  EXPECT_NE(message("r/{host", {}).find("without"), std::string::npos);
}

TEST(GpusOption, LocalRankTakesTheTasksGpu) {
  EXPECT_EQ(parse_gpus("local-rank", Launch{"openmpi", "", 5, 2}), (std::vector<int>{2}));
  try {
    parse_gpus("local-rank", {});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("SLURM_LOCALID"), std::string::npos) << e.what();
  }
}

// A burn or memory test given every GPU of a node that lost one of its eight is refused, naming
// the GPUs CUDA sees so that they can be given; not where GPUs were chosen, or CUDA sees them all.
TEST(GpusOption, EveryGpuOfANodeThatLostOneIsRefused) {
  const testing::ScopedEnv cuda("CUDA_VISIBLE_DEVICES", std::nullopt);
  const testing::ScopedEnv container("NVIDIA_VISIBLE_DEVICES", std::nullopt);
  Environment env;
  env.health.emplace();
  env.health->host["pci.nvidia_gpus"] = HealthFact::of(8);
  env.health->gpus.resize(8);
  for (int index = 0; index < 7; ++index) {  // CUDA numbers the seven it sees 0 to 6
    GpuDevice d;
    d.index = index;
    env.gpu.devices.push_back(d);
    env.health->gpus[std::size_t(index) + (index >= 3)].cuda_visible = true;
  }
  env.health->gpus[3].lost = true;
  EXPECT_EQ(gpus_left_out(env, std::nullopt, "burn", "burn", "burned in"),
            "burn: CUDA sees 7 of the 8 NVIDIA GPUs given to this process (those the driver "
            "lists, or CUDA_VISIBLE_DEVICES names): 1 cannot be burned in (lost, or in MIG mode), "
            "which fails the burn; --gpus 0,1,2,3,4,5,6 (CUDA's numbering) burns those CUDA sees");
  EXPECT_EQ(gpus_left_out(env, std::vector<int>{0, 1}, "burn", "burn", "burned in"), "");
  {
    const testing::ScopedEnv job("CUDA_VISIBLE_DEVICES", "0,1,2,4,5,6,7");
    EXPECT_EQ(gpus_left_out(env, std::nullopt, "memtest", "test", "tested"), "");
  }
  env.health->gpus.erase(env.health->gpus.begin() + 3);  // healthy: NVML lists the seven
  EXPECT_EQ(gpus_left_out(env, std::nullopt, "memtest", "test", "tested"), "");
}

// ---- merge ------------------------------------------------------------------------------------

MeasurementRecord sgemm(DeviceRef device, double gflops) {
  MeasurementRecord r;
  r.workload = WorkloadId::gemm;
  r.implementation = device.on_gpu() ? "cublas" : "omp";
  r.device = std::move(device);
  r.precision = Precision::fp32;
  r.problem = Problem::matrix(256, 256, 256);
  r.disposition = Disposition::passed;
  r.timing = r.device.on_gpu() ? "device_events" : "host_real_time";
  r.gflops = gflops;
  r.samples_s = {2.0 * 256 * 256 * 256 / (gflops * 1e9)};
  return r;
}

// A node's results: a CPU SGEMM and one SGEMM per GPU, at these rates.
ResultsDocument node(const std::string& host, std::optional<int> rank, double cpu_gflops,
                     const std::vector<double>& gpu_gflops = {}) {
  ResultsDocument doc;
  doc.environment.host = host;
  doc.environment.flopbench_version = "0.1.0";
  doc.environment.git_commit = "abc";
  doc.run.profile = "quick";
  doc.run.started_utc = "2025-12-31T23:59:00Z";
  doc.run.finished_utc = "2026-01-01T00:00:00Z";
  if (rank) doc.run.launch = {"openmpi", "9", rank, 0, std::nullopt, std::nullopt};
  doc.measurements.push_back(sgemm(DeviceRef::cpu(), cpu_gflops));
  for (std::size_t i = 0; i < gpu_gflops.size(); ++i) {
    doc.measurements.push_back(sgemm(DeviceRef::gpu({int(i)}), gpu_gflops[i]));
    doc.environment.gpu.devices.push_back({.index = int(i), .name = "GPU"});
  }
  return doc;
}

fs::path write_node(const fs::path& root, const ResultsDocument& doc, const std::string& name) {
  const fs::path dir = root / name;
  fs::create_directories(dir);
  write_file_atomically(dir / "results.json", JsonPrinter().print(doc));
  return dir;
}

const Outlier* outlier_of(const FleetAnalysis& a, const std::string& node,
                          const std::string& device) {
  for (const auto& o : a.outliers) {
    if (node_label(*o.node) == node && o.device.label() == device) return &o;
  }
  return nullptr;
}

TEST(FleetMerge, FlagsTheSlowNodeAndGpuWithMetricAndDeviation) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  const std::vector<double> cpu = {100, 101, 99, 70, 100};
  for (int i = 0; i < 5; ++i) {
    const std::vector<double> gpus = {1000, i == 2 ? 600.0 : 1000.0};
    inputs.push_back(write_node(tmp.path(),
                                node(fmt::format("node-{}", i), std::nullopt, cpu[i], gpus),
                                fmt::format("n{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.nodes_reporting, 5);
  ASSERT_EQ(a.outliers.size(), 2u);
  const Outlier* slow_cpu = outlier_of(a, "node-3", "cpu");
  ASSERT_NE(slow_cpu, nullptr);
  EXPECT_EQ(slow_cpu->metric->name, "cpu.sgemm.omp 256x256x256");
  EXPECT_DOUBLE_EQ(slow_cpu->metric->median, 100);
  EXPECT_DOUBLE_EQ(slow_cpu->median, 100);  // of the others: 99, 100, 100, 101
  EXPECT_DOUBLE_EQ(slow_cpu->deviation_percent, -30);
  EXPECT_NE(slow_cpu->rule.find("10% below the median of the others"), std::string::npos);
  // GPUs of any index compare with each other: node-2's gpu1 is the slow one.
  const Outlier* slow_gpu = outlier_of(a, "node-2", "gpu1");
  ASSERT_NE(slow_gpu, nullptr);
  EXPECT_EQ(slow_gpu->metric->name, "gpu.sgemm.cublas 256x256x256");
  EXPECT_EQ(slow_gpu->metric->values.size(), 10u);
}

// A slow value is judged against the median of the others, which it does not pull down: of two
// nodes, or one node's two GPUs, the one 18 % behind the other is an outlier (against the median
// of both, their mean, it would be 9.9 % below and pass); of four, so are two 15 % behind.
TEST(FleetMerge, AFewValuesAreEachJudgedAgainstTheOthers) {
  TempDir tmp;
  const auto merged = [&](const std::vector<ResultsDocument>& docs) {
    std::vector<fs::path> inputs;
    for (const ResultsDocument& doc : docs) {
      inputs.push_back(write_node(tmp.path(), doc, doc.environment.host));
    }
    return merge_results(inputs, std::nullopt, {}, 10, "T");
  };
  const FleetRecord two_nodes = merged({node("a", std::nullopt, 100), node("b", std::nullopt, 82)});
  const FleetAnalysis pair = analyse_fleet(two_nodes);
  ASSERT_EQ(pair.outliers.size(), 1u);
  EXPECT_EQ(node_label(*pair.outliers[0].node), "b");
  EXPECT_DOUBLE_EQ(pair.outliers[0].median, 100);
  EXPECT_NEAR(pair.outliers[0].deviation_percent, -18, 1e-9);

  const FleetRecord two_gpus = merged({node("c", std::nullopt, 100, {1000, 820})});
  const FleetAnalysis gpus = analyse_fleet(two_gpus);
  ASSERT_EQ(gpus.outliers.size(), 1u);
  EXPECT_EQ(gpus.outliers[0].device, DeviceRef::gpu({1}));

  const FleetRecord four_nodes = merged({node("d", std::nullopt, 100), node("e", std::nullopt, 100),
                                         node("f", std::nullopt, 85), node("g", std::nullopt, 85)});
  const FleetAnalysis four = analyse_fleet(four_nodes);
  ASSERT_EQ(four.outliers.size(), 2u);
  EXPECT_EQ(node_label(*four.outliers[0].node), "f");
  EXPECT_EQ(node_label(*four.outliers[1].node), "g");
  // Within the threshold of the others, nothing is.
  const FleetRecord close = merged({node("h", std::nullopt, 100), node("i", std::nullopt, 91)});
  EXPECT_TRUE(analyse_fleet(close).outliers.empty());

  // Of an even number of others, a value is judged against the lower middle one: two equal nodes
  // beside a fast third are no outliers (against the mean of 100 and 125 each would be 11 %
  // below), a slow third is one.
  const FleetRecord fast_third =
      merged({node("j", std::nullopt, 100, {1000, 1000, 1250}), node("k", std::nullopt, 100),
              node("l", std::nullopt, 125)});
  const FleetAnalysis fast = analyse_fleet(fast_third);
  EXPECT_TRUE(fast.outliers.empty()) << node_label(*fast.outliers.at(0).node);
  for (const FleetMetric& m : fast.metrics) {
    for (const FleetValue& v : m.values) {
      EXPECT_DOUBLE_EQ(v.others_median, v.value == 100 || v.value == 125 ? 100 : 1000) << m.name;
    }
  }
  const FleetRecord slow_third = merged(
      {node("m", std::nullopt, 100), node("n", std::nullopt, 100), node("o", std::nullopt, 80)});
  const FleetAnalysis slow = analyse_fleet(slow_third);
  ASSERT_EQ(slow.outliers.size(), 1u);
  EXPECT_EQ(node_label(*slow.outliers[0].node), "o");

  // Several GPUs at once compare with as many of any indices, in any order.
  const auto pair_of = [](const std::string& host, std::vector<int> indices, double gflops) {
    ResultsDocument doc = node(host, std::nullopt, 100, {1000, 1000, 1000, 1000});
    doc.measurements.push_back(sgemm(DeviceRef::gpu(std::move(indices)), gflops));
    return doc;
  };
  const FleetRecord pair_fleet =
      merged({pair_of("p", {0, 1}, 2000), pair_of("q", {1, 0}, 2000), pair_of("r", {2, 3}, 1500)});
  const FleetAnalysis pairs = analyse_fleet(pair_fleet);
  const auto both = std::ranges::find_if(
      pairs.metrics, [](const FleetMetric& m) { return m.name.starts_with("2 gpus."); });
  ASSERT_NE(both, pairs.metrics.end());
  EXPECT_EQ(both->name, "2 gpus.sgemm.cublas 256x256x256");
  EXPECT_EQ(both->values.size(), 3u);
  ASSERT_EQ(pairs.outliers.size(), 1u);
  EXPECT_EQ(pairs.outliers[0].device, DeviceRef::gpu({2, 3}));
}

// A batch script's two sruns (a CPU step, one task per node, then a GPU step, a task per GPU)
// number their tasks afresh: node-a's rank 0 of each is a result of its own, each step's ranks
// are complete, and the later step's tasks are labelled with it.
TEST(FleetMerge, TheStepsOfASlurmJobAreResultsOfTheirOwn) {
  TempDir tmp;
  const auto task = [](int rank, int step, int tasks) {
    ResultsDocument doc =
        node("node-a", rank, 100, step == 1 ? std::vector<double>{1000} : std::vector<double>{});
    doc.run.launch = {.launcher = "slurm", .job = "42", .rank = rank, .tasks = tasks, .step = step};
    return doc;
  };
  const FleetRecord fleet = merge_results({write_node(tmp.path(), task(0, 0, 1), "cpu-a"),
                                           write_node(tmp.path(), task(0, 1, 2), "gpu-a0"),
                                           write_node(tmp.path(), task(1, 1, 2), "gpu-a1")},
                                          std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_TRUE(a.failed.empty());
  std::vector<std::string> labels;
  for (const FleetNode& n : fleet.nodes) labels.push_back(node_label(n));
  EXPECT_EQ(labels, (std::vector<std::string>{"node-a rank 0", "node-a rank 0 step 1",
                                              "node-a rank 1 step 1"}));
  // Step 1 of two tasks without its rank 1: that rank is missing, named with its step.
  const FleetRecord short_one = merge_results({write_node(tmp.path(), task(0, 0, 1), "cpu-b"),
                                               write_node(tmp.path(), task(0, 1, 2), "gpu-b0")},
                                              std::nullopt, {}, 10, "T");
  ASSERT_EQ(analyse_fleet(short_one).failed.size(), 1u);
  EXPECT_EQ(analyse_fleet(short_one).failed[0]->problem,
            "rank 1 of the 2 tasks of slurm job 42 step 1: no readable result among the inputs");
  // A Slurm result from before steps were recorded is of step 0, as the step's other ranks are.
  ResultsDocument stepless = task(0, 0, 2);
  stepless.run.launch.step.reset();
  stepless.environment.host = "node-b";
  const FleetRecord mixed = merge_results(
      {write_node(tmp.path(), stepless, "old-b0"), write_node(tmp.path(), task(1, 0, 2), "new-a1")},
      std::nullopt, {}, 10, "T");
  EXPECT_TRUE(analyse_fleet(mixed).failed.empty());
}

// `merge` of a good node and `bad` ones exits 1 and says `problem` on stderr; of the good one
// alone, 0.
void expect_merge_fails_but_not_without_them(const fs::path& dir, const fs::path& good,
                                             const std::vector<fs::path>& bad,
                                             const std::string& problem) {
  std::vector<std::string> args = {"merge", good.string()};
  for (const fs::path& b : bad) args.push_back(b.string());
  args.insert(args.end(), {"--out", (dir / "fleet").string()});
  const auto merged = run_flopbench(args, dir / "capture");
  EXPECT_EQ(merged.status, kExitFailures) << merged.out << merged.err;
  EXPECT_NE(merged.err.find(problem), std::string::npos) << merged.err;
  const auto passed =
      run_flopbench({"merge", good.string(), "--out", (dir / "ok").string()}, dir / "capture");
  EXPECT_EQ(passed.status, 0) << passed.out << passed.err;
}

// A node whose burn-in did not pass (a GPU that corrupted data, one interrupted) has no metric
// to show it: merge names each problem, in every output, and exits 1; a node whose burn passed
// is no problem.
TEST(FleetMerge, ABurnInThatDidNotPassFailsTheMerge) {
  TempDir tmp;
  const auto with_burn = [](const std::string& host, BurnVerdict verdict, double seconds) {
    ResultsDocument doc = node(host, std::nullopt, 100);
    doc.burn = BurnResult{.duration_s = 600};
    BurnDevice d{.device = DeviceRef::gpu({1}),
                 .implementation = "cuda",
                 .precision = Precision::fp64,
                 .problem = Problem::matrix(2048, 2048, 2048),
                 .iterations = 10,
                 .seconds = seconds};
    d.verdict = verdict;
    if (verdict == BurnVerdict::faulty) d.why = "iteration 7: element 3 is nan";
    doc.burn->devices.push_back(d);
    return doc;
  };
  const auto good = write_node(tmp.path(), with_burn("node-a", BurnVerdict::ok, 600), "a"),
             faulty = write_node(tmp.path(), with_burn("node-b", BurnVerdict::faulty, 70), "b"),
             cut = write_node(tmp.path(), with_burn("node-c", BurnVerdict::ok, 30), "c");
  const FleetRecord fleet = merge_results({good, faulty, cut}, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  ASSERT_EQ(a.stress_problems.size(), 2u);
  EXPECT_EQ(a.stress_problems[0].test, kBurnIn);
  EXPECT_EQ(a.stress_problems[0].problem, "gpu1 FP64 FAULTY: iteration 7: element 3 is nan");
  EXPECT_EQ(a.stress_problems[1].problem, "gpu1 FP64 burned 30.0 of its 600 s");
  const std::string console = FleetConsolePrinter().print(fleet);
  EXPECT_NE(console.find("; burn-ins not passed on 2 nodes;"), std::string::npos) << console;
  EXPECT_NE(console.find("FAIL node-b: burn-in: gpu1 FP64 FAULTY: iteration 7"), std::string::npos);
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_NE(md.find("## Stress tests not passed"), std::string::npos);
  EXPECT_NE(md.find("reported; burn-in not passed: 1 problem"), std::string::npos) << md;
  EXPECT_NE(FleetHtmlPrinter().print(fleet).find("<div class=\"banner fail\">"), std::string::npos);

  expect_merge_fails_but_not_without_them(tmp.path(), good, {faulty, cut},
                                          "burn-ins not passed on 2 nodes");
}

// A memory test that found bad words, or that was cut short, is no metric either: named in
// every output, and the merge fails; the node whose memory passed is no problem.
TEST(FleetMerge, AMemoryTestThatDidNotPassFailsTheMerge) {
  TempDir tmp;
  const auto with_memtest = [](const std::string& host, std::int64_t bad_words, int passes,
                               bool interrupted) {
    ResultsDocument doc = node(host, std::nullopt, 100);
    doc.measurements.clear();
    doc.run.profile = kMemtestProfile;
    doc.run.interrupted = interrupted;
    doc.memtest = MemtestResult{.duration_s = 60};
    MemtestDevice d{.device = "gpu0", .bytes_tested = 1LL << 30, .passes = passes};
    d.bad_words = bad_words;
    doc.memtest->devices.push_back(d);
    return doc;
  };
  const auto good = write_node(tmp.path(), with_memtest("node-a", 0, 3, false), "a"),
             bad = write_node(tmp.path(), with_memtest("node-b", 12, 3, false), "b"),
             cut = write_node(tmp.path(), with_memtest("node-c", 0, 0, true), "c");
  const FleetRecord fleet = merge_results({good, bad, cut}, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  ASSERT_EQ(a.stress_problems.size(), 3u);
  EXPECT_EQ(a.stress_problems[0].test, kMemoryTest);
  EXPECT_EQ(a.stress_problems[0].problem, "gpu0 FAIL: 12 bad words");
  EXPECT_EQ(a.stress_problems[1].problem, "interrupted");
  EXPECT_EQ(a.stress_problems[2].problem, "gpu0 INCOMPLETE: no complete pass of every pattern");
  // With ECC on, an error the test read corrected shows in the counts alone.
  ResultsDocument corrected = with_memtest("node-d", 0, 3, false);
  corrected.memtest->devices[0].memory_error_rises = {{"ecc.corrected_volatile", 0, 3}};
  EXPECT_EQ(memtest_problems(*corrected.memtest, corrected.run),
            std::vector<std::string>{"gpu0 FAIL: ecc.corrected_volatile rose from 0 to 3"});
  // Its own problems say it was interrupted: not a second line as a run not finished.
  EXPECT_TRUE(a.unfinished.empty());
  const std::string console = FleetConsolePrinter().print(fleet);
  EXPECT_NE(console.find("; memory tests not passed on 2 nodes;"), std::string::npos) << console;
  EXPECT_NE(console.find("FAIL node-b memtest: memory test: gpu0 FAIL: 12 bad words"),
            std::string::npos)
      << console;
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_NE(md.find("## Stress tests not passed"), std::string::npos) << md;
  EXPECT_NE(md.find("reported; memory test not passed: 2 problems"), std::string::npos) << md;
  EXPECT_NE(FleetHtmlPrinter().print(fleet).find("<h2 id=\"stress\">Stress tests not passed</h2>"),
            std::string::npos);

  expect_merge_fails_but_not_without_them(tmp.path(), good, {bad, cut},
                                          "memory tests not passed on 2 nodes");
}

// A node whose run died half-way reported what it measured; what it did not is no metric, so
// nothing else would show it. It is listed, and fails the merge.
TEST(FleetMerge, ARunThatDidNotFinishFailsTheMerge) {
  TempDir tmp;
  ResultsDocument killed = node("node-b", std::nullopt, 100), stopped = node("node-c", 0, 100);
  killed.run.finished_utc = "";
  stopped.run.interrupted = true;
  const auto good = write_node(tmp.path(), node("node-a", std::nullopt, 100), "a"),
             dead = write_node(tmp.path(), killed, "b"), cut = write_node(tmp.path(), stopped, "c");
  const FleetRecord fleet = merge_results({good, dead, cut}, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  ASSERT_EQ(a.unfinished.size(), 2u);
  EXPECT_EQ(a.nodes_reporting, 3);  // what they measured still counts
  const std::string console = FleetConsolePrinter().print(fleet);
  EXPECT_NE(console.find("; runs not finished on 2 nodes;"), std::string::npos) << console;
  EXPECT_NE(console.find("FAIL node-b: the run did not finish (it was killed"), std::string::npos)
      << console;
  EXPECT_NE(console.find("FAIL node-c rank 0: the run was interrupted"), std::string::npos)
      << console;
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_NE(md.find("## Runs not finished"), std::string::npos) << md;
  EXPECT_NE(md.find("reported; the run did not finish"), std::string::npos) << md;
  const std::string html = FleetHtmlPrinter().print(fleet);
  EXPECT_NE(html.find("<div class=\"banner fail\">"), std::string::npos);
  EXPECT_NE(html.find("<h2 id=\"unfinished\">Runs not finished</h2>"), std::string::npos);

  expect_merge_fails_but_not_without_them(tmp.path(), good, {dead}, "runs not finished on 1 node");
}

// A rerun merged beside the run it replaces: the later run counts, whatever order they are given
// in.
TEST(FleetMerge, OfTwoResultsOfOneNodeTheLaterCounts) {
  TempDir tmp;
  ResultsDocument old_run = node("node-a", std::nullopt, 50),
                  rerun = node("node-a", std::nullopt, 100);
  old_run.run.started_utc = "2026-01-01T00:00:00Z";
  rerun.run.started_utc = "2026-01-02T00:00:00Z";
  const auto old_dir = write_node(tmp.path(), old_run, "old"),
             new_dir = write_node(tmp.path(), rerun, "new");
  for (const auto& inputs : {std::vector{old_dir, new_dir}, std::vector{new_dir, old_dir}}) {
    const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
    const FleetAnalysis a = analyse_fleet(fleet);
    ASSERT_EQ(a.failed.size(), 1u);
    EXPECT_NE(FleetConsolePrinter().print(fleet).find(
                  "1 node reported; 2 results merged, 1 failed, set aside or missing;"),
              std::string::npos);
    EXPECT_EQ(a.failed[0]->source, old_dir.string());
    EXPECT_EQ(a.failed[0]->problem,
              fmt::format("{}, an earlier result of node-a (the later, {}, counts): set aside",
                          old_dir.string(), new_dir.string()));
  }
}

// A job of four tasks of which three wrote results: the fourth is a failed node, though every
// host reported.
TEST(FleetMerge, ARankOfTheJobThatWroteNothingFails) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  const auto task = [](int rank) {
    ResultsDocument doc = node("node-0", rank, 100);
    doc.run.launch.tasks = 4;
    return doc;
  };
  for (int rank = 0; rank < 3; ++rank) {
    inputs.push_back(write_node(tmp.path(), task(rank), fmt::format("r{}", rank)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  ASSERT_EQ(fleet.nodes.size(), 4u);
  const FleetNode& missing = fleet.nodes.back();
  EXPECT_FALSE(missing.results.has_value());
  EXPECT_EQ(node_label(missing), "openmpi job 9 rank 3");
  EXPECT_EQ(missing.problem,
            "rank 3 of the 4 tasks of openmpi job 9: no readable result among the inputs");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.failed.size(), 1u);
  // With all four, nothing is missing.
  inputs.push_back(write_node(tmp.path(), task(3), "r3"));
  const FleetRecord whole = merge_results(inputs, std::nullopt, {}, 10, "T");
  EXPECT_EQ(whole.nodes.size(), 4u);
  EXPECT_TRUE(analyse_fleet(whole).failed.empty());
}

// A sweep's end-to-end timing of a GPU measurement is far slower than its device time: pooled
// with it, every node's end-to-end figure would be an outlier of a healthy fleet.
TEST(FleetMerge, EndToEndTimingsAreMetricsOfTheirOwn) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 5; ++i) {
    ResultsDocument doc = node(fmt::format("node-{}", i), std::nullopt, 100, {1000});
    MeasurementRecord pinned = sgemm(DeviceRef::gpu({0}), 150);
    pinned.timing = "end_to_end_pinned";
    doc.measurements.push_back(pinned);
    inputs.push_back(write_node(tmp.path(), doc, fmt::format("n{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_TRUE(a.outliers.empty());
  std::set<std::string> names;
  for (const auto& m : a.metrics) names.insert(m.name);
  EXPECT_TRUE(names.contains("gpu.sgemm.cublas 256x256x256, end to end from pinned host memory"))
      << fmt::format("{}", fmt::join(names, "; "));
  EXPECT_TRUE(names.contains("gpu.sgemm.cublas 256x256x256"));
}

// A contended figure is partly a co-tenant's, and a GPU of another model is no sibling: neither
// makes an outlier. Each model is compared with its own kind, and named where the fleet mixes.
TEST(FleetMerge, ContendedFiguresAndOtherModelsAreNoOutliers) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 6; ++i) {
    ResultsDocument doc =
        node(fmt::format("node-{}", i), std::nullopt, i == 3 ? 40 : 100, {i < 3 ? 1000.0 : 400.0});
    doc.environment.gpu.devices[0].name = i < 3 ? "NVIDIA H100 80GB HBM3" : "NVIDIA L40S";
    if (i == 3) {
      doc.measurements[0].load = MachineLoad{};
      doc.measurements[0].load->contended = true;
    }
    inputs.push_back(write_node(tmp.path(), doc, fmt::format("n{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_TRUE(a.outliers.empty()) << a.outliers.front().metric->name;
  std::map<std::string, std::size_t> values;
  for (const auto& m : a.metrics) values[m.name] = m.values.size();
  EXPECT_EQ(values, (std::map<std::string, std::size_t>{
                        {"cpu.sgemm.omp 256x256x256", 5},
                        {"gpu.sgemm.cublas 256x256x256 on NVIDIA H100 80GB HBM3", 3},
                        {"gpu.sgemm.cublas 256x256x256 on NVIDIA L40S", 3}}));
  EXPECT_EQ(a.notes, std::vector<std::string>{"measurements taken while contended are not "
                                              "compared (partly a co-tenant's figures): node-3 1"});
}

// A host name or version from a results file stays on its line of fleet.md: a line break in it
// would start a heading or a verdict of its own.
TEST(FleetMerge, AHostNameWithALineBreakStaysOnItsLineOfTheMarkdown) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 3; ++i) {
    ResultsDocument doc =
        node(i == 2 ? "evil\n# PASS" : fmt::format("node-{}", i), std::nullopt, 100);
    if (i == 2) {
      doc.environment.flopbench_version = "0.1.0\n# PASS";
      doc.measurements[0].load = MachineLoad{};
      doc.measurements[0].load->contended = true;
    }
    inputs.push_back(write_node(tmp.path(), doc, fmt::format("n{}", i)));
  }
  const std::string md = FleetMarkdownPrinter().print(merge_results(inputs, 3, {}, 10, "T"));
  EXPECT_NE(md.find("evil # PASS"), std::string::npos) << md;
  EXPECT_NE(md.find("Versions: flopbench 0.1.0 # PASS"), std::string::npos) << md;
  EXPECT_EQ(md.find("\n# PASS"), std::string::npos) << md;
  // On the console too, each line stays one.
  const std::string console = FleetConsolePrinter().print(merge_results(inputs, 3, {}, 10, "T"));
  EXPECT_EQ(console.find("\n# PASS"), std::string::npos) << console;
}

// A GPU model on one node alone has no fleet to be judged against: said, not passed in silence.
TEST(FleetMerge, AMetricOfOneDeviceAloneIsSaidToBeUnjudged) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 3; ++i) {
    ResultsDocument doc =
        node(fmt::format("node-{}", i), std::nullopt, 100, {i < 2 ? 1000.0 : 10.0});
    doc.environment.gpu.devices[0].name = i < 2 ? "NVIDIA H100 80GB HBM3" : "NVIDIA L40S";
    inputs.push_back(write_node(tmp.path(), doc, fmt::format("n{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_TRUE(a.outliers.empty());
  EXPECT_EQ(a.notes, std::vector<std::string>{
                         "1 metric measured by one device only, so judged against no other: "
                         "gpu.sgemm.cublas 256x256x256 on NVIDIA L40S"});
  // Its row has no deviation from others it was never compared with (not +0.0%), and the chart
  // of deviations leaves it out.
  const auto line_with = [](const std::string& text, const std::string& part) {
    const std::size_t at = text.find(part);
    if (at == std::string::npos) return std::string("(none)");
    const std::size_t from = text.rfind('\n', at) + 1;
    return text.substr(from, text.find('\n', at) - from);
  };
  const auto cells = [](std::string line) {  // "| a |   b |" -> "a|b"
    std::erase(line, ' ');
    return line;
  };
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_EQ(cells(line_with(md, "| node-2 | gpu0")), "|node-2|gpu0|reported|1|-||0|");
  EXPECT_EQ(cells(line_with(md, "| node-2 | cpu")),
            "|node-2|cpu|reported|1|+0.0%|cpu.sgemm.omp256x256x256|0|");
  const std::string csv = FleetCsvPrinter().print(fleet);
  EXPECT_TRUE(line_with(csv, "/n2,gpu0,").ends_with(",gpu0,reported,,1,,,0,,0"))
      << line_with(csv, "/n2,gpu0,");
  const std::string html = FleetHtmlPrinter().print(fleet);
  EXPECT_EQ(html.find("node-2 gpu0"), std::string::npos);
}

// "More than" the threshold: a node exactly 10% below the others (which reads -10.000000000000004%
// in floating point) is not an outlier at a 10% threshold; one a hair further is.
TEST(FleetMerge, AValueExactlyAtTheThresholdIsNoOutlier) {
  TempDir tmp;
  for (const double low : {41.7 * 0.9, 41.7 * 0.9 * 0.9999}) {
    std::vector<fs::path> inputs;
    for (int i = 0; i < 3; ++i) {
      const std::string name = fmt::format("n{}-{}", i, low);
      inputs.push_back(write_node(tmp.path(), node(name, std::nullopt, i == 2 ? low : 41.7), name));
    }
    const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
    EXPECT_EQ(analyse_fleet(fleet).outliers.size(), low == 41.7 * 0.9 ? 0u : 1u) << low;
  }
}

TEST(FleetMerge, ATightFleetFlagsWhatIsOutsideItsSpread) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  const std::vector<double> cpu = {100, 100.5, 99.5, 100.2, 94, 99.8, 100.1};  // 94: 6% low
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    inputs.push_back(write_node(tmp.path(), node(fmt::format("n{}", i), std::nullopt, cpu[i]),
                                fmt::format("d{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  ASSERT_EQ(a.outliers.size(), 1u);
  EXPECT_EQ(node_label(*a.outliers[0].node), "n4");
  EXPECT_NE(a.outliers[0].rule.find("spread"), std::string::npos);
  // Four values are too few to judge a spread by: only the threshold applies.
  std::vector<fs::path> four(inputs.begin() + 2, inputs.begin() + 6);
  const FleetRecord four_fleet = merge_results(four, std::nullopt, {}, 10, "T");
  EXPECT_TRUE(analyse_fleet(four_fleet).outliers.empty());
  // Within the 2% noise floor nothing is flagged, however tight the fleet.
  const std::vector<double> close = {100, 100, 100, 100, 98.5};
  std::vector<fs::path> close_inputs;
  for (std::size_t i = 0; i < close.size(); ++i) {
    close_inputs.push_back(write_node(
        tmp.path(), node(fmt::format("c{}", i), std::nullopt, close[i]), fmt::format("c{}", i)));
  }
  const FleetRecord close_fleet = merge_results(close_inputs, std::nullopt, {}, 10, "T");
  EXPECT_TRUE(analyse_fleet(close_fleet).outliers.empty());
}

// Of many values, normal noise alone crosses a robust z of 3.5 somewhere (about one in 2,000):
// the limit rises with the number of values judged, so that a healthy large fleet is not failed
// for it, while a fleet of a hundred values or fewer keeps 3.5.
TEST(FleetMerge, ALargeFleetRaisesTheSpreadLimitWithItsNumberOfValues) {
  EXPECT_EQ(spread_z_limit(5), kRobustZLimit);
  EXPECT_EQ(spread_z_limit(100), kRobustZLimit);
  EXPECT_NEAR(spread_z_limit(900), 4.031, 1e-3);
  EXPECT_NEAR(spread_z_limit(10000), 4.565, 1e-3);
  // The chance the raised limit stands for, over all the values.
  EXPECT_NEAR(std::erfc(spread_z_limit(10000) / std::sqrt(2.0)) * 10000, kSpreadFalseOutlierChance,
              1e-9);

  // 100 nodes of 8 GPUs: 800 GPU values at 990 and 1010 (median 1000, MAD 10) and 100 CPU
  // values, 900 judged: a limit of 4.03. A GPU at a robust z of 3.8 (5.6 % low) is within it, one
  // at 4.5 (6.7 % low) is not; neither is 10 % below the others.
  TempDir tmp;
  const double at_3_8 = 1000 - 3.8 * 10 / 0.6745, at_4_5 = 1000 - 4.5 * 10 / 0.6745;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 100; ++i) {
    std::vector<double> gpus;
    for (int g = 0; g < 8; ++g) gpus.push_back(g % 2 == 0 ? 990 : 1010);
    if (i == 10) gpus[0] = at_3_8;
    if (i == 20) gpus[2] = at_4_5;
    inputs.push_back(write_node(tmp.path(),
                                node(fmt::format("node-{:03}", i), std::nullopt, 100, gpus),
                                fmt::format("n{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_NEAR(a.spread_z_limit, 4.031, 1e-3);
  ASSERT_EQ(a.outliers.size(), 1u);
  EXPECT_EQ(node_label(*a.outliers[0].node), "node-020");
  EXPECT_EQ(a.outliers[0].device, DeviceRef::gpu({2}));
  EXPECT_EQ(a.outliers[0].rule, "outside the fleet's spread (robust z beyond 4.03)");
  EXPECT_NE(FleetMarkdownPrinter().print(fleet).find(
                "beyond 4.03 (3.5, raised for the number of values judged"),
            std::string::npos);
  // Of the first 12 nodes alone (108 values judged), 3.8 is beyond the limit.
  const std::vector<fs::path> few(inputs.begin(), inputs.begin() + 12);
  const FleetRecord small = merge_results(few, std::nullopt, {}, 10, "T");
  const FleetAnalysis b = analyse_fleet(small);
  EXPECT_NEAR(b.spread_z_limit, 3.502, 1e-3);
  ASSERT_EQ(b.outliers.size(), 1u);
  EXPECT_EQ(node_label(*b.outliers[0].node), "node-010");
}

TEST(FleetMerge, BadInputsAreNodesThatFailAndKeepTheOthers) {
  TempDir tmp;
  std::vector<fs::path> inputs = {
      write_node(tmp.path(), node("node-a", 0, 100), "a0"),
      write_node(tmp.path(), node("node-a", 1, 100), "a1"),
      write_node(tmp.path(), node("node-b", 0, 100), "b0"),
      write_node(tmp.path(), node("node-a", 1, 50), "a1-again"),  // same host and rank
      tmp.path() / "never-written",
  };
  fs::create_directories(tmp.path() / "corrupt");
  write_file_atomically(tmp.path() / "corrupt" / "results.json", "{\"schema_version\": 1,");
  inputs.push_back(tmp.path() / "corrupt");
  // A file that is there and cannot be read (permissions, a failing NFS server): a node's
  // problem too, not the merge's end. Reading /proc/self/mem from address 0 fails with EIO.
  fs::create_directories(tmp.path() / "unreadable");
  fs::create_symlink("/proc/self/mem", tmp.path() / "unreadable" / "results.json");
  inputs.push_back(tmp.path() / "unreadable");
  // Nor is one whose status cannot be read: a link to itself.
  fs::create_directories(tmp.path() / "loop");
  fs::create_symlink("results.json", tmp.path() / "loop" / "results.json");
  inputs.push_back(tmp.path() / "loop");
  ResultsDocument newer = node("node-c", 0, 100);
  newer.environment.flopbench_version = "0.2.0";
  inputs.push_back(write_node(tmp.path(), newer, "c0"));

  const FleetRecord fleet =
      merge_results(inputs, std::nullopt, {"node-a", "node-b", "node-c", "node-dead"}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(fleet.nodes.size(), 10u);  // every input, and the dead node
  EXPECT_EQ(a.nodes_reporting, 3);
  EXPECT_EQ(a.nodes_expected, 4);
  EXPECT_EQ(a.missing_hosts, std::vector<std::string>{"node-dead"});
  std::vector<std::string> problems;
  for (const auto* n : a.failed) problems.push_back(node_label(*n) + ": " + n->problem);
  ASSERT_EQ(problems.size(), 6u) << ::testing::PrintToString(problems);
  EXPECT_NE(problems[0].find(", a second result of node-a rank 1 (the first, "), std::string::npos)
      << problems[0];
  EXPECT_NE(problems[1].find("node-dead: expected, but reported nothing"), std::string::npos);
  EXPECT_NE(problems[2].find("never-written: no such file or directory"), std::string::npos);
  EXPECT_NE(problems[3].find("corrupt/results.json: not valid JSON"), std::string::npos);
  EXPECT_NE(problems[4].find("unreadable/results.json: cannot read: Input/output error"),
            std::string::npos)
      << problems[4];
  EXPECT_NE(problems[5].find("loop/results.json: cannot open: Too many levels of symbolic links"),
            std::string::npos)
      << problems[5];
  // The set-aside duplicate (50 GFLOP/s) is not in the medians.
  ASSERT_EQ(a.metrics.size(), 1u);
  EXPECT_EQ(a.metrics[0].values.size(), 4u);
  EXPECT_TRUE(a.outliers.empty());
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("mixed flopbench versions"), std::string::npos);
  EXPECT_NE(a.notes[0].find("0.2.0 (commit abc): node-c rank 0"), std::string::npos) << a.notes[0];
  // A fleet of which no node reported has no versions to name, and says so.
  const FleetRecord none = merge_results({tmp.path() / "never-written"}, 2, {}, 10, "T");
  EXPECT_NE(FleetMarkdownPrinter().print(none).find("Versions: none (no node reported)."),
            std::string::npos);
  // Nor any metric: "None." where a table of medians would be, not a bare header.
  EXPECT_NE(FleetMarkdownPrinter().print(none).find("## Fleet medians\n\nNone.\n"),
            std::string::npos);
  EXPECT_NE(FleetHtmlPrinter().print(none).find("Fleet medians</h2>\n<p>None.</p>"),
            std::string::npos);
}

// --expect-hosts names what the launcher lists (`scontrol show hostnames`): short names, or
// Slurm node names that are not the host names.
TEST(FleetMerge, AnExpectedHostIsFoundByItsShortOrItsSlurmName) {
  TempDir tmp;
  ResultsDocument slurm_named = node("ip-10-0-0-3", 0, 100);
  slurm_named.run.launch = {.launcher = "slurm", .job = "7", .rank = 0, .node_name = "gpu-st-7"};
  const std::vector<fs::path> inputs = {
      write_node(tmp.path(), node("node-a.cluster.example", std::nullopt, 100), "a"),
      write_node(tmp.path(), node("node-b", std::nullopt, 100), "b"),
      write_node(tmp.path(), slurm_named, "c"),
      write_node(tmp.path(), node("node-d.east.example", std::nullopt, 100), "d"),
      write_node(tmp.path(), node("10.0.0.4", std::nullopt, 100), "e"),
  };
  const FleetRecord fleet =
      merge_results(inputs, std::nullopt,
                    {"NODE-A", "node-b.cluster.example", "gpu-st-7.example", "node-d.west.example",
                     "10.0.0.3", "10", "node-x", "node-x.example"},
                    10, "T");
  // Names are case-insensitive. Two qualified names that differ are two hosts; an address has
  // no short form; and a host that reported nothing is not found by another of its names.
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.missing_hosts, (std::vector<std::string>{"10", "10.0.0.3", "node-d.west.example",
                                                       "node-x", "node-x.example"}));
  // Of the listed hosts, three reported (under other names); the other nodes were not listed,
  // and are set aside: in the medians they would judge the listed ones, and no count shows them.
  EXPECT_EQ(a.nodes_reporting, 3);
  std::vector<std::string> set_aside;
  for (const FleetNode* n : a.failed) {
    if (n->results) set_aside.push_back(n->problem);
  }
  EXPECT_EQ(
      set_aside,
      (std::vector<std::string>{
          inputs[4].string() + ": 10.0.0.4 is not among the listed hosts: set aside",
          inputs[3].string() + ": node-d.east.example is not among the listed hosts: set aside"}));
  for (const FleetMetric& m : a.metrics) EXPECT_EQ(m.values.size(), 3u) << m.name;

  // A list that gives a name twice (case aside) expects that host once; other names stay, in
  // whatever order.
  write_file_atomically(tmp.path() / "hosts",
                        "node-b\nnode-b.x\nnode-a\nNODE-A  # again\nnode-b.y\n");
  EXPECT_EQ(read_host_list(tmp.path() / "hosts"),
            (std::vector<std::string>{"node-b", "node-b.x", "node-a", "node-b.y"}));

  // One machine stands for one listed name: node-a is not both node-a.x and node-a.y.
  const FleetRecord two_names =
      merge_results({inputs[0]}, std::nullopt, {"node-a.x", "node-a.cluster.example"}, 10, "T");
  const FleetAnalysis b = analyse_fleet(two_names);
  EXPECT_EQ(b.nodes_reporting, 1);
  EXPECT_EQ(b.missing_hosts, std::vector<std::string>{"node-a.x"});  // the very name went first
}

TEST(FleetMerge, MixedSchemaVersionsAreReported) {
  TempDir tmp;
  ResultsDocument old_schema = node("n1", std::nullopt, 100);
  std::vector<fs::path> inputs = {write_node(tmp.path(), node("n0", std::nullopt, 100), "n0")};
  nlohmann::json j = to_json(old_schema);
  j["schema_version"] = 0;  // not a version this flopbench reads: the node fails, not the merge
  fs::create_directories(tmp.path() / "n1");
  write_file_atomically(tmp.path() / "n1" / "results.json", j.dump());
  inputs.push_back(tmp.path() / "n1");
  const FleetRecord fleet = merge_results(inputs, 2, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.nodes_reporting, 1);
  ASSERT_EQ(a.failed.size(), 1u);
  EXPECT_NE(a.failed[0]->problem.find("schema_version: invalid version 0"), std::string::npos)
      << a.failed[0]->problem;
}

// Nodes that ran their CPU work on other thread counts are said to, and each count's CPU
// metrics compare only with their own: a node given half the threads is slower for it, not an
// outlier of the others.
TEST(FleetMerge, MixedThreadCountsAreReportedAndComparedApart) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 4; ++i) {
    ResultsDocument doc = node(fmt::format("n{}", i), std::nullopt, i == 3 ? 50 : 100, {1000.0});
    doc.run.threads = i == 3 ? 4 : 8;
    doc.measurements[0].threads = doc.run.threads;
    inputs.push_back(write_node(tmp.path(), doc, fmt::format("n{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, 4, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.notes, (std::vector<std::string>{
                         "1 metric measured by one device only, so judged against no other: "
                         "cpu.sgemm.omp 256x256x256 (4 threads)",
                         "mixed CPU threads (each CPU metric compares the nodes that ran it on as "
                         "many threads): 4 CPU threads: n3; 8 CPU threads: n0, n1, n2"}));
  EXPECT_TRUE(a.outliers.empty()) << a.outliers.front().metric->name;
  // A burn-in's CPU threads split no metric: no note of them.
  ResultsDocument burn = node("n0", std::nullopt, 100);
  burn.run.profile = kBurnProfile;
  burn.run.threads = 1;
  burn.measurements.clear();
  burn.burn = BurnResult{.duration_s = 60};
  std::vector<fs::path> with_burn(inputs.begin(), inputs.begin() + 3);
  with_burn.push_back(write_node(tmp.path(), burn, "burn-n0"));
  const FleetRecord burned = merge_results(with_burn, 3, {}, 10, "T");
  for (const std::string& note : analyse_fleet(burned).notes)
    EXPECT_EQ(note.find("mixed CPU threads"), std::string::npos) << note;
  std::map<std::string, std::size_t> values;
  for (const auto& m : a.metrics) values[m.name] = m.values.size();
  EXPECT_EQ(values,
            (std::map<std::string, std::size_t>{{"cpu.sgemm.omp 256x256x256 (4 threads)", 1},
                                                {"cpu.sgemm.omp 256x256x256 (8 threads)", 3},
                                                {"gpu.sgemm.cublas 256x256x256", 4}}));

  // Runs of other thread counts whose CPU measurements ran on as many (a GPU task's run given
  // fewer threads, say) compare as one.
  inputs.clear();
  for (int i = 0; i < 3; ++i) {
    ResultsDocument doc = node(fmt::format("m{}", i), std::nullopt, 100);
    doc.run.threads = i == 2 ? 4 : 8;
    doc.measurements[0].threads = 8;
    inputs.push_back(write_node(tmp.path(), doc, fmt::format("m{}", i)));
  }
  const FleetRecord apart = merge_results(inputs, 3, {}, 10, "T");
  const FleetAnalysis same = analyse_fleet(apart);
  ASSERT_EQ(same.metrics.size(), 1u);
  EXPECT_EQ(same.metrics[0].name, "cpu.sgemm.omp 256x256x256");
}

TEST(FleetRecordJson, RoundTripsAndRejectsOtherVersions) {
  TempDir tmp;
  const std::vector<fs::path> inputs = {write_node(tmp.path(), node("n0", 0, 100, {900}), "n0"),
                                        tmp.path() / "missing"};
  const FleetRecord fleet = merge_results(inputs, 3, {}, 15, "2026-01-01T00:00:00Z");
  write_file_atomically(tmp.path() / "fleet.json", FleetJsonPrinter().print(fleet));
  const FleetRecord back = read_fleet_file(tmp.path() / "fleet.json");
  EXPECT_EQ(FleetJsonPrinter().print(back), FleetJsonPrinter().print(fleet));
  EXPECT_EQ(back.expected_nodes, 3);
  EXPECT_EQ(back.threshold_percent, 15);
  ASSERT_EQ(back.nodes.size(), 2u);
  EXPECT_EQ(back.nodes[0].results->run.launch.rank, 0);
  EXPECT_FALSE(back.nodes[1].results.has_value());

  // A node's results are held to what every results.json is held to, and named where they are.
  nlohmann::json impossible = to_json(fleet);
  impossible["nodes"][0]["results"]["measurements"][0]["samples_s"][0] = -1;
  write_file_atomically(tmp.path() / "impossible.json", impossible.dump());
  try {
    read_fleet_file(tmp.path() / "impossible.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("impossible.json: nodes[0].results.measurements[0]."
                                         "samples_s[0]: -1 is not a possible time"),
              std::string::npos)
        << e.what();
  }

  nlohmann::json j = to_json(fleet);
  j["fleet_schema_version"] = 3;
  write_file_atomically(tmp.path() / "v3.json", j.dump());
  try {
    read_fleet_file(tmp.path() / "v3.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("v3.json: fleet_schema_version: version 3 is not one "
                                         "this flopbench reads (1 to 2)"),
              std::string::npos)
        << e.what();
  }
  // A record of version 1 had no reruns, nor their fields: it reads as a record without them.
  nlohmann::json v1 = to_json(fleet);
  v1["fleet_schema_version"] = 1;
  for (auto& n : v1["nodes"]) {
    n.erase("rerun");
    n.erase("superseded");
  }
  write_file_atomically(tmp.path() / "v1.json", v1.dump());
  const FleetRecord old = read_fleet_file(tmp.path() / "v1.json");
  ASSERT_EQ(old.nodes.size(), 2u);
  EXPECT_TRUE(old.nodes[0].reporting());
  EXPECT_FALSE(old.nodes[0].rerun);
  EXPECT_TRUE(old.unknown_fields.empty());
}

// An overnight burn of 8 GPUs and the CPU: every series full (2048 points of 16 readings or
// windows each), the throughput falling by a fifth from start to end, one GPU reading in 100
// throttled, the CPU's foreign load a quarter of a CPU.
ResultsDocument overnight_burn_node(const std::string& host) {
  ResultsDocument doc = node(host, std::nullopt, 100);
  doc.burn.emplace();
  doc.burn->duration_s = 2048 * 16;
  for (int gpu = 0; gpu < 8; ++gpu) {
    BurnDevice d{.device = DeviceRef::gpu({gpu}),
                 .implementation = "cublas",
                 .problem = Problem::matrix(2048, 2048, 2048),
                 .iterations = 2048 * 16};
    for (int i = 0; i < static_cast<int>(kBurnSeriesPoints); ++i) {
      const double at_s = 16.0 * (i + 1);
      const double wobble = (i * 7919 % 13) - 6.0;  // +-6 GFLOP/s, deterministic
      d.throughput.push_back({.at_s = at_s,
                              .gflops = 50000 - 10000.0 * i / kBurnSeriesPoints + wobble,
                              .run_s = 15.9,
                              .windows = 16});
      GpuTelemetry r{.device = fmt::format("gpu{}", gpu),
                     .source = "nvml",
                     .sm_clock_mhz = 1980,
                     .memory_clock_mhz = 3201,
                     .temperature_c = 60.0 + i % 7,
                     .power_w = 690.5 + i % 3,
                     .clock_event_reasons = {"sw_power_cap"}};
      if (i % 100 == 0) {
        r.clock_event_reasons.push_back("hw_thermal_slowdown");
        r.throttled = true;
      }
      d.telemetry.push_back(
          {.at_s = at_s, .reading = r, .readings = 16, .throttled_readings = r.throttled ? 1 : 0});
    }
    doc.burn->devices.push_back(std::move(d));
  }
  BurnDevice cpu{.device = DeviceRef::cpu(), .implementation = "omp", .iterations = 2048 * 16};
  for (int i = 0; i < static_cast<int>(kBurnSeriesPoints); ++i) {
    cpu.throughput.push_back({.at_s = 16.0 * (i + 1), .gflops = 500, .run_s = 16, .windows = 16});
    cpu.cpu_load.push_back({.at_s = 16.0 * (i + 1), .other_cpus = 0.25, .readings = 16});
  }
  doc.burn->devices.push_back(std::move(cpu));
  return doc;
}

// A fleet of nodes that burned overnight stays readable: each node's series are thinned, their
// counts kept, and the throughput drop judged on them is the node's own within a point.
TEST(FleetMerge, LongBurnsAreThinnedSoThatAFleetOfThemCanBeRead) {
  TempDir tmp;
  const ResultsDocument burned = overnight_burn_node("node-0");
  const std::size_t node_bytes = JsonPrinter().print(burned).size();
  const fs::path input = write_node(tmp.path(), burned, "n0");
  const FleetRecord fleet = merge_results({input}, std::nullopt, {}, 10, "2026-01-01T00:00:00Z");
  ASSERT_TRUE(fleet.nodes[0].reporting()) << fleet.nodes[0].problem;
  const BurnResult& thinned = *fleet.nodes[0].results->burn;
  ASSERT_EQ(thinned.devices.size(), 9u);
  const BurnDevice& cpu = thinned.devices[8];
  EXPECT_EQ(cpu.cpu_load.size(), kFleetBurnSeriesPoints);
  EXPECT_EQ(cpu.cpu_load.front().readings, 16 * 2048 / static_cast<int>(kFleetBurnSeriesPoints));
  EXPECT_DOUBLE_EQ(*cpu.most_foreign_cpus(), 0.25);
  EXPECT_EQ(cpu.throughput.size(), kFleetBurnSeriesPoints);
  for (std::size_t g = 0; g < 8; ++g) {
    const BurnDevice& before = burned.burn->devices[g];
    const BurnDevice& after = thinned.devices[g];
    EXPECT_EQ(after.throughput.size(), kFleetBurnSeriesPoints);
    EXPECT_EQ(after.telemetry.size(), kFleetBurnSeriesPoints);
    EXPECT_EQ(after.telemetry_readings(), before.telemetry_readings());
    EXPECT_EQ(after.throttled_readings(), before.throttled_readings());
    EXPECT_EQ(after.throughput.back().at_s, before.throughput.back().at_s);
    ASSERT_TRUE(after.throughput_drop().has_value());
    EXPECT_NEAR(*after.throughput_drop(), *before.throughput_drop(), 0.01);
  }
  // Each node then takes a small part of what it wrote: a fleet of hundreds of such nodes is
  // within the input limit of the fleet.json that `check` reads.
  const std::size_t fleet_bytes = FleetJsonPrinter().print(fleet).size();
  EXPECT_GT(node_bytes, 15 * fleet_bytes);
  EXPECT_GT(kMaxInputFileBytes / static_cast<std::int64_t>(fleet_bytes), 500);
}

// ---- the fleet check and its outputs -----------------------------------------------------------

Spec sgemm_spec(double bound) {
  return parse_spec(fmt::format("{}\ncpu.sgemm.omp.gflops,>=,{} GFLOP/s,,fail,any,cpu sgemm\n",
                                kSpecHeader, bound),
                    "fleet.csv");
}

FleetRecord judged_fleet(const fs::path& root, double spec_gflops = 50) {
  std::vector<fs::path> inputs;
  const std::vector<double> cpu = {100, 98, 102, 40};
  for (int i = 0; i < 4; ++i) {
    inputs.push_back(
        write_node(root, node(fmt::format("node-{}", i), i, cpu[i]), fmt::format("n{}", i)));
  }
  FleetRecord fleet = merge_results(inputs, std::nullopt,
                                    {"node-0", "node-1", "node-2", "node-3", "node-9"}, 10, "T");
  const SpecChoice choice{sgemm_spec(spec_gflops), "spec.csv"};
  judge_fleet(
      fleet, [&](const ResultsDocument&) { return choice; }, "spec.csv", "2026-01-01T00:00:00Z");
  return fleet;
}

const CriterionVerdict& criterion(const AcceptanceResult& r, const std::string& metric) {
  for (const auto& v : r.criteria) {
    if (v.metric == metric) return v;
  }
  throw std::runtime_error("no criterion " + metric);
}

// Without a list, one host that reported under two cases of its name is one host, for the
// count and for what is expected of it.
TEST(FleetCheck, AHostIsOneHostWhateverTheCaseOfItsName) {
  TempDir tmp;
  FleetRecord cased =
      merge_results({write_node(tmp.path(), node("node-a.cluster.example", 0, 100), "a"),
                     write_node(tmp.path(), node("NODE-A.CLUSTER.EXAMPLE", 1, 100), "A")},
                    std::nullopt, {}, 10, "T");
  EXPECT_EQ(analyse_fleet(cased).nodes_reporting, 1);
  judge_fleet(
      cased,
      [&](const ResultsDocument&) {
        return SpecChoice{sgemm_spec(50), "spec.csv"};
      },
      "spec.csv", "2026-01-01T00:00:00Z");
  ASSERT_TRUE(cased.acceptance.has_value());
  const auto& reporting = criterion(*cased.acceptance, "fleet.nodes_reporting");
  EXPECT_EQ(reporting.measured, 1);
  EXPECT_EQ(reporting.bound, 1);
  EXPECT_EQ(reporting.verdict, Verdict::pass);
}

TEST(FleetCheck, JudgesEveryNodeAndTheFleet) {
  TempDir tmp;
  const FleetRecord fleet = judged_fleet(tmp.path());
  ASSERT_TRUE(fleet.acceptance.has_value());
  EXPECT_FALSE(fleet.acceptance->passed);
  const auto& reporting = criterion(*fleet.acceptance, "fleet.nodes_reporting");
  EXPECT_EQ(reporting.measured, 4);
  EXPECT_EQ(reporting.bound, 5);
  EXPECT_EQ(reporting.verdict, Verdict::fail);
  EXPECT_NE(reporting.reason.find("node-9"), std::string::npos);
  const auto& failed = criterion(*fleet.acceptance, "fleet.nodes_failed");
  EXPECT_EQ(failed.measured, 2);  // node-3 (40 < 50, and an outlier) and node-9
  EXPECT_NE(failed.reason.find("node-3 rank 3 (its check failed; an outlier of the fleet: cpu "
                               "cpu.sgemm.omp 256x256x256 -60.0%)"),
            std::string::npos)
      << failed.reason;
  const auto& outliers = criterion(*fleet.acceptance, "fleet.outliers");
  EXPECT_EQ(outliers.measured, 1);
  EXPECT_NE(outliers.reason.find("node-3 rank 3 cpu cpu.sgemm.omp 256x256x256 -60.0%"),
            std::string::npos)
      << outliers.reason;
  EXPECT_EQ(criterion(*fleet.acceptance, "fleet.versions").verdict, Verdict::pass);
  EXPECT_TRUE(fleet.nodes[0].results->acceptance->passed);
  EXPECT_FALSE(fleet.nodes[3].results->acceptance->passed);

  // An outlier that meets the spec still fails its own check: its Check column and JUnit
  // testsuite say where the fleet found it.
  TempDir other;
  const FleetRecord lenient = judged_fleet(other.path(), 10);
  const AcceptanceResult& node3 = *lenient.nodes[3].results->acceptance;
  EXPECT_FALSE(node3.passed);
  const auto& its_outliers = criterion(node3, "fleet.outliers");
  EXPECT_EQ(its_outliers.verdict, Verdict::fail);
  EXPECT_NE(its_outliers.reason.find("cpu cpu.sgemm.omp 256x256x256 -60.0%"), std::string::npos)
      << its_outliers.reason;
  EXPECT_TRUE(lenient.nodes[0].results->acceptance->passed);
  EXPECT_NE(criterion(*lenient.acceptance, "fleet.nodes_failed")
                .reason.find("node-3 rank 3 (an outlier of the fleet: cpu"),
            std::string::npos);
}

// A node for which no spec can be chosen (`--spec auto`, a GPU no shipped spec covers) fails on
// its own; the other nodes and the fleet are judged.
TEST(FleetCheck, ANodeWithoutASpecFailsAloneAndTheOthersAreJudged) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 3; ++i) {
    inputs.push_back(
        write_node(tmp.path(), node(fmt::format("node-{}", i), i, 100), fmt::format("n{}", i)));
  }
  FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  judge_fleet(
      fleet,
      [&](const ResultsDocument& doc) {
        if (doc.environment.host == "node-1") {
          throw NoSpecForMachine("no shipped spec for 'Odd GPU'");
        }
        return SpecChoice{sgemm_spec(50), "spec.csv"};
      },
      "auto", "T");
  ASSERT_TRUE(fleet.acceptance.has_value());
  EXPECT_TRUE(fleet.nodes[0].results->acceptance->passed);
  EXPECT_TRUE(fleet.nodes[2].results->acceptance->passed);
  const AcceptanceResult& odd = *fleet.nodes[1].results->acceptance;
  EXPECT_FALSE(odd.passed);
  EXPECT_EQ(criterion(odd, "spec.applies").reason, "no shipped spec for 'Odd GPU'");
  const auto& failed = criterion(*fleet.acceptance, "fleet.nodes_failed");
  EXPECT_EQ(failed.measured, 1);
  EXPECT_NE(failed.reason.find("node-1 rank 1 (its check failed)"), std::string::npos)
      << failed.reason;
  // Any other error of the spec (no spec directory, a shipped spec that does not parse) is no
  // node's: the check itself cannot run.
  EXPECT_THROW(judge_fleet(
                   fleet,
                   [](const ResultsDocument&) -> SpecChoice {
                     throw InputError("--spec auto: no spec directory found");
                   },
                   "auto", "T"),
               InputError);
}

// check passes no node that merge fails: a memory test whose ECC counts rose fails its node in
// fleet.nodes_failed even where the node's spec asks only for no bad word, which it meets; the
// reason names each of its problems, and the node's own verdict fails with them, so that its
// Check column, JUnit testsuite and the verdict line agree.
TEST(FleetCheck, AStressTestThatDidNotPassFailsItsNodeWhateverTheSpec) {
  TempDir tmp;
  const auto with_memtest = [](const std::string& host, std::vector<FactRise> rises) {
    ResultsDocument doc = node(host, std::nullopt, 100);
    doc.measurements.clear();
    doc.run.profile = kMemtestProfile;
    doc.memtest = MemtestResult{.duration_s = 60};
    MemtestDevice d{.device = "gpu0", .bytes_tested = 1LL << 30, .passes = 3};
    d.memory_error_rises = std::move(rises);
    doc.memtest->devices.push_back(d);
    return doc;
  };
  ResultsDocument two_risen = with_memtest("node-b", {{"ecc.corrected_volatile", 0, 3}});
  two_risen.memtest->devices.push_back(two_risen.memtest->devices[0]);
  two_risen.memtest->devices[1].device = "gpu1";
  two_risen.memtest->devices[1].memory_error_rises = {{"row_remap.pending", 0, 1}};
  FleetRecord fleet = merge_results({write_node(tmp.path(), with_memtest("node-a", {}), "a"),
                                     write_node(tmp.path(), two_risen, "b")},
                                    std::nullopt, {}, 10, "T");
  const SpecChoice choice{
      parse_spec(std::string(kSpecHeader) + "\nmemtest.bad_words,==,0,,fail,any,no bad word\n",
                 "memory.csv"),
      "memory.csv"};
  judge_fleet(
      fleet, [&](const ResultsDocument&) { return choice; }, "memory.csv", "T");
  ASSERT_TRUE(fleet.acceptance.has_value());
  EXPECT_TRUE(fleet.nodes[0].results->acceptance->passed);
  const AcceptanceResult& b = *fleet.nodes[1].results->acceptance;
  EXPECT_FALSE(b.passed);
  EXPECT_EQ(criterion(b, "memtest.bad_words").verdict, Verdict::pass);  // what its spec asked
  EXPECT_EQ(criterion(b, "memtest.problems").verdict, Verdict::fail);   // built in
  const CriterionVerdict& stress = criterion(b, "fleet.stress_problems");
  EXPECT_EQ(stress.verdict, Verdict::fail);
  EXPECT_EQ(stress.measured, 2);
  EXPECT_EQ(stress.reason,
            "not equal to the bound: memory test: gpu0 FAIL: ecc.corrected_volatile rose from 0 to "
            "3; memory test: gpu1 FAIL: row_remap.pending rose from 0 to 1");
  EXPECT_NE(FleetJunitPrinter().print(fleet).find(
                "<testsuite name=\"node-b memtest\" tests=\"4\" failures=\"2\""),
            std::string::npos)
      << FleetJunitPrinter().print(fleet);
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_NE(md.find("FAIL: 1 of 2 nodes failed their check"), std::string::npos) << md;
  EXPECT_NE(md.find("| node-b memtest | -      | reported; memory test not passed: 2 problems |"),
            std::string::npos)
      << md;
  const std::size_t b_row = md.find("| node-b memtest | -      |");
  ASSERT_NE(b_row, std::string::npos) << md;
  EXPECT_TRUE(md.substr(b_row, md.find('\n', b_row) - b_row).ends_with("| FAIL  |")) << md;
  const std::string csv = FleetCsvPrinter().print(fleet);
  EXPECT_NE(csv.find(",-,failed,memory test not passed: 2 problems,0,,,0,FAIL,0\n"),
            std::string::npos)
      << csv;
  const auto& failed = criterion(*fleet.acceptance, "fleet.nodes_failed");
  EXPECT_EQ(failed.measured, 1);
  EXPECT_EQ(failed.reason,
            "not equal to the bound: node-b memtest (its check failed; its memory test did not "
            "pass: gpu0 FAIL: ecc.corrected_volatile rose from 0 to 3; gpu1 FAIL: "
            "row_remap.pending rose from 0 to 1)");
  EXPECT_FALSE(fleet.acceptance->passed);
}

// The summary counts the results read (not an input that could not be), and the verdict line
// counts nodes as the summary does: a host's ranks are one node, failed where any rank failed;
// what has no host (an unreadable input, a missing rank) is counted apart.
TEST(FleetCheck, CountsResultsAsReadAndNodesByHost) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  const std::vector<std::pair<std::string, double>> ranks = {
      {"host-a", 100}, {"host-a", 101}, {"host-b", 99}, {"host-b", 40}};
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    inputs.push_back(write_node(tmp.path(), node(ranks[i].first, int(i), ranks[i].second),
                                fmt::format("r{}", i)));
  }
  inputs.push_back(tmp.path() / "gone");
  FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  EXPECT_NE(FleetConsolePrinter().print(fleet).find(
                "2 nodes reported; 4 results merged, 1 failed, set aside or missing;"),
            std::string::npos)
      << FleetConsolePrinter().print(fleet);
  judge_fleet(
      fleet,
      [&](const ResultsDocument&) {
        return SpecChoice{sgemm_spec(50), "spec.csv"};
      },
      "spec.csv", "2026-01-01T00:00:00Z");
  EXPECT_NE(FleetMarkdownPrinter().print(fleet).find(
                "**FAIL: 1 of 2 nodes failed their check, and 1 missing rank or unreadable input "
                "reported nothing;"),
            std::string::npos)
      << FleetMarkdownPrinter().print(fleet);
}

// A passed CPU burn-in of `host`.
ResultsDocument burn_in(const std::string& host) {
  ResultsDocument burned = node(host, std::nullopt, 100);
  burned.run.profile = std::string(kBurnProfile);
  burned.measurements.clear();
  burned.burn = BurnResult{.duration_s = 60};
  burned.burn->devices.push_back({.device = DeviceRef::cpu(),
                                  .implementation = "omp",
                                  .precision = Precision::fp64,
                                  .problem = Problem::matrix(2048, 2048, 2048),
                                  .iterations = 10,
                                  .seconds = 60});
  return burned;
}

// A host's run and its burn-in, merged together, are told apart by their labels (the console's
// lines, the JUnit testsuites), and the burn-in's profile is no "mixed profiles" of the runs.
TEST(FleetCheck, AHostsRunAndItsBurnInAreLabelledApart) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (const std::string host : {"node-a", "node-b"}) {
    inputs.push_back(write_node(tmp.path(), node(host, std::nullopt, 100), host + "-run"));
    inputs.push_back(write_node(tmp.path(), burn_in(host), host + "-burn"));
  }
  FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_TRUE(a.failed.empty());
  for (const std::string& note : a.notes)
    EXPECT_EQ(note.find("mixed profiles"), std::string::npos) << note;
  judge_fleet(
      fleet,
      [&](const ResultsDocument&) {
        return SpecChoice{sgemm_spec(50), "spec.csv"};
      },
      "spec.csv", "T");
  const std::string junit = FleetJunitPrinter().print(fleet);
  for (const std::string suite : {"node-a", "node-a burn", "node-b", "node-b burn"}) {
    const std::string tag = "<testsuite name=\"" + suite + "\" ";
    const std::size_t first = junit.find(tag);
    EXPECT_NE(first, std::string::npos) << suite << junit;
    EXPECT_EQ(junit.find(tag, first + 1), std::string::npos) << suite << junit;
  }
}

bool has_criterion(const AcceptanceResult& r, const std::string& metric) {
  return std::any_of(r.criteria.begin(), r.criteria.end(),
                     [&](const CriterionVerdict& v) { return v.metric == metric; });
}

// One spec for a fleet of runs and burn-ins: a host's run is judged on the spec's rate rows, its
// burn-in on the burn.* rows, each on the machine's facts, and neither fails the other's rows. A
// host without results of a kind the spec has rows for fails, saying which; where those rows only
// warn, it warns.
TEST(FleetCheck, EachResultIsJudgedOnTheRowsOfItsKind) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (const std::string host : {"node-a", "node-b", "node-c"}) {
    inputs.push_back(write_node(tmp.path(), node(host, std::nullopt, 100), host + "-run"));
    if (host != "node-c") inputs.push_back(write_node(tmp.path(), burn_in(host), host + "-burn"));
  }
  inputs.push_back(write_node(tmp.path(), burn_in("node-d"), "node-d-burn"));
  FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const SpecChoice both{parse_spec(fmt::format("{}\n"
                                               "cpu.sgemm.omp.gflops,>=,50 GFLOP/s,,fail,any,rate\n"
                                               "burn.faulty,==,0,,fail,any,no corruption\n"
                                               "burn.duration_s,>=,30,,fail,any,half a minute\n"
                                               "gpu.count,==,0,,fail,any,no GPU\n"
                                               "memtest.failed,==,0,,warn,any,advised\n",
                                               kSpecHeader),
                                   "fleet.csv"),
                        "fleet.csv"};
  judge_fleet(
      fleet, [&](const ResultsDocument&) { return both; }, "fleet.csv", "T");
  std::map<std::string, const AcceptanceResult*> verdicts;
  for (const auto& n : fleet.nodes) verdicts[node_label(n)] = &*n.results->acceptance;
  ASSERT_EQ(verdicts.size(), 6u);
  for (const std::string host : {"node-a", "node-b"}) {
    const AcceptanceResult& run = *verdicts.at(host);
    const AcceptanceResult& burn = *verdicts.at(host + " burn");
    EXPECT_TRUE(run.passed) << host;
    EXPECT_TRUE(burn.passed) << host;
    EXPECT_EQ(criterion(run, "cpu.sgemm.omp.gflops").verdict, Verdict::pass);
    EXPECT_FALSE(has_criterion(run, "burn.faulty"));
    EXPECT_EQ(criterion(burn, "burn.faulty").verdict, Verdict::pass);
    EXPECT_EQ(criterion(burn, "burn.duration_s").verdict, Verdict::pass);
    EXPECT_FALSE(has_criterion(burn, "cpu.sgemm.omp.gflops"));
    // A burn-in has no measurements to be verified or throttled: its verdicts say that.
    EXPECT_FALSE(has_criterion(burn, "run.unverified"));
    EXPECT_FALSE(has_criterion(burn, "run.throttled"));
    EXPECT_EQ(criterion(burn, "run.complete").verdict, Verdict::pass);
    for (const AcceptanceResult* r : {&run, &burn}) {
      EXPECT_EQ(criterion(*r, "gpu.count").verdict, Verdict::pass) << host;
      EXPECT_FALSE(has_criterion(*r, "fleet.burn_merged")) << host;
      EXPECT_TRUE(r->not_applied.empty()) << host;
    }
    // No host ran a memory test, which the spec only advises: one warning per host.
    EXPECT_EQ(
        has_criterion(run, "fleet.memtest_merged") + has_criterion(burn, "fleet.memtest_merged"), 1)
        << host;
  }
  // node-c ran no burn-in, node-d only one: each fails, its own check saying what is missing.
  const AcceptanceResult& c = *verdicts.at("node-c");
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(criterion(c, "cpu.sgemm.omp.gflops").verdict, Verdict::pass);
  EXPECT_EQ(criterion(c, "fleet.burn_merged").verdict, Verdict::fail);
  EXPECT_EQ(criterion(c, "fleet.burn_merged").reason,
            "not equal to the bound: fleet.csv has 2 rows for a burn-in (the first on line 3), and "
            "no burn-in of the host is among the results merged");
  EXPECT_EQ(criterion(c, "fleet.memtest_merged").verdict, Verdict::warn);
  const AcceptanceResult& d = *verdicts.at("node-d burn");
  EXPECT_FALSE(d.passed);
  EXPECT_EQ(criterion(d, "burn.faulty").verdict, Verdict::pass);
  EXPECT_EQ(criterion(d, "fleet.run_merged").reason,
            "not equal to the bound: fleet.csv has 1 row for a run (line 2), and no run of the "
            "host is among the results merged");
  const auto& failed = criterion(*fleet.acceptance, "fleet.nodes_failed");
  EXPECT_EQ(failed.measured, 2);
  EXPECT_EQ(failed.reason,
            "not equal to the bound: node-c (fleet.csv has 2 rows for a burn-in (the first on line "
            "3), and no burn-in of the host is among the results merged); node-d burn (fleet.csv "
            "has 1 row for a run (line 2), and no run of the host is among the results merged)");

  // A spec of rates alone judges a burn-in on the machine's facts and the built-in criteria, and
  // a burn-in that did not pass still fails its node.
  ResultsDocument faulty = burn_in("node-b");
  faulty.burn->devices[0].verdict = BurnVerdict::faulty;
  faulty.burn->devices[0].why = "element 7 differs";
  fs::create_directories(tmp.path() / "rates");
  FleetRecord rated =
      merge_results({write_node(tmp.path() / "rates", node("node-a", std::nullopt, 100), "a-run"),
                     write_node(tmp.path() / "rates", burn_in("node-a"), "a-burn"),
                     write_node(tmp.path() / "rates", node("node-b", std::nullopt, 100), "b-run"),
                     write_node(tmp.path() / "rates", faulty, "b-burn")},
                    std::nullopt, {}, 10, "T");
  judge_fleet(
      rated,
      [&](const ResultsDocument&) {
        return SpecChoice{sgemm_spec(50), "spec.csv"};
      },
      "spec.csv", "T");
  for (const auto& n : rated.nodes) {
    const AcceptanceResult& v = *n.results->acceptance;
    EXPECT_FALSE(has_criterion(v, "spec.applies")) << node_label(n);
    EXPECT_FALSE(has_criterion(v, "fleet.run_merged")) << node_label(n);
    EXPECT_EQ(v.passed, node_label(n) != "node-b burn") << node_label(n);
  }
  EXPECT_EQ(criterion(*rated.acceptance, "fleet.nodes_failed").measured, 1);
}

// Rows keyed to GPUs a host lacks ask nothing of it, as `check` of its results alone does not
// judge them; whether the spec is for a machine is asked of all of its rows, of every kind.
TEST(FleetCheck, RowsForOtherGpusAskNoKindOfAHost) {
  TempDir tmp;
  const auto on_gpu = [](ResultsDocument doc, const std::string& name) {
    for (auto& g : doc.environment.gpu.devices) g.name = name;
    return doc;
  };
  // Two A100s: a burn-in of several GPUs gets no sibling rule of the spec's rates (its own
  // verdicts compare its GPUs).
  ResultsDocument a100_burn = on_gpu(burn_in("a100"), "NVIDIA A100");
  a100_burn.burn->devices[0].device = DeviceRef::gpu({0});
  a100_burn.burn->devices[0].implementation = "cublas";
  a100_burn.burn->devices.push_back(a100_burn.burn->devices[0]);
  a100_burn.burn->devices[1].device = DeviceRef::gpu({1});
  for (int i : {0, 1})
    a100_burn.environment.gpu.devices.push_back({.index = i, .name = "NVIDIA A100"});
  FleetRecord fleet = merge_results(
      {write_node(tmp.path(), on_gpu(node("a100", std::nullopt, 100, {900, 900}), "NVIDIA A100"),
                  "a"),
       write_node(tmp.path(), a100_burn, "a-burn"),
       write_node(tmp.path(), on_gpu(node("a100-2", std::nullopt, 100, {900}), "NVIDIA A100"),
                  "a2"),
       write_node(tmp.path(), on_gpu(node("h100", std::nullopt, 100, {1000}), "NVIDIA H100"), "h")},
      std::nullopt, {}, 10, "T");
  const SpecChoice keyed{
      parse_spec(fmt::format("{}\n"
                             "gpu.sgemm.cublas.gflops,>=,500 GFLOP/s,,fail,any,\n"
                             "burn.gpu.faulty,==,0,,fail,NVIDIA H100*,\n",
                             kSpecHeader),
                 "keyed.csv"),
      "keyed.csv"};
  judge_fleet(
      fleet, [&](const ResultsDocument&) { return keyed; }, "keyed.csv", "T");
  std::map<std::string, const AcceptanceResult*> verdicts;
  for (const auto& n : fleet.nodes) verdicts[node_label(n)] = &*n.results->acceptance;
  ASSERT_EQ(verdicts.size(), 4u);
  // The A100s' runs and burn-in pass, with a burn-in or without: the spec applies through its rate
  // row for any GPU.
  for (const std::string label : {"a100", "a100 burn", "a100-2"}) {
    EXPECT_TRUE(verdicts.at(label)->passed) << label;
    EXPECT_FALSE(has_criterion(*verdicts.at(label), "spec.applies")) << label;
    EXPECT_FALSE(has_criterion(*verdicts.at(label), "fleet.burn_merged")) << label;
  }
  ASSERT_EQ(verdicts.at("a100 burn")->not_applied.size(), 1u);
  EXPECT_EQ(verdicts.at("a100 burn")->not_applied[0],
            "line 3: burn.gpu.faulty == 0, for NVIDIA H100*");
  EXPECT_TRUE(verdicts.at("a100")->not_applied.empty());  // a burn-in's row, not the run's
  // The H100's spec asks for its burn-in.
  EXPECT_FALSE(verdicts.at("h100")->passed);
  EXPECT_EQ(criterion(*verdicts.at("h100"), "fleet.burn_merged").reason,
            "not equal to the bound: keyed.csv has 1 row for a burn-in (line 3), and no burn-in of "
            "the host is among the results merged");
}

// Where the ranks of a host have specs of their own (`--spec auto`, a GPU model each), each spec
// asks for itself, on its own rank's verdict.
TEST(FleetCheck, EachRanksSpecAsksForItsKindsOnItsOwnVerdict) {
  TempDir tmp;
  FleetRecord fleet = merge_results({write_node(tmp.path(), node("mixed", 0, 100), "r0"),
                                     write_node(tmp.path(), node("mixed", 1, 100), "r1")},
                                    std::nullopt, {}, 10, "T");
  const auto spec = [](const std::string& file, const std::string& rows) {
    return SpecChoice{
        parse_spec(
            fmt::format("{}\ncpu.sgemm.omp.gflops,>=,50 GFLOP/s,,fail,any,\n{}", kSpecHeader, rows),
            file),
        "auto: " + file};
  };
  const SpecChoice first = spec("h100.csv", "burn.faulty,==,0,,fail,any,\n");
  const SpecChoice second = spec("l4.csv",
                                 "burn.faulty,==,0,,fail,any,\nburn.degraded,==,0,,fail,any,\n"
                                 "memtest.failed,==,0,,fail,any,\n");
  judge_fleet(
      fleet, [&](const ResultsDocument& doc) { return doc.run.launch.rank == 0 ? first : second; },
      "auto", "T");
  const AcceptanceResult& r0 = *fleet.nodes[0].results->acceptance;
  const AcceptanceResult& r1 = *fleet.nodes[1].results->acceptance;
  EXPECT_EQ(criterion(r0, "fleet.burn_merged").reason,
            "not equal to the bound: h100.csv has 1 row for a burn-in (line 3), and no burn-in of "
            "the host is among the results merged");
  EXPECT_FALSE(has_criterion(r0, "fleet.memtest_merged"));
  EXPECT_EQ(criterion(r1, "fleet.burn_merged").reason,
            "not equal to the bound: l4.csv has 2 rows for a burn-in (the first on line 3), and no "
            "burn-in of the host is among the results merged");
  EXPECT_EQ(criterion(r1, "fleet.memtest_merged").reason,
            "not equal to the bound: l4.csv has 1 row for a memory test (line 5), and no memory "
            "test of the host is among the results merged");
}

TEST(FleetCheck, AReasonNamesTenNodesAndCountsTheRest) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 13; ++i) inputs.push_back(tmp.path() / fmt::format("gone-{:02}", i));
  FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const SpecChoice choice{sgemm_spec(50), "spec.csv"};
  judge_fleet(
      fleet, [&](const ResultsDocument&) { return choice; }, "spec.csv", "T");
  const std::string& reason = criterion(*fleet.acceptance, "fleet.nodes_failed").reason;
  EXPECT_NE(reason.find("gone-09 (no such file or directory); and 3 more (fleet.md lists each)"),
            std::string::npos)
      << reason;
  EXPECT_EQ(reason.find("gone-10"), std::string::npos) << reason;
}

TEST(FleetCheck, JunitHasATestsuitePerNodeAndTheFleet) {
  TempDir tmp;
  const std::string xml = FleetJunitPrinter().print(judged_fleet(tmp.path()));
  for (const std::string suite :
       {"node-0 rank 0", "node-1 rank 1", "node-2 rank 2", "node-3 rank 3", "node-9", "fleet"}) {
    EXPECT_NE(xml.find("<testsuite name=\"" + suite + "\""), std::string::npos) << suite;
  }
  EXPECT_NE(xml.find("<testsuite name=\"node-9\" tests=\"1\" failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"node-0 rank 0\" tests=\"4\" failures=\"0\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testsuite name=\"node-3 rank 3\" tests=\"5\" failures=\"2\""),
            std::string::npos);
  EXPECT_NE(xml.find("<testsuites name=\"flopbench check\" tests=\"22\" failures=\"6\""),
            std::string::npos)
      << xml.substr(0, 200);
}

// Two results of one host: the set-aside one's testsuite is told from the other's by its source,
// as CI tools merge or overwrite testsuites of one name.
TEST(FleetCheck, JunitTestsuitesOfTwoResultsOfOneHostHaveDistinctNames) {
  TempDir tmp;
  const fs::path first = write_node(tmp.path(), node("node-a", std::nullopt, 100), "a1"),
                 second = write_node(tmp.path(), node("node-a", std::nullopt, 90), "a2"),
                 other = write_node(tmp.path(), node("node-b", std::nullopt, 100), "b");
  FleetRecord fleet = merge_results({first, second, other}, std::nullopt, {}, 10, "T");
  const SpecChoice choice{sgemm_spec(50), "spec.csv"};
  judge_fleet(
      fleet, [&](const ResultsDocument&) { return choice; }, "spec.csv", "2026-01-01T00:00:00Z");
  const std::string xml = FleetJunitPrinter().print(fleet);
  std::vector<std::string> names;
  for (std::size_t at = 0; (at = xml.find("<testsuite name=\"", at)) != std::string::npos;) {
    at += 17;
    names.push_back(xml.substr(at, xml.find('"', at) - at));
  }
  const FleetNode& aside = *analyse_fleet(fleet).failed.at(0);
  EXPECT_EQ(names, (std::vector<std::string>{"node-a", "node-a (" + aside.source + ")", "node-b",
                                             "fleet"}))
      << xml;
}

// The sources of the nodes the merge fails, in node order.
std::vector<std::string> failed_sources(const FleetRecord& fleet) {
  std::vector<std::string> sources;
  for (const FleetNode* n : analyse_fleet(fleet).failed) sources.push_back(n->source);
  return sources;
}

// Rank `rank` of `tasks` of an Open MPI job, at `gflops`.
ResultsDocument job_task(const std::string& job, const std::string& host, int rank, int tasks,
                         double gflops) {
  ResultsDocument doc = node(host, rank, gflops);
  doc.run.launch.job = job;
  doc.run.launch.tasks = tasks;
  return doc;
}

// A rerun that replaced nothing is merged as a node of its own, and a note says so: what a
// rerun of a host that reported nothing (and that no launcher numbered) should do, and what a
// rerun of the wrong host would do too.
TEST(FleetMerge, ARerunThatReplacedNothingIsSaidToBeANodeOfItsOwn) {
  TempDir tmp;
  const fs::path a = write_node(tmp.path(), node("node-a", std::nullopt, 100), "a"),
                 b = write_node(tmp.path(), node("node-b", std::nullopt, 100), "b");
  ResultsDocument later = node("node-9", std::nullopt, 100);
  later.run.started_utc = "2026-02-01T00:00:00Z";
  const FleetRecord fleet =
      merge_results({a, b}, std::nullopt, {}, 10, "T", {write_node(tmp.path(), later, "rerun-9")});
  const std::vector<std::string> notes = analyse_fleet(fleet).notes;
  EXPECT_NE(std::find(notes.begin(), notes.end(),
                      "a rerun replaced no result and stood in for no missing rank, so each is a "
                      "node of its own: node-9"),
            notes.end())
      << ::testing::PrintToString(notes);
  // A rerun that replaced its host's result: no such note.
  ResultsDocument rerun_b = node("node-b", std::nullopt, 100);
  rerun_b.run.started_utc = "2026-02-01T00:00:00Z";
  const FleetRecord replaced = merge_results({a, b}, std::nullopt, {}, 10, "T",
                                             {write_node(tmp.path(), rerun_b, "rerun-b")});
  for (const std::string& note : analyse_fleet(replaced).notes)
    EXPECT_EQ(note.find("replaced no result"), std::string::npos) << note;
  // Which reruns stood in for a missing rank is read exactly: node-1 is not node-10.
  FleetRecord stood_in;
  for (const char* host : {"node-10", "node-1"}) {
    stood_in.nodes.push_back(
        {.source = host, .host = host, .results = node(host, std::nullopt, 100), .rerun = true});
  }
  stood_in.nodes.push_back({.host = "",
                            .superseded =
                                "rank 3 of slurm job 9 wrote nothing; the rerun of node-10 "
                                "stands in for it"});
  const std::vector<std::string> exact = analyse_fleet(stood_in).notes;
  EXPECT_NE(std::find(exact.begin(), exact.end(),
                      "a rerun replaced no result and stood in for no missing rank, so each is a "
                      "node of its own: node-1"),
            exact.end())
      << ::testing::PrintToString(exact);
}

// A rank of a Slurm job step is one task: results of two hosts that claim one are of two jobs (a
// stale directory, a reused job id), and both are set aside; mpirun's ranks, numbered from 0 by
// each mpirun of one allocation under its job id, are not judged so.
TEST(FleetMerge, ASlurmRankReportedByTwoHostsSetsBothAside) {
  TempDir tmp;
  const auto task = [&](const std::string& launcher, const std::string& host, int rank,
                        int tasks = 2) {
    ResultsDocument doc = job_task("77", host, rank, tasks, 100);
    doc.run.launch.launcher = launcher;
    return write_node(tmp.path(), doc, fmt::format("{}/{}-{}", launcher, host, rank));
  };
  const std::vector<fs::path> slurm = {task("slurm", "host-x", 0), task("slurm", "host-y", 0),
                                       task("slurm", "host-z", 1)};
  const FleetRecord fleet = merge_results(slurm, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.nodes_reporting, 1);
  const std::string claimants =
      fmt::format("host-x ({}), host-y ({})", slurm[0].string(), slurm[1].string());
  EXPECT_EQ(failed_sources(fleet),
            (std::vector<std::string>{slurm[0].string(), slurm[1].string()}));
  EXPECT_EQ(a.failed.at(0)->problem,
            fmt::format("{}: rank 0 of slurm job 77 is reported by 2 hosts ({}): a rank is one "
                        "task, so all but one are of another job (a stale directory, a reused job "
                        "id): set aside; give one job's results",
                        slurm[0].string(), claimants));
  // Two mpiruns of one task each.
  const std::vector<fs::path> mpirun = {task("openmpi", "host-x", 0, 1),
                                        task("openmpi", "host-y", 0, 1)};
  EXPECT_TRUE(failed_sources(merge_results(mpirun, std::nullopt, {}, 10, "T")).empty());
}

// A node that failed (here: slow) is run again, as a job of its own whose one task is rank 0:
// merged as a rerun, it replaces the first run's result of its host, which stays in the record
// to show what was replaced, neither judged nor failed. Merged as one more input, the first run
// still fails the fleet.
TEST(FleetMerge, ARerunReplacesItsHostsResultsWhateverTheirRank) {
  TempDir tmp;
  std::vector<fs::path> first;
  for (int rank = 0; rank < 4; ++rank) {
    first.push_back(write_node(
        tmp.path(), job_task("9", fmt::format("node-{}", rank), rank, 4, rank == 2 ? 40 : 100),
        fmt::format("9/node-{}-{}", rank, rank)));
  }
  const fs::path rerun = write_node(tmp.path(), job_task("10", "NODE-2", 0, 1, 99), "10/node-2-0");

  const FleetRecord without = merge_results(
      [&] {
        auto all = first;
        all.push_back(rerun);
        return all;
      }(),
      4, {}, 10, "T");
  EXPECT_FALSE(analyse_fleet(without).outliers.empty());

  FleetRecord fleet = merge_results(first, 4, {}, 10, "T", {rerun});
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_TRUE(a.failed.empty());
  EXPECT_TRUE(a.outliers.empty());
  EXPECT_EQ(a.nodes_reporting, 4);
  ASSERT_EQ(a.metrics.size(), 1u);
  EXPECT_EQ(a.metrics[0].values.size(), 4u);  // node-2's 99, not its 40
  ASSERT_EQ(a.superseded.size(), 1u);
  EXPECT_EQ(a.superseded[0]->source, first[2].string());
  EXPECT_EQ(a.superseded[0]->superseded, fmt::format("replaced by the rerun {}", rerun.string()));
  const std::string console = FleetConsolePrinter().print(fleet);
  EXPECT_NE(console.find("4 of 4 expected nodes reported; 5 results merged, 0 failed, set aside or "
                         "missing; 1 replaced by a rerun;"),
            std::string::npos)
      << console;
  EXPECT_NE(console.find(fmt::format("superseded node-2 rank 2: replaced by the rerun {}\n",
                                     rerun.string())),
            std::string::npos)
      << console;
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_NE(md.find("| superseded: replaced by the rerun"), std::string::npos) << md;
  EXPECT_NE(md.find("| reported (rerun) "), std::string::npos) << md;
  const std::string csv = FleetCsvPrinter().print(fleet);
  EXPECT_NE(csv.find(fmt::format("node-2 rank 2,node-2,2,{},-,superseded,replaced by the rerun {},",
                                 first[2].string(), rerun.string())),
            std::string::npos)
      << csv;

  // Through the fleet record and check: the replaced result is not judged, nor counted.
  write_file_atomically(tmp.path() / "fleet.json", FleetJsonPrinter().print(fleet));
  fleet = read_fleet_file(tmp.path() / "fleet.json");
  ASSERT_EQ(analyse_fleet(fleet).superseded.size(), 1u);
  judge_fleet(
      fleet,
      [&](const ResultsDocument&) {
        return SpecChoice{sgemm_spec(50), "spec.csv"};
      },
      "spec.csv", "2026-01-01T00:00:00Z");
  EXPECT_TRUE(fleet.acceptance->passed);
  EXPECT_NE(FleetMarkdownPrinter().print(fleet).find("**PASS: 0 of 4 nodes failed their check;"),
            std::string::npos);
  const std::string junit = FleetJunitPrinter().print(fleet);
  EXPECT_EQ(junit.find("node-2 rank 2"), std::string::npos) << junit;
  EXPECT_NE(junit.find("testsuite name=\"NODE-2 rank 0\""), std::string::npos) << junit;
}

// A rerun started outside Slurm (ssh to the node) records no Slurm node name, but is the machine
// whose replaced results recorded one: against a file of Slurm's names, it reports as that node.
TEST(FleetMerge, ARerunOutsideSlurmReportsAsItsHostsSlurmName) {
  TempDir tmp;
  std::vector<fs::path> first;
  std::vector<std::string> listed;
  for (int rank = 0; rank < 2; ++rank) {
    ResultsDocument task =
        job_task("9", fmt::format("ip-10-0-0-{}", rank), rank, 2, rank == 1 ? 40 : 100);
    task.run.launch.launcher = "slurm";
    task.run.launch.node_name = fmt::format("gpu-st-{}", rank);
    listed.push_back(task.run.launch.node_name);
    first.push_back(write_node(tmp.path(), task, fmt::format("9/{}", rank)));
  }
  ResultsDocument again = node("ip-10-0-0-1", std::nullopt, 100);
  again.run.started_utc = "2026-01-02T00:00:00Z";
  const fs::path rerun = write_node(tmp.path(), again, "rerun");
  const FleetRecord fleet = merge_results(first, std::nullopt, listed, 10, "T", {rerun});
  EXPECT_TRUE(failed_sources(fleet).empty())
      << fmt::format("{}", fmt::join(failed_sources(fleet), "; "));
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.nodes_reporting, 2);
  ASSERT_EQ(a.superseded.size(), 1u);
  EXPECT_EQ(a.superseded[0]->source, first[1].string());
  // Not a name of another machine: a host with no result that records gpu-st-1 (sorting before
  // the one that does) stands for none.
  ResultsDocument stranger = node("ip-10-0-0-00", std::nullopt, 100);
  stranger.run.started_utc = "2026-01-02T00:00:00Z";
  const FleetRecord other = merge_results(first, std::nullopt, listed, 10, "T",
                                          {write_node(tmp.path(), stranger, "stranger")});
  EXPECT_EQ(failed_sources(other), std::vector<std::string>{(tmp.path() / "stranger").string()});

  // A name the machine's own result records comes before one its older result recorded: node
  // ip-10-0-0-0 was gpu-st-1 in an old job, and is gpu-st-0 now, where ip-10-0-0-1 is gpu-st-1.
  ResultsDocument old = job_task("5", "ip-10-0-0-0", 0, 1, 100);
  old.run.launch.launcher = "slurm";
  old.run.launch.node_name = "gpu-st-1";
  old.run.started_utc = "2025-06-01T00:00:00Z";
  std::vector<fs::path> with_old = first;
  with_old.push_back(write_node(tmp.path(), old, "5/0"));
  const FleetRecord renamed =
      merge_results(with_old, std::nullopt, {"gpu-st-1", "gpu-st-0"}, 10, "T", {rerun});
  const std::vector<std::string> failed = failed_sources(renamed);
  EXPECT_EQ(failed, std::vector<std::string>{(tmp.path() / "5/0").string()})
      << fmt::format("{}", fmt::join(failed, "; "));
  EXPECT_EQ(analyse_fleet(renamed).nodes_reporting, 2);
}

// A node that died wrote nothing: its rank of the job is missing, and which host it ran on is not
// recorded. A rerun of a host that the job has no result of stands in for it; a rerun of a host
// that reported in the job, or a rerun with too few tasks, does not; nor does a rerun excuse its
// own job's missing ranks.
TEST(FleetMerge, ARerunOfAHostThatWroteNothingStandsInForTheMissingRank) {
  TempDir tmp;
  std::vector<fs::path> first;
  for (int rank = 0; rank < 3; ++rank) {
    first.push_back(write_node(tmp.path(),
                               job_task("9", fmt::format("node-{}", rank), rank, 4, 100),
                               fmt::format("9/node-{}-{}", rank, rank)));
  }
  const auto missing_rank = [](const FleetRecord& fleet) {
    return std::find_if(fleet.nodes.begin(), fleet.nodes.end(),
                        [](const FleetNode& n) { return n.source == "openmpi job 9 rank 3"; });
  };

  const FleetRecord stood_in =
      merge_results(first, std::nullopt, {}, 10, "T",
                    {write_node(tmp.path(), job_task("10", "node-3", 0, 1, 100), "10/node-3-0")});
  ASSERT_NE(missing_rank(stood_in), stood_in.nodes.end());
  EXPECT_EQ(missing_rank(stood_in)->superseded,
            "rank 3 of the 4 tasks of openmpi job 9: no readable result among the inputs; the "
            "rerun of node-3 stands in for it");
  EXPECT_TRUE(missing_rank(stood_in)->problem.empty());
  EXPECT_TRUE(analyse_fleet(stood_in).failed.empty());
  FleetRecord judged = stood_in;
  judge_fleet(
      judged,
      [&](const ResultsDocument&) {
        return SpecChoice{sgemm_spec(50), "spec.csv"};
      },
      "spec.csv", "2026-01-01T00:00:00Z");
  EXPECT_TRUE(judged.acceptance->passed);
  EXPECT_EQ(criterion(*judged.acceptance, "fleet.nodes_reporting").bound, 4);

  // node-0 reported in job 9: its rerun accounts for no missing rank.
  const FleetRecord reported_before =
      merge_results(first, std::nullopt, {}, 10, "T",
                    {write_node(tmp.path(), job_task("11", "node-0", 0, 1, 100), "11/node-0-0")});
  ASSERT_NE(missing_rank(reported_before), reported_before.nodes.end());
  EXPECT_TRUE(missing_rank(reported_before)->superseded.empty());
  EXPECT_EQ(analyse_fleet(reported_before).failed.size(), 1u);

  // A rerun job of two tasks of which one wrote: its own missing rank fails.
  const FleetRecord half_rerun =
      merge_results(first, std::nullopt, {}, 10, "T",
                    {write_node(tmp.path(), job_task("12", "node-3", 0, 2, 100), "12/node-3-0")});
  const FleetAnalysis half = analyse_fleet(half_rerun);
  ASSERT_EQ(half.failed.size(), 1u);
  EXPECT_EQ(half.failed[0]->source, "rerun openmpi job 12 rank 1");
  EXPECT_EQ(half.superseded.size(), 1u);  // job 9's rank 3
}

// A result left from an older job in the glob counts as a host that reported: with a count of
// hosts expected, it stands in for a node that died in this job. The notes say the results come
// from several jobs; a rerun, of a job of its own by design, does not count as one.
TEST(FleetMerge, ResultsOfSeveralJobsAreNoted) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int rank = 0; rank < 3; ++rank) {
    inputs.push_back(write_node(tmp.path(),
                                job_task("9", fmt::format("node-{}", rank), rank, 3, 100),
                                fmt::format("9/node-{}-{}", rank, rank)));
  }
  const auto notes_of = [](const FleetRecord& fleet) {
    return fmt::format("{}", fmt::join(analyse_fleet(fleet).notes, "\n"));
  };
  const fs::path rerun = write_node(tmp.path(), job_task("10", "node-1", 0, 1, 100), "10/node-1");
  EXPECT_EQ(notes_of(merge_results(inputs, 3, {}, 10, "T", {rerun})).find("several jobs"),
            std::string::npos);
  inputs.push_back(write_node(tmp.path(), job_task("8", "node-99", 0, 1, 100), "8/node-99-0"));
  const FleetRecord fleet = merge_results(inputs, 4, {}, 10, "T");
  EXPECT_EQ(analyse_fleet(fleet).nodes_reporting, 4);
  EXPECT_NE(notes_of(fleet).find("results of several jobs (a result left from another may stand in "
                                 "for a node that reported nothing): openmpi job 8: node-99 rank "
                                 "0; openmpi job 9: node-0 rank 0, node-1 rank 1, node-2 rank 2"),
            std::string::npos)
      << notes_of(fleet);
}

// The rule for a missing rank, at its edges: the rerun hosts must be as many as the hosts'
// worth of missing ranks, each reruns once, a host that lost part of its tasks is no host that
// reported nothing, and a rerun launched under the earlier job's id is a job of its own.
TEST(FleetMerge, ARerunStandsInForMissingRanksOnlyWhereTheyAreWholeHostsItCanHold) {
  TempDir tmp;
  // Job `job` of `hosts` nodes, one task each, of which those in `reported` wrote results.
  const auto job_of = [&](const std::string& job, int hosts, const std::vector<int>& reported) {
    std::vector<fs::path> dirs;
    for (const int rank : reported) {
      dirs.push_back(write_node(tmp.path(),
                                job_task(job, fmt::format("node-{}", rank), rank, hosts, 100),
                                fmt::format("{}/node-{}", job, rank)));
    }
    return dirs;
  };
  // A rerun of `host`, one task of job `job`.
  const auto rerun_of = [&](const std::string& host, const std::string& job = "10") {
    return std::vector{
        write_node(tmp.path(), job_task(job, host, 0, 1, 100), fmt::format("{}/{}-0", job, host))};
  };

  // Two hosts' worth missing, one rerun: neither stands in; two reruns: both.
  const auto two_missing = job_of("9", 4, {0, 1});
  const auto node_2 = rerun_of("node-2"), node_3 = rerun_of("node-3");
  EXPECT_EQ(failed_sources(merge_results(two_missing, std::nullopt, {}, 10, "T", node_3)),
            (std::vector<std::string>{"openmpi job 9 rank 2", "openmpi job 9 rank 3"}));
  std::vector<fs::path> both = node_2;
  both.insert(both.end(), node_3.begin(), node_3.end());
  EXPECT_TRUE(failed_sources(merge_results(two_missing, std::nullopt, {}, 10, "T", both)).empty());

  // One rerun host stands in for one job's rank, not for another job's too.
  auto two_jobs = job_of("8", 2, {0});
  two_jobs.push_back(write_node(tmp.path(), job_task("9", "node-5", 0, 2, 100), "9/node-5"));
  const auto once = failed_sources(merge_results(two_jobs, std::nullopt, {}, 10, "T", node_3));
  ASSERT_EQ(once.size(), 1u);
  EXPECT_EQ(once[0],
            "openmpi job 9 rank 1");  // of two jobs with as little choice, the first by name

  // Of a job of three nodes, two tasks each, node-0 lost one of its tasks and node-1 reported
  // nothing: a rerun of node-1, of three tasks, could hold all three missing ranks, but does not
  // stand in for them (the hosts that reported did not report alike: one is node-0's).
  std::vector<fs::path> uneven;
  for (const auto& [host, rank] :
       std::vector<std::pair<std::string, int>>{{"node-0", 0}, {"node-2", 4}, {"node-2", 5}}) {
    uneven.push_back(write_node(tmp.path(), job_task("7", host, rank, 6, 100),
                                fmt::format("7/{}-{}", host, rank)));
  }
  std::vector<fs::path> node_1;
  for (int rank = 0; rank < 3; ++rank) {
    node_1.push_back(write_node(tmp.path(), job_task("11", "node-1", rank, 3, 100),
                                fmt::format("11/node-1-{}", rank)));
  }
  EXPECT_EQ(failed_sources(merge_results(uneven, std::nullopt, {}, 10, "T", node_1)),
            (std::vector<std::string>{"openmpi job 7 rank 1", "openmpi job 7 rank 2",
                                      "openmpi job 7 rank 3"}));

  // A rerun whose launcher gives the earlier job's id (mpirun inside one Slurm allocation) is a
  // job of its own: its rank 0 does not hide the earlier job's, and it stands in for rank 3.
  const auto three_of_four = job_of("6", 4, {0, 1, 2});
  EXPECT_TRUE(failed_sources(
                  merge_results(three_of_four, std::nullopt, {}, 10, "T", rerun_of("node-3", "6")))
                  .empty());
}

// A GPU is found again by what it is, not by its index: tasks confined to one GPU each call it
// gpu0, so a rerun of one task would otherwise pass for all. All GPUs at once is the node's
// figure, whatever their number (a reseated GPU adds one). A stress test must run as long and
// judge as strictly; and a rerun that stands in for a dead node must measure what the job's
// hosts all did, as long.
TEST(FleetMerge, ARerunMustMeasureTheSameGpusAsLongAndAsStrictly) {
  TempDir tmp;
  const auto confined = [&](const std::string& uuid, int rank, const std::string& name) {
    ResultsDocument doc = node("node-a", rank, 100, {900});
    doc.environment.gpu.devices[0].uuid = uuid;
    return write_node(tmp.path(), doc, name);
  };
  const FleetRecord one_of_two =
      merge_results({confined("GPU-0", 0, "a0"), confined("GPU-1", 1, "a1")}, std::nullopt, {}, 10,
                    "T", {confined("GPU-0", 0, "rerun")});
  ASSERT_EQ(analyse_fleet(one_of_two).failed.size(), 1u);
  EXPECT_NE(analyse_fleet(one_of_two).failed[0]->problem.find("(not sgemm.cublas on GPU-1 256x"),
            std::string::npos)
      << analyse_fleet(one_of_two).failed[0]->problem;

  const auto at_once = [&](int gpus, const std::string& name) {
    ResultsDocument doc = node("node-b", std::nullopt, 100);
    std::vector<int> all(gpus);
    std::iota(all.begin(), all.end(), 0);
    doc.measurements.push_back(sgemm(DeviceRef::gpu(all), 5000));
    return write_node(tmp.path(), doc, name);
  };
  const FleetRecord reseated =
      merge_results({at_once(7, "seven")}, std::nullopt, {}, 10, "T", {at_once(8, "eight")});
  EXPECT_TRUE(analyse_fleet(reseated).failed.empty());
  EXPECT_EQ(analyse_fleet(reseated).superseded.size(), 1u);

  // A GPU replaced in its slot is a new UUID at the same PCI bus id: the same GPU to a rerun.
  const auto slotted = [&](const std::string& uuid, const std::string& name) {
    ResultsDocument doc = node("node-e", std::nullopt, 100, {900});
    doc.environment.gpu.devices[0].uuid = uuid;
    doc.environment.gpu.devices[0].pci_bus_id = "0000:17:00.0";
    return write_node(tmp.path(), doc, name);
  };
  const FleetRecord swapped = merge_results({slotted("GPU-old", "old")}, std::nullopt, {}, 10, "T",
                                            {slotted("GPU-new", "new")});
  EXPECT_TRUE(analyse_fleet(swapped).failed.empty());
  EXPECT_EQ(analyse_fleet(swapped).superseded.size(), 1u);

  ResultsDocument hour = node("node-c", std::nullopt, 100);
  hour.run.profile = std::string(kMemtestProfile);
  hour.memtest.emplace();
  hour.memtest->duration_s = 3960;  // "66m"
  hour.memtest->devices.push_back({.device = "gpu0", .bytes_tested = 80'000'000'000});
  // "1.1h", and a size 0.5 % smaller (the free memory of the moment): as rigorous.
  ResultsDocument alike = hour;
  alike.memtest->duration_s = 1.1 * 3600;
  alike.memtest->devices[0].bytes_tested = 79'600'000'000;
  const FleetRecord as_rigorous =
      merge_results({write_node(tmp.path(), hour, "hour")}, std::nullopt, {}, 10, "T",
                    {write_node(tmp.path(), alike, "alike")});
  EXPECT_TRUE(analyse_fleet(as_rigorous).failed.empty());
  ResultsDocument small = hour;
  small.memtest->devices[0].bytes_tested = 1'000'000'000;
  const FleetRecord smaller = merge_results({write_node(tmp.path(), hour, "hour2")}, std::nullopt,
                                            {}, 10, "T", {write_node(tmp.path(), small, "small")});
  ASSERT_EQ(analyse_fleet(smaller).failed.size(), 1u);
  EXPECT_NE(
      analyse_fleet(smaller).failed[0]->problem.find(
          "tested 953.7 MiB of memory on a GPU where the test it would replace tested 74.5 GiB"),
      std::string::npos)
      << analyse_fleet(smaller).failed[0]->problem;
  ResultsDocument seconds = hour;
  seconds.memtest->duration_s = 10;
  const FleetRecord memtests =
      merge_results({write_node(tmp.path(), hour, "hour")}, std::nullopt, {}, 10, "T",
                    {write_node(tmp.path(), seconds, "seconds")});
  ASSERT_EQ(analyse_fleet(memtests).failed.size(), 1u);
  EXPECT_NE(analyse_fleet(memtests).failed[0]->problem.find(
                "a rerun that ran 10 s where the test it would replace ran 3960 s"),
            std::string::npos);

  ResultsDocument strict = node("node-d", std::nullopt, 100);
  strict.run.profile = std::string(kBurnProfile);
  strict.burn.emplace();
  strict.burn->duration_s = 60;
  strict.burn->degraded_fraction = 0.1;
  ResultsDocument loose = strict;
  loose.burn->degraded_fraction = 0.5;
  const FleetRecord burns = merge_results({write_node(tmp.path(), strict, "strict")}, std::nullopt,
                                          {}, 10, "T", {write_node(tmp.path(), loose, "loose")});
  ASSERT_EQ(analyse_fleet(burns).failed.size(), 1u);
  EXPECT_NE(analyse_fleet(burns).failed[0]->problem.find("judged DEGRADED past a drop of 0.5"),
            std::string::npos);

  // Job 5's node-1 died; a rerun that measured something else stands in for nothing.
  ResultsDocument other = job_task("15", "node-1", 0, 1, 100);
  other.measurements[0].workload = WorkloadId::stream;
  other.measurements[0].problem = Problem::vector(1 << 20);
  const FleetRecord unlike =
      merge_results({write_node(tmp.path(), job_task("5", "node-0", 0, 2, 100), "5/node-0")},
                    std::nullopt, {}, 10, "T", {write_node(tmp.path(), other, "15/node-1")});
  ASSERT_EQ(analyse_fleet(unlike).failed.size(), 1u);
  EXPECT_EQ(analyse_fleet(unlike).failed[0]->source, "openmpi job 5 rank 1");
}

// A GPU fell off the bus: its task of the job stopped before writing anything, so its host
// reported 7 of 8. That host's own rerun, replacing its results with as many tasks as the others
// ran, stands in for the missing rank; a rerun of fewer tasks does not, and says why not.
TEST(FleetMerge, AHostsOwnRerunStandsInForTheTaskItLost) {
  TempDir tmp;
  std::vector<fs::path> first;
  for (int host = 0; host < 2; ++host) {
    for (int local = 0; local < 4; ++local) {
      const int rank = host * 4 + local;
      if (rank == 6) continue;  // node-1's third GPU was gone
      first.push_back(write_node(tmp.path(),
                                 job_task("9", fmt::format("node-{}", host), rank, 8, 100),
                                 fmt::format("9/{}", rank)));
    }
  }
  const auto rerun = [&](int tasks, const std::string& job) {
    std::vector<fs::path> dirs;
    for (int rank = 0; rank < tasks; ++rank) {
      dirs.push_back(write_node(tmp.path(), job_task(job, "node-1", rank, tasks, 100),
                                fmt::format("{}/{}", job, rank)));
    }
    return dirs;
  };
  const FleetRecord whole = merge_results(first, std::nullopt, {}, 10, "T", rerun(4, "10"));
  EXPECT_TRUE(analyse_fleet(whole).failed.empty());
  const auto rank6 = std::ranges::find(whole.nodes, "openmpi job 9 rank 6", &FleetNode::source);
  ASSERT_NE(rank6, whole.nodes.end());
  EXPECT_NE(rank6->superseded.find("the rerun of node-1 stands in for it"), std::string::npos);

  const FleetRecord partial = merge_results(first, std::nullopt, {}, 10, "T", rerun(2, "11"));
  const auto failed = analyse_fleet(partial).failed;
  const auto missing = std::ranges::find(failed, "openmpi job 9 rank 6",
                                         [](const FleetNode* n) { return n->source; });
  ASSERT_NE(missing, failed.end());
  EXPECT_NE((*missing)->problem.find("; no rerun stands in for it"), std::string::npos);
}

// A rerun older than the job it would stand in for (last month's, left in the glob) is no rerun
// of its dead node; and a run and a burn-in under one job id (mpirun inside one allocation) count
// their ranks apart, so a node that died in the burn-in is missing from it.
TEST(FleetMerge, AnOldRerunStandsInForNothingAndKindsCountTheirRanksApart) {
  TempDir tmp;
  ResultsDocument old = job_task("3", "node-1", 0, 1, 100);
  old.run.started_utc = "2025-11-01T00:00:00Z";
  const FleetRecord stale =
      merge_results({write_node(tmp.path(), job_task("9", "node-0", 0, 2, 100), "9/node-0")},
                    std::nullopt, {}, 10, "T", {write_node(tmp.path(), old, "3/node-1")});
  EXPECT_EQ(failed_sources(stale), std::vector<std::string>{"openmpi job 9 rank 1"});

  std::vector<fs::path> inputs;
  for (int rank = 0; rank < 2; ++rank) {
    inputs.push_back(write_node(tmp.path(),
                                job_task("4242", fmt::format("node-{}", rank), rank, 2, 100),
                                fmt::format("run/{}", rank)));
  }
  ResultsDocument burned = job_task("4242", "node-0", 0, 2, 100);
  burned.run.profile = std::string(kBurnProfile);
  burned.burn.emplace();
  burned.burn->duration_s = 60;
  inputs.push_back(write_node(tmp.path(), burned, "burn/0"));  // node-1 died in the burn-in
  const auto missing = failed_sources(merge_results(inputs, std::nullopt, {}, 10, "T"));
  EXPECT_NE(std::ranges::find(missing, "openmpi job 4242 burn rank 1"), missing.end())
      << fmt::format("{}", fmt::join(missing, "; "));
}

// A rerun that replaces its host's results in one job stands in for no other job's missing rank
// (the dead node there is another); with two jobs to serve, the one with less choice chooses
// first, so that both are served where they can be.
TEST(FleetMerge, EachRerunHostStandsInOnceWhereItIsNeededMost) {
  TempDir tmp;
  const auto task = [&](const std::string& job, const std::string& host, int rank, int tasks) {
    return write_node(tmp.path(), job_task(job, host, rank, tasks, 100),
                      fmt::format("{}/{}-{}", job, host, rank));
  };
  // Job 5 lost a node; node-9 of job 6 failed and is rerun: its rerun is node-9's, not job 5's.
  const FleetRecord replaced =
      merge_results({task("5", "node-0", 0, 2), task("6", "node-9", 0, 1)}, std::nullopt, {}, 10,
                    "T", {task("16", "node-9", 0, 1)});
  EXPECT_EQ(failed_sources(replaced), std::vector<std::string>{"openmpi job 5 rank 1"});

  // Job 20 (one task a host) lost one host, job 21 (two a host) lost one: node-x, rerun with two
  // tasks, could stand in for either, node-y, with one, for job 20 only.
  const std::vector<fs::path> jobs = {task("20", "h-a", 0, 2), task("21", "h-b", 0, 4),
                                      task("21", "h-b", 1, 4)};
  const std::vector<fs::path> reruns = {task("30", "node-x", 0, 2), task("30", "node-x", 1, 2),
                                        task("31", "node-y", 0, 1)};
  const FleetRecord both = merge_results(jobs, std::nullopt, {}, 10, "T", reruns);
  EXPECT_TRUE(failed_sources(both).empty())
      << fmt::format("{}", fmt::join(failed_sources(both), "; "));
  for (const FleetNode& n : both.nodes) {
    if (n.source.starts_with("openmpi job 21 rank")) {
      EXPECT_NE(n.superseded.find("the rerun of node-x stands in"), std::string::npos);
    }
  }
}

// A rerun must measure again what it replaces: one that left out a GPU the earlier result
// measured is set aside, and the earlier result stands.
TEST(FleetMerge, ARerunThatMeasuredLessIsSetAside) {
  TempDir tmp;
  const fs::path first = write_node(tmp.path(), node("node-a", std::nullopt, 100, {900, 50}), "a");
  ResultsDocument again = node("node-a", std::nullopt, 100, {900});
  const fs::path rerun = write_node(tmp.path(), again, "rerun");
  const FleetRecord fleet = merge_results({first}, std::nullopt, {}, 10, "T", {rerun});
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_TRUE(a.superseded.empty());
  ASSERT_EQ(a.failed.size(), 1u);
  EXPECT_EQ(a.failed[0]->problem,
            fmt::format("{}, a rerun that measured less than the results it would replace (not "
                        "sgemm.cublas on gpu1 256x256x256): set aside; rerun it with the job's "
                        "options (its profile, --workloads, --gpus, --sizes), with every GPU it "
                        "measured in place, or the whole job where a default size moved",
                        rerun.string()));

  // A measurement made at another size (a GPU whose memory bound its default size, which other
  // memory reserved moved) names the size it was made at instead.
  ResultsDocument resized = node("node-a", std::nullopt, 100, {900, 50});
  resized.measurements.back().problem = Problem::matrix(128, 128, 128);
  const FleetRecord moved =
      merge_results({first}, std::nullopt, {}, 10, "T", {write_node(tmp.path(), resized, "moved")});
  ASSERT_EQ(analyse_fleet(moved).failed.size(), 1u);
  EXPECT_NE(analyse_fleet(moved).failed[0]->problem.find(
                "(not sgemm.cublas on gpu1 256x256x256: measured 128x128x128 instead)"),
            std::string::npos)
      << analyse_fleet(moved).failed[0]->problem;

  // Every device again, but not every measurement (a narrower --workloads): set aside too.
  ResultsDocument narrower = node("node-a", std::nullopt, 100, {900, 50});
  MeasurementRecord dgemm = narrower.measurements.back();
  dgemm.workload = WorkloadId::gemm;
  dgemm.precision = Precision::fp64;
  ResultsDocument wider = narrower;
  wider.measurements.push_back(dgemm);
  const FleetRecord subset =
      merge_results({write_node(tmp.path(), wider, "wider")}, std::nullopt, {}, 10, "T",
                    {write_node(tmp.path(), narrower, "narrower")});
  ASSERT_EQ(analyse_fleet(subset).failed.size(), 1u);
  EXPECT_NE(analyse_fleet(subset).failed[0]->problem.find("(not dgemm.cublas on gpu1 256x256x256)"),
            std::string::npos)
      << analyse_fleet(subset).failed[0]->problem;

  // A shorter burn-in replaces no longer one.
  ResultsDocument day = node("node-b", std::nullopt, 100);
  day.run.profile = std::string(kBurnProfile);
  day.burn.emplace();
  day.burn->duration_s = 86400;
  ResultsDocument minute = day;
  minute.burn->duration_s = 60;
  const FleetRecord burns = merge_results({write_node(tmp.path(), day, "day")}, std::nullopt, {},
                                          10, "T", {write_node(tmp.path(), minute, "minute")});
  ASSERT_EQ(analyse_fleet(burns).failed.size(), 1u);
  EXPECT_NE(analyse_fleet(burns).failed[0]->problem.find(
                "a rerun that ran 60 s where the test it would replace ran 86400 s: set aside; "
                "rerun it as long and as strictly as the job"),
            std::string::npos);

  // A rerun whose host name is another form of an input's: neither that host's nor another's.
  const FleetRecord forms = merge_results(
      {write_node(tmp.path(), node("node-c.cluster", std::nullopt, 100), "fqdn")}, std::nullopt, {},
      10, "T", {write_node(tmp.path(), node("node-c", std::nullopt, 100), "short")});
  ASSERT_EQ(analyse_fleet(forms).failed.size(), 1u);
  EXPECT_NE(analyse_fleet(forms).failed[0]->problem.find(
                "a rerun of node-c, whose name is another form of node-c.cluster's among the "
                "inputs: not known to be that host, nor another: set aside; give it without "
                "--rerun if it is another host"),
            std::string::npos);
}

// A rerun replaces results of its own kind only (a run is no burn-in); and one that started
// before the result it would replace (an old directory given by mistake) is set aside.
TEST(FleetMerge, ARerunReplacesOnlyOlderResultsOfItsKind) {
  TempDir tmp;
  ResultsDocument burned = node("node-a", std::nullopt, 100);
  burned.run.profile = std::string(kBurnProfile);
  burned.burn.emplace();  // no device burned: it does not pass
  const fs::path burn = write_node(tmp.path(), burned, "burn"),
                 run = write_node(tmp.path(), node("node-a", std::nullopt, 100), "run");
  ResultsDocument again = node("node-a", std::nullopt, 100);
  again.run.started_utc = "2026-02-01T00:00:00Z";
  const FleetRecord fleet = merge_results({burn, run}, std::nullopt, {}, 10, "T",
                                          {write_node(tmp.path(), again, "rerun")});
  const FleetAnalysis a = analyse_fleet(fleet);
  ASSERT_EQ(a.superseded.size(), 1u);
  EXPECT_EQ(a.superseded[0]->source, run.string());
  // The burn-in that did not pass still counts; a burn-in and a run are no duplicates.
  EXPECT_FALSE(a.stress_problems.empty());
  EXPECT_TRUE(a.failed.empty());

  // The result itself given again as a rerun is refused: it would replace itself.
  try {
    merge_results({run}, std::nullopt, {}, 10, "T", {run / "results.json"});
    ADD_FAILURE() << "a result given as its own rerun was merged";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("--rerun {}: is the result {} among those merged; a rerun is a later "
                          "run's result",
                          (run / "results.json").string(), run.string()));
  }
  // As is a result given twice, by its directory and its file, among the results or the reruns:
  // a command-line mistake, not a second result of its node that fails the merge.
  const fs::path stand_in = write_node(tmp.path(), again, "rerun-2");
  try {
    merge_results({run}, std::nullopt, {}, 10, "T", {stand_in, stand_in / "results.json"});
    ADD_FAILURE() << "a rerun given twice was merged";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("--rerun {}: is the rerun {} again; give each result once",
                          (stand_in / "results.json").string(), stand_in.string()));
  }
  try {
    merge_results({run, run / "results.json"}, std::nullopt, {}, 10, "T");
    ADD_FAILURE() << "a result given twice was merged";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("{}: is the result {} again; give each result once",
                          (run / "results.json").string(), run.string()));
  }

  ResultsDocument old = node("node-a", std::nullopt, 100);
  old.run.started_utc = "2025-01-01T00:00:00Z";
  const fs::path stale = write_node(tmp.path(), old, "stale");
  const FleetRecord set_aside = merge_results({run}, std::nullopt, {}, 10, "T", {stale});
  const FleetAnalysis b = analyse_fleet(set_aside);
  EXPECT_TRUE(b.superseded.empty());
  ASSERT_EQ(b.failed.size(), 1u);
  EXPECT_EQ(b.failed[0]->problem,
            fmt::format("{}, a rerun of node-a of which one started before the result it would "
                        "replace ({}, started 2025-12-31T23:59:00Z): set aside; give only reruns "
                        "made after it",
                        stale.string(), run.string()));
}

// check judges every node a fleet record does not show replaced: a node marked superseded
// without the rerun that replaced it is refused, not passed unjudged.
TEST(FleetRecordJson, ANodeMarkedSupersededNeedsItsRerunInTheRecord) {
  TempDir tmp;
  const FleetRecord fleet =
      merge_results({write_node(tmp.path(), node("node-a", std::nullopt, 100), "a"),
                     write_node(tmp.path(), node("node-b", std::nullopt, 10), "b")},
                    std::nullopt, {}, 10, "T");
  // Why reading the record with its second node edited so is refused; "" when it is read.
  const auto refusal = [&](const std::string& name, const nlohmann::json& second) {
    nlohmann::json j = to_json(fleet);
    j["nodes"][1] = second;
    write_file_atomically(tmp.path() / name, j.dump());
    try {
      read_fleet_file(tmp.path() / name);
      return std::string();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  nlohmann::json result = to_json(fleet)["nodes"][1];
  result["superseded"] = "replaced by the rerun x";
  EXPECT_NE(refusal("edited.json", result)
                .find("edited.json: nodes[1].superseded: replaced by a rerun that the record does "
                      "not hold (none of its host and kind)"),
            std::string::npos);
  // A missing rank marked superseded with no rerun that counts; a rerun marked superseded.
  const nlohmann::json rank = {{"source", "openmpi job 9 rank 3"},
                               {"host", ""},
                               {"problem", ""},
                               {"rerun", false},
                               {"superseded", "the rerun of x stands in for it"},
                               {"results", nullptr}};
  EXPECT_NE(refusal("rank.json", rank)
                .find("nodes[1].superseded: replaced by a rerun that the record does not hold "
                      "(none that counts)"),
            std::string::npos);
  result["rerun"] = true;
  EXPECT_NE(refusal("rerun.json", result).find("nodes[1].superseded: a rerun is replaced by none"),
            std::string::npos);
}

// Results that name no host are no machine's: each is set aside on its own, not read as a second
// result of the other.
TEST(FleetMerge, ResultsWithoutAHostNameAreSetAsideEach) {
  TempDir tmp;
  const fs::path named = write_node(tmp.path(), node("node-a", std::nullopt, 100), "a"),
                 first = write_node(tmp.path(), node("", std::nullopt, 100), "h4"),
                 second = write_node(tmp.path(), node("", std::nullopt, 90), "h5");
  const FleetRecord fleet = merge_results({named, first, second}, 3, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  EXPECT_EQ(a.nodes_reporting, 1);
  std::vector<std::string> problems;
  for (const FleetNode* n : a.failed) problems.push_back(n->problem);
  EXPECT_EQ(problems, (std::vector<std::string>{
                          first.string() + ": the results name no host (environment.host), so no "
                                           "node of the fleet: set aside",
                          second.string() + ": the results name no host (environment.host), so "
                                            "no node of the fleet: set aside"}));
}

// A record edited to what merge never writes is refused, not judged: a negative threshold would
// make every node an outlier, and a fleet of no node would pass.
TEST(FleetRecordJson, ARecordMergeCouldNotHaveWrittenIsRefused) {
  TempDir tmp;
  const FleetRecord fleet = merge_results(
      {write_node(tmp.path(), node("node-a", std::nullopt, 100), "a")}, 1, {}, 10, "T");
  const auto refusal = [&](const char* field, const nlohmann::json& value) {
    nlohmann::json j = to_json(fleet);
    j[field] = value;
    write_file_atomically(tmp.path() / "edited.json", j.dump());
    try {
      read_fleet_file(tmp.path() / "edited.json");
      return std::string();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  const std::string file = (tmp.path() / "edited.json").string();
  EXPECT_EQ(refusal("threshold_percent", -5),
            file + ": threshold_percent: -5 is not a threshold merge writes (0 to 100)");
  EXPECT_EQ(refusal("threshold_percent", 500),
            file + ": threshold_percent: 500 is not a threshold merge writes (0 to 100)");
  EXPECT_EQ(refusal("nodes", nlohmann::json::array()),
            file + ": nodes: no node: a fleet record holds every input merged");
  EXPECT_EQ(refusal("expected_nodes", 0),
            file + ": expected_nodes: 0 is not a number of hosts (1 or more)");
  EXPECT_EQ(refusal("threshold_percent", 0), "");
  EXPECT_EQ(refusal("threshold_percent", 100), "");
}

// A fleet directory among the inputs (a glob such as $out/*/ after the job merged into
// $out/fleet) is named for what it is.
TEST(FleetMerge, AFleetDirectoryAmongTheInputsIsNamed) {
  TempDir tmp;
  const fs::path a = write_node(tmp.path(), node("node-a", std::nullopt, 100), "node-a");
  const FleetRecord fleet = merge_results({a}, std::nullopt, {}, 10, "T");
  fs::create_directories(tmp.path() / "fleet");
  write_file_atomically(tmp.path() / "fleet" / "fleet.json", FleetJsonPrinter().print(fleet));
  const FleetRecord again = merge_results({a, tmp.path() / "fleet"}, std::nullopt, {}, 10, "T");
  const FleetAnalysis an = analyse_fleet(again);
  ASSERT_EQ(an.failed.size(), 1u);
  // Labelled by its path, which the problem does not repeat.
  EXPECT_EQ(node_label(*an.failed[0]), (tmp.path() / "fleet").string());
  EXPECT_EQ(an.failed[0]->problem, "a fleet directory (fleet.json), not a node's results");
}

// A node that reported, but whose GPU gave a wrong result and an error: no metric counts those,
// so the node would otherwise read as a healthy one with fewer metrics. Every output names them,
// and merge exits 1.
TEST(FleetReport, IncorrectOrFailedMeasurementsAreNamedInEveryOutput) {
  TempDir tmp;
  std::vector<fs::path> inputs;
  for (int i = 0; i < 3; ++i) {
    ResultsDocument doc = node(fmt::format("node-{}", i), std::nullopt, 100, {1000});
    if (i == 2) {
      doc.measurements[1].disposition = Disposition::incorrect;
      doc.measurements[1].reason = "max relative error 0.031 above the tolerance 0.0001";
      doc.measurements[1].gflops.reset();
      MeasurementRecord failed = sgemm(DeviceRef::gpu({0}), 0);
      failed.problem = Problem::matrix(512, 512, 512);
      failed.disposition = Disposition::failed;
      failed.reason = "cudaErrorIllegalAddress: an illegal memory access was encountered";
      failed.gflops.reset();
      doc.measurements.push_back(failed);
    }
    inputs.push_back(write_node(tmp.path(), doc, fmt::format("n{}", i)));
  }
  const FleetRecord fleet = merge_results(inputs, std::nullopt, {}, 10, "T");
  const FleetAnalysis a = analyse_fleet(fleet);
  ASSERT_EQ(a.unverified.size(), 2u);
  EXPECT_EQ(node_label(*a.unverified[0].node), "node-2");
  EXPECT_TRUE(a.failed.empty());
  EXPECT_TRUE(a.outliers.empty());

  const std::string console = FleetConsolePrinter().print(fleet);
  EXPECT_NE(console.find("3 results merged, 0 failed, set aside or missing; 1 incorrect and 1 "
                         "failed measurements on 1 "
                         "node; 0 outliers"),
            std::string::npos)
      << console;
  EXPECT_NE(console.find("FAIL node-2: 1 incorrect and 1 failed measurements: SGEMM (fp32) cublas "
                         "on gpu0, 256x256x256 (incorrect: max relative error 0.031"),
            std::string::npos)
      << console;
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_NE(md.find("| node-2 | cpu    | reported; 1 incorrect and 1 failed measurements |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("## Incorrect or failed measurements\n\n| Node"), std::string::npos) << md;
  EXPECT_NE(
      md.find("| node-2 | SGEMM (fp32) cublas on gpu0, 512x512x512 | failed: cudaErrorIllegal"),
      std::string::npos)
      << md;
  const std::string csv = FleetCsvPrinter().print(fleet);
  EXPECT_NE(csv.find(",check,unverified\n"), std::string::npos) << csv;
  // node-2's GPU has no metric left, so no row: the node's CPU row counts both.
  EXPECT_NE(csv.find("/n2,cpu,failed,1 incorrect and 1 failed measurements,1,0.00,"
                     "cpu.sgemm.omp 256x256x256,0,,2\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("/n1,gpu0,reported,,1,0.00,gpu.sgemm.cublas 256x256x256,0,,0\n"),
            std::string::npos)
      << csv;
  EXPECT_EQ(csv.find("/n2,gpu0"), std::string::npos) << csv;
  const std::string html = FleetHtmlPrinter().print(fleet);
  EXPECT_NE(html.find("<div class=\"banner fail\">3 nodes reported"), std::string::npos);
  EXPECT_NE(html.find("<h2 id=\"unverified\">"), std::string::npos);

  const auto merged = run_flopbench({"merge", inputs[0].string(), inputs[1].string(),
                                     inputs[2].string(), "--out", (tmp.path() / "fleet").string()},
                                    tmp.path() / "capture");
  EXPECT_EQ(merged.status, kExitFailures) << merged.out << merged.err;
  EXPECT_NE(merged.err.find("2 measurements incorrect or failed; see"), std::string::npos)
      << merged.err;
  // Without them, the same fleet is clean.
  const auto clean = run_flopbench(
      {"merge", inputs[0].string(), inputs[1].string(), "--out", (tmp.path() / "clean").string()},
      tmp.path() / "capture");
  EXPECT_EQ(clean.status, kExitOk) << clean.out << clean.err;
  EXPECT_NE(read_text(tmp.path() / "clean" / "fleet.md")
                .find("## Incorrect or failed measurements\n\nNone.\n"),
            std::string::npos);
}

TEST(FleetReport, EveryFileShowsNodesOutliersAndTheDeadNode) {
  TempDir tmp;
  const FleetRecord fleet = judged_fleet(tmp.path());
  const std::string md = FleetMarkdownPrinter().print(fleet);
  EXPECT_NE(md.find("4 of 5 expected nodes reported (reported nothing: node-9)"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| node-9        | -      | FAIL: expected, but reported nothing"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| node-3 rank 3 | cpu    | cpu.sgemm.omp 256x256x256 | 40.0 GFLOP/s"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("## Fleet criteria"), std::string::npos);
  // Host names and versions come from the results files: no raw HTML reaches Markdown.
  TempDir odd;
  const fs::path bad =
      write_node(odd.path(), node("<img src=x onerror=alert(1)>", std::nullopt, 100), "n0");
  const std::string odd_md =
      FleetMarkdownPrinter().print(merge_results({bad}, std::nullopt, {}, 10, "T"));
  EXPECT_EQ(odd_md.find("<img"), std::string::npos) << odd_md;
  EXPECT_NE(odd_md.find("&lt;img src=x"), std::string::npos) << odd_md;

  const std::string csv = FleetCsvPrinter().print(fleet);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);  // header, four nodes, node-9
  EXPECT_NE(csv.find("node-3 rank 3,node-3,3,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",cpu,reported,,1,-60.00,cpu.sgemm.omp 256x256x256,1,FAIL,0\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("node-9,node-9,,,-,failed,\"expected, but reported nothing\",0,,,0,FAIL,0\n"),
            std::string::npos)
      << csv;

  const std::string html = FleetHtmlPrinter().print(fleet);
  EXPECT_NE(html.find("<h2 id=\"outliers\">Outliers</h2>"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("node-9"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // self-contained
}

// ---- end to end -------------------------------------------------------------------------------

// Sets environment variables for the child processes this test starts; unsets them after.
class ScopedEnv {
 public:
  explicit ScopedEnv(const std::map<std::string, std::string>& vars) {
    for (const auto& [k, v] : vars) {
      setenv(k.c_str(), v.c_str(), 1);
      names_.push_back(k);
    }
  }
  ~ScopedEnv() {
    for (const auto& k : names_) unsetenv(k.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::string> names_;
};

TEST(FleetCli, SlurmTasksWriteTheirOwnDirectoriesThenMergeAndCheck) {
  TempDir tmp;
  const std::string host = [] {
    std::array<char, 256> h{};
    gethostname(h.data(), h.size() - 1);
    return std::string(h.data());
  }();
  for (const int rank : {0, 1}) {
    ScopedEnv env({{"SLURM_PROCID", std::to_string(rank)},
                   {"SLURM_LOCALID", std::to_string(rank)},
                   {"SLURM_NODEID", "0"},
                   {"SLURM_NTASKS", "2"},
                   {"SLURM_JOB_ID", "777"}});
    const auto o =
        run_flopbench({"run", "--profile", "quick", "--workloads", "sgemm", "--implementations",
                       "omp", "--sizes", "64", "--threads", "1", "--out",
                       (tmp.path() / "runs" / "{job}" / "{host}-{rank}").string()},
                      tmp.path() / "capture");
    ASSERT_EQ(o.status, 0) << o.out << o.err;
    EXPECT_NE(o.out.find(fmt::format("task: rank {} of 2 (slurm, job 777, node 0, local rank {})",
                                     rank, rank)),
              std::string::npos)
        << o.out;
  }
  const fs::path r1 = tmp.path() / "runs" / "777" / (host + "-1");
  const ResultsDocument doc = read_results_file(r1 / "results.json");
  EXPECT_EQ(doc.run.launch.launcher, "slurm");
  EXPECT_EQ(doc.run.launch.rank, 1);
  EXPECT_EQ(doc.run.launch.job, "777");
  EXPECT_NE(read_text(r1 / "report.md").find("- Task: rank 1 of 2 (slurm"), std::string::npos);

  write_file_atomically(tmp.path() / "hosts", host + "\n# the spare\nnode-gone\n");
  const fs::path fleet = tmp.path() / "fleet";
  const auto merged =
      run_flopbench({"merge", (tmp.path() / "runs" / "777" / (host + "-0")).string(), r1.string(),
                     (tmp.path() / "no-such-run").string(), "--out", fleet.string(),
                     "--expect-hosts", (tmp.path() / "hosts").string(), "--threshold", "90%"},
                    tmp.path() / "capture");
  EXPECT_EQ(merged.status, kExitFailures) << merged.out << merged.err;
  EXPECT_NE(merged.out.find("1 of 2 expected nodes reported (reported nothing: node-gone)"),
            std::string::npos)
      << merged.out;
  EXPECT_NE(merged.err.find("1 node reported where --expect-hosts expects 2"), std::string::npos)
      << merged.err;
  EXPECT_NE(merged.out.find("FAIL node-gone: expected, but reported nothing"), std::string::npos);
  EXPECT_NE(merged.out.find(fmt::format("FAIL {}: no such file or directory\n",
                                        (tmp.path() / "no-such-run").string())),
            std::string::npos)
      << merged.out;
  for (const char* f : {"fleet.json", "fleet.csv", "fleet.md", "fleet.html"}) {
    EXPECT_TRUE(fs::exists(fleet / f)) << f;
  }

  write_file_atomically(
      tmp.path() / "spec.csv",
      std::string(kSpecHeader) +
          "\ncpu.sgemm.omp.gflops,>=,0.001 GFLOP/s,,fail,any,\n"
          "cpu.sgemm.omp.gflops,>=,1000000 GFLOP/s,,warn,any,a bound no CPU reaches\n");
  // A copy of the record under another name is a fleet record too: judged, with the verdicts
  // recorded in it, and the outputs beside it (the fleet's own) left alone.
  const fs::path copy = fleet / "fleet-copy.json";
  fs::copy_file(fleet / "fleet.json", copy);
  const std::string md_before = read_text(fleet / "fleet.md");
  const auto copy_checked = run_flopbench(
      {"check", "--spec", (tmp.path() / "spec.csv").string(), "--results", copy.string()},
      tmp.path() / "capture");
  EXPECT_EQ(copy_checked.status, kExitFailures) << copy_checked.out << copy_checked.err;
  EXPECT_NE(copy_checked.out.find("FAIL fleet.nodes_reporting == expected"), std::string::npos)
      << copy_checked.out << copy_checked.err;
  EXPECT_TRUE(read_fleet_file(copy).acceptance.has_value());
  EXPECT_FALSE(read_fleet_file(fleet / "fleet.json").acceptance.has_value());
  EXPECT_EQ(read_text(fleet / "fleet.md"), md_before);
  fs::remove(copy);
  // A link to the fleet's own record is that record: its outputs are written again with it.
  fs::create_symlink(fleet / "fleet.json", tmp.path() / "latest.json");
  const auto linked = run_flopbench({"check", "--spec", (tmp.path() / "spec.csv").string(),
                                     "--results", (tmp.path() / "latest.json").string()},
                                    tmp.path() / "capture");
  EXPECT_EQ(linked.status, kExitFailures) << linked.out << linked.err;
  EXPECT_TRUE(fs::is_symlink(tmp.path() / "latest.json"));
  EXPECT_TRUE(read_fleet_file(fleet / "fleet.json").acceptance.has_value());
  EXPECT_NE(read_text(fleet / "fleet.md").find("## Fleet criteria"), std::string::npos);
  const fs::path junit = tmp.path() / "junit.xml";
  const auto checked = run_flopbench({"check", "--spec", (tmp.path() / "spec.csv").string(),
                                      "--results", fleet.string(), "--junit", junit.string()},
                                     tmp.path() / "capture");
  EXPECT_EQ(checked.status, kExitFailures) << checked.out << checked.err;
  // Each node with the criteria it did not pass under it.
  EXPECT_NE(checked.out.find(fmt::format("PASS {} rank 0 (4 passed, 0 failed, 1 warned)\n    "
                                         "Verdict  Metric",
                                         host)),
            std::string::npos)
      << checked.out;
  EXPECT_NE(checked.out.find("\n    WARN     cpu.sgemm.omp.gflops "), std::string::npos)
      << checked.out;
  EXPECT_EQ(checked.out.find("    PASS "), std::string::npos) << checked.out;
  EXPECT_NE(checked.out.find("FAIL node-gone: expected, but reported nothing"), std::string::npos);
  EXPECT_NE(checked.out.find("FAIL fleet.nodes_reporting == expected"), std::string::npos);
  const std::string xml = read_text(junit);
  EXPECT_NE(xml.find(fmt::format("<testsuite name=\"{} rank 1\"", host)), std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"fleet\""), std::string::npos);
  // The verdicts are recorded in the fleet and its reports.
  EXPECT_TRUE(read_fleet_file(fleet / "fleet.json").acceptance.has_value());
  EXPECT_NE(read_text(fleet / "fleet.md").find("## Fleet criteria"), std::string::npos);
  // A JUnit file over a report check writes again beside the fleet record is refused.
  const auto over_report =
      run_flopbench({"check", "--spec", (tmp.path() / "spec.csv").string(), "--results",
                     fleet.string(), "--junit", (fleet / "fleet.md").string()},
                    tmp.path() / "capture");
  EXPECT_EQ(over_report.status, 2) << over_report.err;
  EXPECT_NE(over_report.err.find("is the fleet.md that flopbench writes beside"), std::string::npos)
      << over_report.err;
  EXPECT_NE(read_text(fleet / "fleet.md").find("## Fleet criteria"), std::string::npos);
}

// The rerun of a node that failed, through the commands: merge takes every path after --rerun as
// a rerun, passes with it where it failed without, and check judges the rerun, not the result it
// replaced.
TEST(FleetCli, MergeWithARerunOfTheFailedNodePassesAndChecks) {
  TempDir tmp;
  std::vector<std::string> first;
  for (int rank = 0; rank < 3; ++rank) {
    ResultsDocument doc = job_task("9", fmt::format("node-{}", rank), rank, 3, 100);
    if (rank == 1) doc.measurements[0].disposition = Disposition::incorrect;
    first.push_back(write_node(tmp.path(), doc, fmt::format("9/node-{}-{}", rank, rank)).string());
  }
  const std::string rerun =
      write_node(tmp.path(), job_task("10", "node-1", 0, 1, 100), "10/node-1-0").string();
  // A result given as its own rerun is refused, leaving no directory behind.
  const fs::path refused = tmp.path() / "refused";
  const auto itself = run_flopbench(
      {"merge", first[0], "--rerun", first[0], "--out", refused.string()}, tmp.path() / "capture");
  EXPECT_EQ(itself.status, 2) << itself.err;
  EXPECT_NE(itself.err.find("is the result " + first[0] + " among those merged"), std::string::npos)
      << itself.err;
  EXPECT_FALSE(fs::exists(refused));
  const auto merge = [&](std::vector<std::string> args, const std::string& out) {
    args.insert(args.begin(), "merge");
    args.insert(args.end(), {"--out", (tmp.path() / out).string(), "--expect-hosts", "3"});
    return run_flopbench(args, tmp.path() / "capture");
  };
  std::vector<std::string> together = first;
  together.push_back(rerun);
  const auto plain = merge(together, "plain");
  EXPECT_EQ(plain.status, kExitFailures) << plain.out << plain.err;
  EXPECT_NE(plain.out.find("FAIL node-1 rank 1: 1 incorrect measurement"), std::string::npos)
      << plain.out;

  std::vector<std::string> with_rerun = first;
  with_rerun.insert(with_rerun.end(), {"--rerun", rerun});
  const auto merged = merge(with_rerun, "fleet");
  EXPECT_EQ(merged.status, kExitOk) << merged.out << merged.err;
  EXPECT_NE(
      merged.out.find(fmt::format("superseded node-1 rank 1: replaced by the rerun {}\n", rerun)),
      std::string::npos)
      << merged.out;
  EXPECT_EQ(merged.out.find("FAIL"), std::string::npos) << merged.out;

  write_file_atomically(
      tmp.path() / "spec.csv",
      std::string(kSpecHeader) + "\ncpu.sgemm.omp.gflops,>=,50 GFLOP/s,,fail,any,\n");
  const auto checked = run_flopbench({"check", "--spec", (tmp.path() / "spec.csv").string(),
                                      "--results", (tmp.path() / "fleet").string()},
                                     tmp.path() / "capture");
  EXPECT_EQ(checked.status, kExitOk) << checked.out << checked.err;
  EXPECT_NE(checked.out.find("PASS node-1 rank 0 (4 passed, 0 failed, 0 warned)\n"),
            std::string::npos)
      << checked.out;
  EXPECT_NE(checked.out.find("superseded node-1 rank 1: replaced by the rerun"), std::string::npos)
      << checked.out;
  // --spec auto chooses a spec for each node, and says each choice once, not once a node.
  const auto automatic =
      run_flopbench({"check", "--spec", "auto", "--results", (tmp.path() / "fleet").string()},
                    tmp.path() / "capture");
  const std::size_t said = automatic.out.find("spec: auto -> ");
  EXPECT_NE(said, std::string::npos) << automatic.out << automatic.err;
  EXPECT_EQ(automatic.out.find("spec: auto -> ", said + 1), std::string::npos) << automatic.out;
}

TEST(FleetCli, BadFleetInputsAreOneLineErrors) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "full");
  write_file_atomically(tmp.path() / "full" / "x", "");
  const auto exists = run_flopbench({"merge", "a", "--out", (tmp.path() / "full").string()},
                                    tmp.path() / "capture");
  EXPECT_EQ(exists.status, kExitBadInput);
  EXPECT_NE(exists.err.find("exists and is not an empty directory"), std::string::npos);
  write_file_atomically(tmp.path() / "hosts", "# nobody\n");
  const auto no_hosts = run_flopbench({"merge", "a", "--out", (tmp.path() / "f").string(),
                                       "--expect-hosts", (tmp.path() / "hosts").string()},
                                      tmp.path() / "capture");
  EXPECT_EQ(no_hosts.status, kExitBadInput);
  EXPECT_NE(no_hosts.err.find("names no host"), std::string::npos) << no_hosts.err;
  // Neither a whole number nor a file: both readings are named, and no directory is made.
  const auto fractional =
      run_flopbench({"merge", "a", "--out", (tmp.path() / "g").string(), "--expect-hosts", "3.0"},
                    tmp.path() / "capture");
  EXPECT_EQ(fractional.status, kExitBadInput);
  EXPECT_NE(fractional.err.find("--expect-hosts 3.0: expected a whole number of hosts (1 or more) "
                                "or a file of host names, one a line, and there is no file 3.0"),
            std::string::npos)
      << fractional.err;
  EXPECT_FALSE(fs::exists(tmp.path() / "g"));
  // A link to nothing is there: the reader names what is wrong with it.
  fs::create_symlink(tmp.path() / "nowhere", tmp.path() / "linked-hosts");
  const auto dangling = run_flopbench({"merge", "a", "--out", (tmp.path() / "g").string(),
                                       "--expect-hosts", (tmp.path() / "linked-hosts").string()},
                                      tmp.path() / "capture");
  EXPECT_EQ(dangling.status, kExitBadInput);
  EXPECT_EQ(dangling.err.find("there is no file"), std::string::npos) << dangling.err;
  EXPECT_NE(dangling.err.find("linked-hosts: cannot open"), std::string::npos) << dangling.err;
  const auto placeholder =
      run_flopbench({"run", "--profile", "quick", "--out", (tmp.path() / "r-{rank}").string()},
                    tmp.path() / "capture");
  EXPECT_EQ(placeholder.status, kExitBadInput);
  EXPECT_NE(placeholder.err.find("{rank} is the launcher's rank"), std::string::npos)
      << placeholder.err;
  const auto local_rank =
      run_flopbench({"run", "--profile", "quick", "--gpus", "local-rank"}, tmp.path() / "capture");
  EXPECT_EQ(local_rank.status, kExitBadInput);
  EXPECT_NE(local_rank.err.find("--gpus local-rank: this process was not started by a launcher"),
            std::string::npos)
      << local_rank.err;
  ScopedEnv env({{"OMPI_COMM_WORLD_RANK", "63"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "63"}});
  const auto resolved =
      run_flopbench({"run", "--profile", "quick", "--gpus", "local-rank"}, tmp.path() / "capture");
  EXPECT_EQ(resolved.status, kExitBadInput);
  EXPECT_NE(resolved.err.find("--gpus"), std::string::npos) << resolved.err;
  EXPECT_NE(resolved.err.find("63"), std::string::npos) << resolved.err;
}

}  // namespace
}  // namespace flopbench

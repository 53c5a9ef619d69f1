// Inventory parsers on recorded samples (tests/data), the peak model's tables and arithmetic,
// and the live inventory of whatever machine runs the tests.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <omp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/machine/clock.hpp"
#include "harness/machine/cpuid_caches.hpp"
#include "harness/machine/inventory.hpp"
#include "harness/machine/peak_model.hpp"
#include "harness/machine/probe.hpp"
#include "harness/machine/vector_shape.hpp"
#include "harness/measure/runner.hpp"
#include "reports/console.hpp"
#include "tests/test_support.hpp"
#if FLOPBENCH_HAVE_CUDA
#include "kernels/cuda_check.hpp"
#endif

namespace flopbench {
namespace {

const std::filesystem::path kData = FLOPBENCH_TEST_DATA_DIR;

std::string sample(const std::string& name) {
  std::ifstream in(kData / name);
  EXPECT_TRUE(in) << "missing test data " << (kData / name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// --- cgroup CPU quota
// -----------------------------------------------------------------------------

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// cgroup v2: the least cpu.max from the process's cgroup up to the mount, "max" setting none.
TEST(InventoryCgroup, V2TakesTheLeastQuotaOfTheCgroupAndItsAncestors) {
  const testing::TempDir tmp;
  const auto cg = tmp.path() / "sys/fs/cgroup";
  const std::string mountinfo =
      "22 1 0:21 / /proc rw - proc proc rw\n"
      "30 22 0:27 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
  const std::string self = "0::/kubepods.slice/pod1/ctr\n";
  EXPECT_EQ(read_cpu_quota(mountinfo, self, tmp.path()), std::nullopt);  // no cpu.max anywhere
  write_file(cg / "kubepods.slice/pod1/ctr/cpu.max", "max 100000\n");
  EXPECT_EQ(read_cpu_quota(mountinfo, self, tmp.path()), std::nullopt);  // "max": no quota
  write_file(cg / "kubepods.slice/pod1/cpu.max", "400000 100000\n");
  auto quota = read_cpu_quota(mountinfo, self, tmp.path());
  ASSERT_TRUE(quota);
  EXPECT_DOUBLE_EQ(quota->cpus, 4.0);
  EXPECT_EQ(quota->file, (cg / "kubepods.slice/pod1/cpu.max").string());
  write_file(cg / "kubepods.slice/pod1/ctr/cpu.max", "250000 100000\n");
  quota = read_cpu_quota(mountinfo, self, tmp.path());
  ASSERT_TRUE(quota);
  EXPECT_DOUBLE_EQ(quota->cpus, 2.5);
  EXPECT_EQ(quota->file, (cg / "kubepods.slice/pod1/ctr/cpu.max").string());
  write_file(cg / "kubepods.slice/cpu.max", "50000 100000\n");  // an ancestor's is less
  EXPECT_DOUBLE_EQ(read_cpu_quota(mountinfo, self, tmp.path())->cpus, 0.5);
  write_file(cg / "kubepods.slice/cpu.max", "garbage\n");  // unreadable: the others stand
  EXPECT_DOUBLE_EQ(read_cpu_quota(mountinfo, self, tmp.path())->cpus, 2.5);
  // A cgroup namespace shows the container's cgroup as "/" and mounts it at the root.
  write_file(cg / "cpu.max", "150000 100000\n");
  EXPECT_DOUBLE_EQ(read_cpu_quota(mountinfo, "0::/\n", tmp.path())->cpus, 1.5);
  // One outside the namespace's view has no quota the mount shows: none, rather than another's.
  EXPECT_EQ(read_cpu_quota(mountinfo, "0::/../../kubepods.slice\n", tmp.path()), std::nullopt);
  EXPECT_EQ(read_cpu_quota("", self, tmp.path()), std::nullopt);  // no cgroup mount
  EXPECT_EQ(read_cpu_quota(mountinfo, "", tmp.path()), std::nullopt);
}

// cgroup v1: the hierarchy with the cpu controller, a container's mount showing its own cgroup as
// the root (Docker without a cgroup namespace), a mount point with a space in it.
TEST(InventoryCgroup, V1FindsTheCpuHierarchyAndTheMountsRoot) {
  const testing::TempDir tmp;
  const std::string mountinfo =
      "30 22 0:27 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
      "31 30 0:28 /docker/1f2e /sys/fs/cgroup/cpu,cpuacct ro master:12 - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "32 30 0:29 /docker/1f2e /sys/fs/cgroup/cpuset ro - cgroup cgroup rw,cpuset\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  const std::string self = "4:cpuset:/docker/1f2e\n3:cpu,cpuacct:/docker/1f2e\n0::/\n";
  const auto dir = tmp.path() / "sys/fs/cgroup/cpu,cpuacct";
  write_file(dir / "cpu.cfs_quota_us", "-1\n");
  write_file(dir / "cpu.cfs_period_us", "100000\n");
  write_file(tmp.path() / "sys/fs/cgroup/unified/cpu.max", "100000 100000\n");  // not the cpu one
  EXPECT_EQ(read_cpu_quota(mountinfo, self, tmp.path()), std::nullopt);
  write_file(dir / "cpu.cfs_quota_us", "300000\n");
  write_file(dir / "cpu.cfs_period_us", "200000\n");
  auto quota = read_cpu_quota(mountinfo, self, tmp.path());
  ASSERT_TRUE(quota);
  EXPECT_DOUBLE_EQ(quota->cpus, 1.5);
  EXPECT_EQ(quota->file, (dir / "cpu.cfs_quota_us").string());
  // A cgroup made inside the container: below the mount's root, up to it and no further.
  write_file(dir / "job/cpu.cfs_quota_us", "100000\n");
  write_file(dir / "job/cpu.cfs_period_us", "200000\n");
  quota = read_cpu_quota(mountinfo, "3:cpu,cpuacct:/docker/1f2e/job\n", tmp.path());
  ASSERT_TRUE(quota);
  EXPECT_DOUBLE_EQ(quota->cpus, 0.5);
  // A cgroup in another subtree than the mount shows: none.
  EXPECT_EQ(read_cpu_quota(mountinfo, "3:cpu,cpuacct:/docker/1f2e0\n", tmp.path()), std::nullopt);

  // The host's view: the hierarchy's root mounted at a path with a space, the cgroup below it.
  const std::string host = "31 30 0:28 / /mnt/cpu\\040groups rw - cgroup cgroup rw,cpuacct,cpu\n";
  const auto job = tmp.path() / "mnt/cpu groups/slurm/job_7";
  write_file(job / "cpu.cfs_quota_us", "800000\n");
  write_file(job / "cpu.cfs_period_us", "100000\n");
  quota = read_cpu_quota(host, "2:cpuacct,cpu:/slurm/job_7\n", tmp.path());
  ASSERT_TRUE(quota);
  EXPECT_DOUBLE_EQ(quota->cpus, 8.0);
  // Of two mounts of the hierarchy, the one that shows the cgroup.
  const std::string two =
      "50 30 0:28 /other /mnt/elsewhere rw - cgroup cgroup rw,cpu,cpuacct\n" + host;
  quota = read_cpu_quota(two, "2:cpuacct,cpu:/slurm/job_7\n", tmp.path());
  ASSERT_TRUE(quota);
  EXPECT_DOUBLE_EQ(quota->cpus, 8.0);
}

// cgroup v2: of the process's cgroup and its ancestors, the limit that leaves the least memory,
// the inactive page cache, which the kernel drops before it kills, not counted as used.
TEST(InventoryCgroup, V2MemoryLimitLeavingTheLeast) {
  const testing::TempDir tmp;
  const auto cg = tmp.path() / "sys/fs/cgroup";
  const std::string mountinfo =
      "30 22 0:27 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
  const std::string self = "0::/slurm/job_7/step_0\n";
  constexpr std::int64_t GiB = std::int64_t{1} << 30;
  EXPECT_EQ(read_cgroup_memory(mountinfo, self, tmp.path()), std::nullopt);  // nothing to read
  write_file(cg / "slurm/job_7/step_0/memory.max", "max\n");
  EXPECT_EQ(read_cgroup_memory(mountinfo, self, tmp.path()), std::nullopt);  // "max": no limit
  // The job's 8 GiB, of which 5 GiB are used, 2 GiB of them inactive file cache: 5 GiB left.
  write_file(cg / "slurm/job_7/memory.max", std::to_string(8 * GiB) + "\n");
  write_file(cg / "slurm/job_7/memory.current", std::to_string(5 * GiB) + "\n");
  write_file(cg / "slurm/job_7/memory.stat",
             "anon 1234\nfile 99\nactive_file 7\ninactive_file " + std::to_string(2 * GiB) + "\n");
  auto memory = read_cgroup_memory(mountinfo, self, tmp.path());
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->headroom_bytes, 5 * GiB);
  EXPECT_EQ(memory->limit.bytes, 8 * GiB);
  EXPECT_EQ(memory->limit.file, (cg / "slurm/job_7/memory.max").string());
  // A larger limit below it that leaves more does not count; one that leaves less does, even
  // though the ancestor's limit is less.
  write_file(cg / "slurm/job_7/step_0/memory.max", std::to_string(16 * GiB) + "\n");
  EXPECT_EQ(read_cgroup_memory(mountinfo, self, tmp.path())->limit.bytes, 8 * GiB);
  write_file(cg / "slurm/job_7/step_0/memory.max", std::to_string(6 * GiB) + "\n");
  write_file(cg / "slurm/job_7/step_0/memory.current", std::to_string(4 * GiB) + "\n");
  memory = read_cgroup_memory(mountinfo, self, tmp.path());
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->headroom_bytes, 2 * GiB);
  EXPECT_EQ(memory->limit.file, (cg / "slurm/job_7/step_0/memory.max").string());
  // Usage beyond the limit (it was lowered under a running job) leaves nothing, not less.
  write_file(cg / "slurm/job_7/step_0/memory.current", std::to_string(7 * GiB) + "\n");
  EXPECT_EQ(read_cgroup_memory(mountinfo, self, tmp.path())->headroom_bytes, 0);
  EXPECT_EQ(read_cgroup_memory("", self, tmp.path()), std::nullopt);  // no cgroup mount
}

// cgroup v1: the hierarchy with the memory controller, whose "no limit" is 2^63 less a page.
TEST(InventoryCgroup, V1MemoryLimit) {
  const testing::TempDir tmp;
  const std::string mountinfo =
      "30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
      "35 30 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "41 30 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  const std::string self = "4:memory:/process_api/c354\n0::/\n";
  const auto dir = tmp.path() / "sys/fs/cgroup/memory";
  constexpr std::int64_t GiB = std::int64_t{1} << 30;
  write_file(dir / "memory.limit_in_bytes", "9223372036854771712\n");
  write_file(dir / "process_api/c354/memory.limit_in_bytes", "9223372036854771712\n");
  write_file(tmp.path() / "sys/fs/cgroup/unified/memory.max", "1024\n");  // not the memory one
  EXPECT_EQ(read_cgroup_memory(mountinfo, self, tmp.path()), std::nullopt);
  write_file(dir / "process_api/c354/memory.limit_in_bytes", std::to_string(GiB) + "\n");
  write_file(dir / "process_api/c354/memory.usage_in_bytes", std::to_string(GiB / 2) + "\n");
  write_file(dir / "process_api/c354/memory.stat",
             "cache 10\ninactive_file 5\ntotal_inactive_file " + std::to_string(GiB / 4) + "\n");
  const auto memory = read_cgroup_memory(mountinfo, self, tmp.path());
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->headroom_bytes, GiB * 3 / 4);
  EXPECT_EQ(memory->limit.bytes, GiB);
  EXPECT_EQ(memory->limit.file, (dir / "process_api/c354/memory.limit_in_bytes").string());
}

// What a process may allocate: the less of MemAvailable and the cgroup's headroom; a full cgroup
// (headroom 0) refuses everything, and only where nothing is known is nothing refused.
TEST(InventoryCgroup, AvailableMemoryIsTheLessOfMemAvailableAndTheCgroupsHeadroom) {
  constexpr std::int64_t GiB = std::int64_t{1} << 30;
  const CgroupMemory job{{8 * GiB, "/sys/fs/cgroup/job/memory.max"}, 3 * GiB};
  auto available = available_memory_of(20 * GiB, job);
  EXPECT_EQ(available.bytes, 3 * GiB);
  ASSERT_TRUE(available.limited_by);
  EXPECT_EQ(available.limited_by->file, "/sys/fs/cgroup/job/memory.max");
  EXPECT_TRUE(available.holds(2.5 * GiB));
  EXPECT_FALSE(available.holds(2.8 * GiB));  // beyond 90 %
  EXPECT_EQ(available.text(),
            "3.0 GiB is available (what the cgroup memory limit of 8.0 GiB leaves: "
            "/sys/fs/cgroup/job/memory.max)");
  available = available_memory_of(2 * GiB, job);  // MemAvailable is less: no limit named
  EXPECT_EQ(available.bytes, 2 * GiB);
  EXPECT_FALSE(available.limited_by);
  EXPECT_EQ(available.text(), "2.0 GiB is available");
  available = available_memory_of(0, job);  // MemAvailable unknown
  EXPECT_EQ(available.bytes, 3 * GiB);
  // A full cgroup: nothing fits, not "unknown".
  available = available_memory_of(20 * GiB, CgroupMemory{{8 * GiB, "memory.max"}, 0});
  EXPECT_EQ(available.bytes, 0);
  EXPECT_FALSE(available.holds(1));
  available = available_memory_of(0, std::nullopt);  // nothing known: nothing refused
  EXPECT_TRUE(available.holds(1e15));
}

TEST(InventoryCgroup, DefaultThreadsStayWithinTheQuota) {
  EXPECT_EQ(threads_within_quota(64, std::nullopt), 64);
  EXPECT_EQ(threads_within_quota(64, CpuQuota{2.5, "cpu.max"}), 2);
  EXPECT_EQ(threads_within_quota(64, CpuQuota{0.5, "cpu.max"}), 1);
  EXPECT_EQ(threads_within_quota(4, CpuQuota{8, "cpu.max"}), 4);
  EXPECT_EQ(threads_within_quota(4, CpuQuota{4, "cpu.max"}), 4);
}

// --- /proc/cpuinfo ------------------------------------------------------------------------------

TEST(InventoryPci, DeviceIdFromSysfs) {
  const auto root = std::filesystem::path(FLOPBENCH_TEST_DATA_DIR) / "sysfs-pci";
  EXPECT_EQ(read_pci_device_id(root, "0000:1a:00.0"), "10de:2330");
  EXPECT_EQ(read_pci_device_id(root, "0000:1A:00.0"), "10de:2330");  // CUDA writes upper case
  EXPECT_EQ(read_pci_device_id(root, "0000:18:00.0"), "");           // malformed device file
  EXPECT_EQ(read_pci_device_id(root, "0000:99:00.0"), "");           // no such device
}

TEST(InventoryPci, LocalCpusFromSysfs) {
  const auto root = std::filesystem::path(FLOPBENCH_TEST_DATA_DIR) / "sysfs-pci";
  EXPECT_EQ(read_pci_local_cpus(root, "0000:1A:00.0"), "0-3,8-11");
  EXPECT_EQ(read_pci_local_cpus(root, "0000:18:00.0"), "");  // not a CPU list
  EXPECT_EQ(read_pci_local_cpus(root, "0000:65:00.0"), "");  // no local_cpulist
  EXPECT_EQ(read_pci_local_cpus(root, "0000:99:00.0"), "");  // no such device
}

// The thread that drives a GPU is held on the CPUs of the GPU's node that it may use, and given
// its own CPUs back afterwards, as is every OpenMP thread started meanwhile; where the node holds
// all of them or none, it is left alone. Meanwhile the process's CPUs are still all of them.
TEST(InventoryPci, TheThreadNearAGpuRunsOnItsNodesCpusAndGetsItsCpusBack) {
  if (thread_affinity().size() < 2) GTEST_SKIP() << "one CPU: no node to hold it on";
  std::thread([] {  // a thread of its own, with an OpenMP team of its own
    const std::vector<int> mask = thread_affinity();
    for (const std::string& local : {fmt::format("{}-{}", mask.front(), mask.back()),
                                     fmt::format("{}", mask.back() + 1), std::string()}) {
      const HeldNearGpu left(local);
      EXPECT_FALSE(left.held()) << local;
      EXPECT_EQ(thread_affinity(), mask) << local;
    }
    {
      const HeldNearGpu near(fmt::format("{},{}", mask.back(), mask.back() + 64));
      EXPECT_TRUE(near.held());
      EXPECT_EQ(thread_affinity(), std::vector<int>{mask.back()});  // those the process may use
      EXPECT_EQ(usable_cpus(), mask);
      // A team started now: its threads take the node's CPUs with them.
      std::vector<std::vector<int>> held(2);
#pragma omp parallel num_threads(2)
      { held[std::size_t(omp_get_thread_num())] = thread_affinity(); }
      EXPECT_EQ(held[1], std::vector<int>{mask.back()});
    }
    EXPECT_EQ(thread_affinity(), mask);
    std::vector<std::vector<int>> team(2);
#pragma omp parallel num_threads(2)
    { team[std::size_t(omp_get_thread_num())] = thread_affinity(); }
    for (const auto& cpus : team) EXPECT_EQ(cpus, mask);

    // Held away from the GPU's node, its copies are said to cross the sockets.
    Environment env;
    env.gpu.devices.push_back(GpuDevice{.index = 1, .local_cpus = fmt::format("{}", mask.back())});
    EXPECT_EQ(far_from_gpu_note(env, 1), "");
    const ScopedAffinity elsewhere({mask.front()});
    EXPECT_EQ(far_from_gpu_note(env, 1),
              fmt::format("host memory on another NUMA node: this process may not run on gpu1's "
                          "node's CPUs ({}), so its copies cross the link between the sockets",
                          mask.back()));
    EXPECT_EQ(far_from_gpu_note(env, 0), "");  // no such GPU
  })
      .join();
}

// The child's part of the test below, under OMP_PROC_BIND=close and OMP_PLACES=threads.
void held_under_openmp_binding() {
  ASSERT_NE(omp_get_proc_bind(), omp_proc_bind_false);
  ASSERT_GE(omp_get_num_places(), 2);
  const auto place = [](int p) {
    std::vector<int> ids(static_cast<std::size_t>(omp_get_place_num_procs(p)));
    omp_get_place_proc_ids(p, ids.data());
    return ids;
  };
  const std::vector<int> own_place = thread_affinity();
  EXPECT_EQ(own_place, place(0));  // the initial thread's
  const auto team_places = [] {
    std::vector<std::vector<int>> team(2);
#pragma omp parallel num_threads(2)
    { team[std::size_t(omp_get_thread_num())] = thread_affinity(); }
    return team;
  };
  const auto before = team_places();
  EXPECT_EQ(before[1], place(1));
  const std::vector<int> cpus = usable_cpus();  // every place's CPUs
  {
    // A GPU near the second place's CPU, where the team's second thread has its place.
    const HeldNearGpu near(fmt::format("{}", place(1).front()));
    ASSERT_TRUE(near.held());
    EXPECT_EQ(thread_affinity(), place(1));
    EXPECT_EQ(usable_cpus(), cpus);
    EXPECT_EQ(team_places()[1], before[1]);
  }
  EXPECT_EQ(thread_affinity(), own_place);
  EXPECT_EQ(team_places(), before);
}

// Under OpenMP binding (OMP_PROC_BIND, OMP_PLACES) the runtime places each team thread, and the
// hold leaves them there: the thread driving a GPU moves to the GPU's node and back to its place,
// while the team's threads keep their places during the hold and after it. The runtime reads
// the binding as it starts, so the test runs again in a child process with it set.
TEST(InventoryPci, UnderOpenMpBindingTheHoldLeavesTheTeamOnItsPlaces) {
  // The child's proof that it ran the test: a filter that selects nothing passes too.
  if (const char* ran = std::getenv("FLOPBENCH_TEST_BOUND_MARK")) {
    std::ofstream(ran) << "ran\n";
    return held_under_openmp_binding();
  }
  if (usable_cpus().size() < 2) GTEST_SKIP() << "one CPU: no node to hold it on";
  const testing::TempDir dir;
  const std::filesystem::path mark = dir.path() / "ran";
  // The binding is the test's alone: the parent's OpenMP, libgomp and gtest settings (a shard, an
  // output file) stay out of the child.
  std::vector<std::string> env = {"FLOPBENCH_TEST_BOUND_MARK=" + mark.string(),
                                  "OMP_PROC_BIND=close", "OMP_PLACES=threads"};
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (!v.starts_with("OMP_") && !v.starts_with("GOMP_") && !v.starts_with("KMP_") &&
        !v.starts_with("GTEST_")) {
      env.emplace_back(v);
    }
  }
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string exe = "/proc/self/exe",
              filter = fmt::format("--gtest_filter={}.{}", test->test_suite_name(), test->name());
  std::vector<char*> argv = {exe.data(), filter.data(), nullptr};
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, exe.c_str(), nullptr, nullptr, argv.data(), envp.data()), 0);
  int status = 0;
  pid_t waited = 0;
  while ((waited = waitpid(child, &status, 0)) < 0 && errno == EINTR) {
  }
  ASSERT_EQ(waited, child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the bound child failed (its output is above): "
      << (WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                              : fmt::format("exit {}", WEXITSTATUS(status)));
  EXPECT_TRUE(std::filesystem::exists(mark)) << "the bound child did not run the test";
}

// NVIDIA's display and 3D controllers count, whether a driver sees them or not; its bridges
// (NVSwitch) and other vendors' GPUs do not.
TEST(InventoryPci, CountsNvidiaGpusOnTheBus) {
  const auto root = std::filesystem::path(FLOPBENCH_TEST_DATA_DIR) / "sysfs-pci";
  EXPECT_EQ(count_pci_nvidia_gpus(root), 2);  // the 3D controller at 1a and the VGA one at b3
  EXPECT_EQ(count_pci_nvidia_gpus(root / "none"), std::nullopt);
}

TEST(InventoryCpuinfo, IntelIceLake) {
  const CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-intel-icelake.txt"));
  EXPECT_EQ(cpu.model, "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz");
  EXPECT_EQ(cpu.vendor, "GenuineIntel");
  EXPECT_EQ(cpu.family, 6);
  EXPECT_EQ(cpu.model_number, 106);
  EXPECT_EQ(cpu.stepping, 6);
  EXPECT_EQ(cpu.microarchitecture, "Ice Lake-SP");
  EXPECT_EQ(cpu.sockets, 1);
  EXPECT_EQ(cpu.cores, 2);  // two hardware threads per core
  EXPECT_EQ(cpu.logical_cpus, 4);
  EXPECT_EQ(cpu.simd,
            (std::vector<std::string>{"sse2", "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq",
                                      "avx512cd", "avx512bw", "avx512vl", "avx512_vnni"}));
}

TEST(InventoryCpuinfo, AmdZen4TwoSockets) {
  const CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-amd-zen4.txt"));
  EXPECT_EQ(cpu.model, "AMD EPYC 9654 96-Core Processor");
  EXPECT_EQ(cpu.vendor, "AuthenticAMD");
  EXPECT_EQ(cpu.family, 25);
  EXPECT_EQ(cpu.model_number, 17);
  EXPECT_EQ(cpu.stepping, 1);
  EXPECT_EQ(cpu.microarchitecture, "Zen 4");
  // Core ids repeat on each socket: cores are (socket, core id) pairs.
  EXPECT_EQ(cpu.sockets, 2);
  EXPECT_EQ(cpu.cores, 4);
  EXPECT_EQ(cpu.logical_cpus, 4);
  EXPECT_TRUE(contains(cpu.simd, "avx512_bf16"));
  EXPECT_TRUE(contains(cpu.simd, "fma"));
  EXPECT_FALSE(contains(cpu.simd, "amx_tile"));
}

TEST(InventoryCpuinfo, ArmNeoverseN1) {
  const CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-arm-neoverse-n1.txt"));
  EXPECT_EQ(cpu.vendor, "ARM");
  EXPECT_EQ(cpu.family, 8);
  EXPECT_EQ(cpu.model_number, 0xd0c);
  EXPECT_EQ(cpu.stepping, 1);
  EXPECT_EQ(cpu.microarchitecture, "Neoverse N1");
  EXPECT_EQ(cpu.model, "ARM Neoverse N1");  // the kernel gives no model name on aarch64
  EXPECT_EQ(cpu.sockets, 1);
  EXPECT_EQ(cpu.cores, 4);
  EXPECT_EQ(cpu.logical_cpus, 4);
  EXPECT_EQ(cpu.simd, (std::vector<std::string>{"neon", "asimdhp", "asimddp"}));
}

TEST(InventoryCpuinfo, ArmNeoverseV1HasSve) {
  const CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-arm-neoverse-v1.txt"));
  EXPECT_EQ(cpu.microarchitecture, "Neoverse V1");
  EXPECT_EQ(cpu.cores, 2);
  EXPECT_EQ(cpu.simd,
            (std::vector<std::string>{"neon", "asimdhp", "asimddp", "bf16", "i8mm", "sve"}));
}

TEST(InventoryCpuinfo, EmptyOrGarbageGivesEmptyFields) {
  const CpuInventory empty = parse_cpuinfo("");
  EXPECT_EQ(empty.model, "");
  EXPECT_EQ(empty.cores, 0);
  EXPECT_EQ(empty.sockets, 0);
  EXPECT_EQ(empty.microarchitecture, "unknown");
  EXPECT_TRUE(empty.simd.empty());

  const CpuInventory garbage = parse_cpuinfo("garbage\n:::\nmodel : abc\ncpu family: 0x\n\n");
  EXPECT_EQ(garbage.model_number, 0);
  EXPECT_EQ(garbage.family, 0);
  EXPECT_EQ(garbage.microarchitecture, "unknown");
}

// --- small parsers ------------------------------------------------------------------------------

TEST(InventoryParsers, CpuList) {
  EXPECT_EQ(parse_cpu_list("0-3,8-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_EQ(parse_cpu_list("5"), (std::vector<int>{5}));
  EXPECT_EQ(parse_cpu_list(""), (std::vector<int>{}));
  EXPECT_EQ(parse_cpu_list("3-1,x,7"), (std::vector<int>{7}));
  EXPECT_EQ(parse_cpu_list("0-2000000000,4"), (std::vector<int>{4}));
}

TEST(InventoryParsers, Meminfo) {
  EXPECT_EQ(parse_meminfo(sample("meminfo-sample.txt"), "MemTotal"), 131891828LL * 1024);
  EXPECT_EQ(parse_meminfo(sample("meminfo-sample.txt"), "MemAvailable"), 128765432LL * 1024);
  EXPECT_EQ(parse_meminfo("MemFree: 12 kB\n", "MemTotal"), 0);
  EXPECT_EQ(parse_meminfo("MemTotal: lots\n", "MemTotal"), 0);
}

TEST(InventoryParsers, OsRelease) {
  EXPECT_EQ(parse_os_release("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 "
                             "(bookworm)\"\nID=debian\n"),
            "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(parse_os_release("PRETTY_NAME=Alpine\n"), "Alpine");
  EXPECT_EQ(parse_os_release("ID=x\n"), "");
}

// --- sysfs
// ----------------------------------------------------------------------------------------

const std::filesystem::path kSysfs = kData / "sysfs-2socket-smt" / "cpu";

TEST(InventorySysfs, TopologyCountsUsableCores) {
  const std::vector<int> online = {0, 1, 2, 3};
  const auto all = read_cpu_topology(kSysfs, online, online);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->sockets, 2);
  EXPECT_EQ(all->cores, 2);
  EXPECT_EQ(all->logical_cpus, 4);

  // cpu0 and cpu2 are the two threads of one core.
  const auto siblings = read_cpu_topology(kSysfs, online, {0, 2});
  ASSERT_TRUE(siblings.has_value());
  EXPECT_EQ(siblings->sockets, 2);
  EXPECT_EQ(siblings->cores, 1);
  EXPECT_EQ(siblings->logical_cpus, 2);

  EXPECT_FALSE(read_cpu_topology(kData / "no-such-dir", online, online).has_value());
}

// Two dies of one package whose core_id restarts on each (Linux before 6.9, CPUID leaf 0x1F):
// four cores, told apart by their threads' lists, not two. The first die's CPUs have only
// thread_siblings_list (Linux before 5.7), the second's only core_cpus_list.
TEST(InventorySysfs, CoresOfTwoDiesWithTheSameCoreIdsAreFour) {
  const auto dies = kData / "sysfs-2die" / "cpu";
  const std::vector<int> online = {0, 1, 2, 3};
  const auto topology = read_cpu_topology(dies, online, online);
  ASSERT_TRUE(topology.has_value());
  EXPECT_EQ(topology->sockets, 1);
  EXPECT_EQ(topology->cores, 4);
  EXPECT_EQ(first_cpu_of_each_core(dies, online), online);
}

// One CPU of each core, for pinning the vector clock's threads: cpu0 and cpu2 share a core.
TEST(InventorySysfs, FirstCpuOfEachCore) {
  EXPECT_EQ(first_cpu_of_each_core(kSysfs, {0, 1, 2, 3}), (std::vector<int>{0, 1}));
  EXPECT_EQ(first_cpu_of_each_core(kSysfs, {2, 3}), (std::vector<int>{2, 3}));
  EXPECT_EQ(first_cpu_of_each_core(kSysfs, {0, 2}), std::vector<int>{0});
  EXPECT_TRUE(first_cpu_of_each_core(kData / "no-such-dir", {0, 1}).empty());
}

TEST(InventorySysfs, Caches) {
  const std::vector<CacheLevel> caches = read_caches(kSysfs, {0, 1, 2, 3});
  ASSERT_EQ(caches.size(), 4u);
  EXPECT_EQ(caches[0].level, 1);
  EXPECT_EQ(caches[0].type, "Data");
  EXPECT_EQ(caches[0].size_bytes, 48 * 1024);
  EXPECT_EQ(caches[0].shared_by_cpus, 2);
  EXPECT_EQ(caches[0].instances, 2);
  EXPECT_EQ(caches[1].type, "Instruction");
  EXPECT_EQ(caches[2].level, 2);
  EXPECT_EQ(caches[2].size_bytes, 1280 * 1024);
  EXPECT_EQ(caches[3].level, 3);
  EXPECT_EQ(caches[3].type, "Unified");
  EXPECT_EQ(caches[3].size_bytes, 55296LL * 1024);
  EXPECT_EQ(caches[3].instances, 2);

  EXPECT_TRUE(read_caches(kData / "no-such-dir", {0}).empty());
}

// Register values recorded from real CPUs. Intel: Xeon (Nehalem, 06_1A) leaf 4, and AMD: Opteron
// 6376 (Piledriver, Abu Dhabi) leaf 0x8000001D, both from InstLatx64's CPUID dumps
// (GenuineIntel00106A1_Nehalem_CPUID.txt, AuthenticAMD0600F20_K15_AbuDhabi_CPUID0.txt) as quoted
// in google/cpu_features' test/cpuinfo_x86_test.cc.
TEST(InventoryCpuid, IntelLeaf4) {
  const CpuidCacheLeaves leaves{.deterministic = {
                                    {0x1C004121, 0x01C0003F, 0x0000003F, 0x00000000},
                                    {0x1C004122, 0x00C0003F, 0x0000007F, 0x00000000},
                                    {0x1C004143, 0x01C0003F, 0x000001FF, 0x00000000},
                                    {0x1C03C163, 0x03C0003F, 0x00000FFF, 0x00000002},
                                }};
  const std::vector<CacheLevel> caches = caches_from_cpuid(leaves, 8, 2);
  ASSERT_EQ(caches.size(), 4u);
  EXPECT_EQ(caches[0].level, 1);
  EXPECT_EQ(caches[0].type, "Data");
  EXPECT_EQ(caches[0].size_bytes, 32 * 1024);
  EXPECT_EQ(caches[0].shared_by_cpus, 2);
  EXPECT_EQ(caches[0].instances, 4);
  EXPECT_EQ(caches[1].type, "Instruction");
  EXPECT_EQ(caches[1].size_bytes, 32 * 1024);
  EXPECT_EQ(caches[2].level, 2);
  EXPECT_EQ(caches[2].type, "Unified");
  EXPECT_EQ(caches[2].size_bytes, 256 * 1024);
  EXPECT_EQ(caches[3].level, 3);
  EXPECT_EQ(caches[3].size_bytes, 4 << 20);
  // 16 logical processor ids share the L3; this process sees 8 CPUs: one instance.
  EXPECT_EQ(caches[3].shared_by_cpus, 8);
  EXPECT_EQ(caches[3].instances, 1);
}

TEST(InventoryCpuid, AmdLeaf8000001D) {
  const CpuidCacheLeaves leaves{.deterministic = {
                                    {0x00000121, 0x00C0003F, 0x0000003F, 0x00000000},
                                    {0x00004122, 0x0040003F, 0x000001FF, 0x00000000},
                                    {0x00004143, 0x03C0003F, 0x000007FF, 0x00000001},
                                    {0x0001C163, 0x0BC0003F, 0x000007FF, 0x00000001},
                                }};
  const std::vector<CacheLevel> caches = caches_from_cpuid(leaves, 16, 1);
  ASSERT_EQ(caches.size(), 4u);
  EXPECT_EQ(caches[0].size_bytes, 16 * 1024);
  EXPECT_EQ(caches[0].shared_by_cpus, 1);
  EXPECT_EQ(caches[0].instances, 16);
  EXPECT_EQ(caches[1].type, "Instruction");
  EXPECT_EQ(caches[1].size_bytes, 64 * 1024);
  EXPECT_EQ(caches[1].instances, 8);  // one per two-core module
  EXPECT_EQ(caches[2].size_bytes, 2 << 20);
  EXPECT_EQ(caches[2].instances, 8);
  EXPECT_EQ(caches[3].size_bytes, 6 << 20);
  EXPECT_EQ(caches[3].shared_by_cpus, 8);
  EXPECT_EQ(caches[3].instances, 2);  // one per die
}

// AMD's legacy leaves. Phenom II X6 (Thuban), from InstLatx64's
// AuthenticAMD0100FA0_K10_Thuban_CPUID.txt as quoted in google/cpu_features' tests; and the AMD
// EPYC (family 0x1A, Zen 5) virtual machine this fallback was written for, as read there: its
// hypervisor zeroes leaves 4 and 0x8000001D and clears the topology extensions bit, Linux shows
// no sysfs cache entries, and its L3 associativity (9) defers to 0x8000001D.
TEST(InventoryCpuid, AmdLegacyLeaves) {
  const CpuidCacheLeaves thuban{.amd_legacy = std::array<CpuidRegisters, 2>{{
                                    {0xFF30FF10, 0xFF30FF20, 0x40020140, 0x40020140},
                                    {0x20800000, 0x42004200, 0x02008140, 0x0030B140},
                                }}};
  const std::vector<CacheLevel> caches = caches_from_cpuid(thuban, 6, 1);
  ASSERT_EQ(caches.size(), 4u);
  EXPECT_EQ(caches[0].type, "Data");
  EXPECT_EQ(caches[0].size_bytes, 64 * 1024);
  EXPECT_EQ(caches[0].instances, 6);
  EXPECT_EQ(caches[1].type, "Instruction");
  EXPECT_EQ(caches[1].size_bytes, 64 * 1024);
  EXPECT_EQ(caches[2].size_bytes, 512 * 1024);
  EXPECT_EQ(caches[2].shared_by_cpus, 1);
  EXPECT_EQ(caches[3].size_bytes, 6 << 20);
  EXPECT_EQ(caches[3].shared_by_cpus, 6);
  EXPECT_EQ(caches[3].instances, 1);

  const CpuidCacheLeaves epyc_vm{.amd_legacy = std::array<CpuidRegisters, 2>{{
                                     {0xFF60FF40, 0xFF60FF40, 0x300C0140, 0x20080140},
                                     {0x40802040, 0x60804040, 0x04006140, 0x0FE09140},
                                 }}};
  const std::vector<CacheLevel> vm = caches_from_cpuid(epyc_vm, 2, 1);
  ASSERT_EQ(vm.size(), 3u);
  EXPECT_EQ(vm[0].size_bytes, 48 * 1024);
  EXPECT_EQ(vm[0].instances, 2);
  EXPECT_EQ(vm[1].size_bytes, 32 * 1024);
  EXPECT_EQ(vm[2].level, 2);
  EXPECT_EQ(vm[2].size_bytes, 1 << 20);
  EXPECT_EQ(vm[2].instances, 2);
  // Such a guest's inventory says that its L3 is not reported; a CPU with one, or an ARM one
  // with none, does not.
  CpuInventory guest{.vendor = "AuthenticAMD", .caches = vm};
  EXPECT_TRUE(guest.no_l3_reported());
  EXPECT_TRUE(sizing_facts_of(guest).no_l3_reported);
  guest.caches = caches;  // the Phenom II's, with its L3
  EXPECT_FALSE(guest.no_l3_reported());
  EXPECT_FALSE((CpuInventory{.vendor = "ARM", .caches = vm}.no_l3_reported()));
  EXPECT_FALSE((CpuInventory{.vendor = "GenuineIntel"}.no_l3_reported()));  // caches unknown
}

TEST(InventoryCpuid, NoLeaves) { EXPECT_TRUE(caches_from_cpuid({}, 4, 2).empty()); }

// --- CPU peak model ------------------------------------------------------------------------------

TEST(InventoryPeakCpu, MicroarchitectureLookup) {
  struct Case {
    const char* vendor;
    int family, model;
    const char* name;
  };
  for (const Case& c : {
           Case{"GenuineIntel", 6, 0x3F, "Haswell-EP"},
           Case{"GenuineIntel", 6, 0x4F, "Broadwell-EP"},
           Case{"GenuineIntel", 6, 0x5E, "Skylake (client)"},
           Case{"GenuineIntel", 6, 0x55, "Skylake-SP/Cascade Lake"},
           Case{"GenuineIntel", 6, 0x6A, "Ice Lake-SP"},
           Case{"GenuineIntel", 6, 0x8F, "Sapphire Rapids"},
           Case{"GenuineIntel", 6, 0xCF, "Emerald Rapids"},
           Case{"GenuineIntel", 6, 0xAD, "Granite Rapids"},
           Case{"AuthenticAMD", 0x17, 0x01, "Zen/Zen+"},
           Case{"AuthenticAMD", 0x17, 0x08, "Zen/Zen+"},
           Case{"AuthenticAMD", 0x17, 0x31, "Zen 2"},
           Case{"AuthenticAMD", 0x17, 0x71, "Zen 2"},
           Case{"AuthenticAMD", 0x19, 0x01, "Zen 3"},
           Case{"AuthenticAMD", 0x19, 0x21, "Zen 3"},
           Case{"AuthenticAMD", 0x19, 0x11, "Zen 4"},
           Case{"AuthenticAMD", 0x19, 0x61, "Zen 4"},
           Case{"AuthenticAMD", 0x19, 0xA0, "Zen 4"},
           Case{"AuthenticAMD", 0x1A, 0x02, "Zen 5"},
           Case{"AuthenticAMD", 0x1A, 0x44, "Zen 5"},
           Case{"AuthenticAMD", 0x1A, 0x24, "Zen 5 (mobile)"},
           Case{"ARM", 8, 0xD0C, "Neoverse N1"},
           Case{"ARM", 8, 0xD40, "Neoverse V1"},
           Case{"ARM", 8, 0xD49, "Neoverse N2"},
           Case{"ARM", 8, 0xD4F, "Neoverse V2"},
       }) {
    const auto uarch = find_cpu_microarchitecture(c.vendor, c.family, c.model);
    ASSERT_TRUE(uarch.has_value()) << c.vendor << " " << c.family << " " << c.model;
    EXPECT_EQ(uarch->name, c.name);
  }
  EXPECT_EQ(find_cpu_microarchitecture("AuthenticAMD", 0x19, 0x11)->fma.width_bits, 256);
  EXPECT_EQ(find_cpu_microarchitecture("AuthenticAMD", 0x1A, 0x02)->fma.width_bits, 512);
  EXPECT_EQ(find_cpu_microarchitecture("ARM", 8, 0xD4F)->fma.pipes, 4);
  // Intel's client AVX-512 cores have one 512-bit FMA unit, not a server core's two: 32 FP32
  // FLOP per cycle either way they are used.
  for (const int model : {0x66, 0x7E, 0x8C}) {
    const auto client = find_cpu_microarchitecture("GenuineIntel", 6, model);
    ASSERT_TRUE(client.has_value()) << model;
    EXPECT_EQ(client->fma.pipes * client->fma.width_bits, 512) << model;
    EXPECT_EQ(client->fallback->pipes * client->fallback->width_bits, 512) << model;
  }
  // Hybrid Alder Lake, an old AMD family, and Intel's model number under AMD's vendor.
  EXPECT_FALSE(find_cpu_microarchitecture("GenuineIntel", 6, 0x97).has_value());
  EXPECT_FALSE(find_cpu_microarchitecture("AuthenticAMD", 0x15, 0x01).has_value());
  EXPECT_FALSE(find_cpu_microarchitecture("AuthenticAMD", 6, 0x6A).has_value());
}

CpuInventory zen4(int cores, double ghz) {
  CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-amd-zen4.txt"));
  cpu.cores = cores;
  cpu.clock_ghz = ghz;
  cpu.clock_source = "measured: dependent integer adds on 2 cores";
  return cpu;
}

// A VM under a legacy compatibility baseline passes the host's model through but exposes no AVX:
// its peak is unknown, not the model's AVX-512 units. (An empty extension list would read as
// "flags unknown", which trusts the table.)
TEST(InventoryPeakCpu, AModelWhoseVectorUnitsAreHiddenHasNoPeak) {
  CpuInventory cpu = parse_cpuinfo(
      "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
      "model name\t: Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz\nstepping\t: 7\n"
      "flags\t\t: fpu sse sse2 ssse3 lm\n\n");
  EXPECT_EQ(cpu.simd, std::vector<std::string>{"sse2"});
  cpu.cores = 4;
  cpu.clock_ghz = 2.7;
  const Peak peak = cpu_peak(cpu, Precision::fp64, 4);
  EXPECT_FALSE(peak.gflops.has_value()) << peak.basis;
  EXPECT_NE(peak.basis.find("which this CPU does not expose"), std::string::npos) << peak.basis;
}

TEST(InventoryPeakCpu, Zen4Arithmetic) {
  const CpuInventory cpu = zen4(2, 2.6);
  const Peak fp32 = cpu_peak(cpu, Precision::fp32, 2);
  ASSERT_TRUE(fp32.gflops.has_value());
  EXPECT_DOUBLE_EQ(*fp32.gflops, 2 * 8 * 2 * 2 * 2.6);
  EXPECT_EQ(fp32.basis,
            "2 cores x 8 FP32 lanes x 2 FMA pipes x 2 x 2.60 GHz (Zen 4; AVX-512 runs on the two "
            "256-bit FMA pipes; clock measured)");
  const Peak fp64 = cpu_peak(cpu, Precision::fp64, 2);
  ASSERT_TRUE(fp64.gflops.has_value());
  EXPECT_DOUBLE_EQ(*fp64.gflops, 2 * 4 * 2 * 2 * 2.6);
}

TEST(InventoryPeakCpu, ThreadsScaleCores) {
  const CpuInventory cpu = zen4(96, 3.0);
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp64, 8).gflops, 8 * 4 * 2 * 2 * 3.0);
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp64, 500).gflops, 96 * 4 * 2 * 2 * 3.0);
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp64, 0).gflops, 96 * 4 * 2 * 2 * 3.0);
  EXPECT_TRUE(cpu_peak(cpu, Precision::fp64, 8).basis.starts_with("8 cores x 4 FP64 lanes"));
}

// A cgroup quota below the threads' cores is the CPU time they get: the peak is that many CPUs'.
TEST(InventoryPeakCpu, ACgroupQuotaBoundsThePeak) {
  CpuInventory cpu = zen4(96, 3.0);
  cpu.quota = CpuQuota{2.5, "/sys/fs/cgroup/cpu.max"};
  const Peak bound = cpu_peak(cpu, Precision::fp64, 8);
  EXPECT_DOUBLE_EQ(*bound.gflops, 2.5 * 4 * 2 * 2 * 3.0);
  EXPECT_TRUE(bound.basis.starts_with("2.5 CPUs of cgroup quota (on 8 cores) x 4 FP64 lanes"))
      << bound.basis;
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp64, 2).gflops, 2 * 4 * 2 * 2 * 3.0);
  EXPECT_TRUE(cpu_peak(cpu, Precision::fp64, 2).basis.starts_with("2 cores x"));
}

TEST(InventoryPeakCpu, IceLakeAvx512AndHiddenAvx512) {
  CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-intel-icelake.txt"));
  cpu.cores = 32;
  cpu.clock_ghz = 3.0;
  cpu.clock_source = "measured: dependent integer adds on 32 cores";
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp64, 32).gflops, 32 * 8 * 2 * 2 * 3.0);

  // A hypervisor that hides AVX-512 leaves 2 x 256-bit FMA.
  cpu.simd = {"sse4_2", "avx", "avx2", "fma"};
  const Peak hidden = cpu_peak(cpu, Precision::fp64, 32);
  EXPECT_DOUBLE_EQ(*hidden.gflops, 32 * 4 * 2 * 2 * 3.0);
  EXPECT_NE(hidden.basis.find("'avx512f' not exposed"), std::string::npos) << hidden.basis;
}

TEST(InventoryPeakCpu, ArmNeoverse) {
  CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-arm-neoverse-v1.txt"));
  cpu.cores = 64;
  cpu.clock_ghz = 2.6;
  cpu.clock_source = "measured: dependent integer adds on 64 cores";
  // V1: 2 x 256-bit SVE, or 4 x 128-bit NEON without SVE: the same peak.
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp32, 64).gflops, 64 * 8 * 2 * 2 * 2.6);
  cpu.simd = {"neon"};
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp32, 64).gflops, 64 * 4 * 4 * 2 * 2.6);

  CpuInventory n1 = parse_cpuinfo(sample("cpuinfo-arm-neoverse-n1.txt"));
  n1.cores = 64;
  n1.clock_ghz = 2.5;
  n1.clock_source = "measured";
  EXPECT_DOUBLE_EQ(*cpu_peak(n1, Precision::fp64, 64).gflops, 64 * 2 * 2 * 2 * 2.5);
  // Its BF16 and INT8 dot products are not modelled: said so, without x86's instruction names.
  for (const Precision p : {Precision::bf16, Precision::fp16, Precision::int8}) {
    const Peak low = cpu_peak(n1, p, 64);
    EXPECT_FALSE(low.gflops.has_value());
    EXPECT_EQ(low.basis,
              fmt::format("unknown: no {} rate is modelled for ARM CPUs", precision_label(p)));
  }
}

TEST(InventoryPeakCpu, UnknownIsNeverAGuess) {
  CpuInventory alder = zen4(8, 3.0);
  alder.vendor = "GenuineIntel";
  alder.family = 6;
  alder.model_number = 0x97;
  alder.simd = {"sse4_2", "avx", "avx2", "fma", "avx_vnni"};  // hybrid: no AVX-512
  const Peak unknown_uarch = cpu_peak(alder, Precision::fp32, 8);
  EXPECT_FALSE(unknown_uarch.gflops.has_value());
  EXPECT_TRUE(unknown_uarch.basis.starts_with("unknown: ")) << unknown_uarch.basis;
  EXPECT_NE(unknown_uarch.basis.find("model 151"), std::string::npos) << unknown_uarch.basis;

  CpuInventory no_clock = zen4(8, 3.0);
  no_clock.clock_ghz.reset();
  no_clock.clock_source = "unknown: measurement failed";
  const Peak unknown_clock = cpu_peak(no_clock, Precision::fp64, 8);
  EXPECT_FALSE(unknown_clock.gflops.has_value());
  EXPECT_TRUE(unknown_clock.basis.starts_with("unknown: ")) << unknown_clock.basis;

  CpuInventory no_fma = zen4(8, 3.0);
  no_fma.simd = {"sse4_2", "avx"};
  EXPECT_FALSE(cpu_peak(no_fma, Precision::fp64, 8).gflops.has_value());

  EXPECT_FALSE(cpu_peak(zen4(0, 3.0), Precision::fp64, 8).gflops.has_value());
}

// A KVM guest that reports a generic name and a model number that is not the real one (family 6
// model 167, Rocket Lake's number) but declares AMX and AVX512-FP16: Sapphire Rapids or newer.
TEST(InventoryPeakCpu, CloudVmInferredFromFeatures) {
  CpuInventory cpu = parse_cpuinfo(sample("cpuinfo-kvm-generic-amx.txt"));
  EXPECT_EQ(cpu.model, "Intel Xeon Processor");
  EXPECT_EQ(cpu.model_number, 167);
  EXPECT_FALSE(find_cpu_microarchitecture(cpu.vendor, cpu.family, cpu.model_number).has_value());
  EXPECT_EQ(cpu.microarchitecture, "Sapphire Rapids or newer (inferred from features)");
  cpu.cores = 2;
  cpu.clock_ghz = 2.0;
  cpu.clock_source = "measured: dependent integer adds on 2 cores";
  const Peak fp64 = cpu_peak(cpu, Precision::fp64, 2);
  ASSERT_TRUE(fp64.gflops.has_value()) << fp64.basis;
  EXPECT_DOUBLE_EQ(*fp64.gflops, 2 * 8 * 2 * 2 * 2.0);
  EXPECT_NE(fp64.basis.find("inferred from features"), std::string::npos) << fp64.basis;
  EXPECT_NE(cpu_peak(cpu, Precision::bf16, 2).basis.find("AMX"), std::string::npos);

  // The table wins where it knows the model: the same flags on model 0x8F are Sapphire Rapids.
  cpu.model_number = 0x8F;
  EXPECT_EQ(identify_cpu_microarchitecture(cpu)->name, "Sapphire Rapids");
  // AVX-512 without AMX: 2 x 512 bits, with the assumption said.
  cpu.model_number = 167;
  cpu.simd = {"fma", "avx2", "avx512f"};
  const Peak avx512 = cpu_peak(cpu, Precision::fp32, 2);
  EXPECT_DOUBLE_EQ(*avx512.gflops, 2 * 16 * 2 * 2 * 2.0);
  EXPECT_NE(avx512.basis.find("assumes 2 AVX-512 FMA units"), std::string::npos) << avx512.basis;
  // AVX2 only on an Intel model not in the table: hybrid parts make any width a guess.
  cpu.simd = {"fma", "avx2"};
  EXPECT_FALSE(identify_cpu_microarchitecture(cpu).has_value());
  EXPECT_FALSE(cpu_peak(cpu, Precision::fp32, 2).gflops.has_value());
}

TEST(InventoryPeakCpu, AmdFamiliesInferredFromFeatures) {
  CpuInventory cpu = zen4(2, 3.0);
  cpu.model_number = 0xF0;  // not a Zen 4 model number
  EXPECT_EQ(identify_cpu_microarchitecture(cpu)->name, "Zen 4 (inferred from features)");
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::fp64, 2).gflops, 2 * 4 * 2 * 2 * 3.0);
  cpu.simd = {"fma", "avx2"};
  EXPECT_EQ(identify_cpu_microarchitecture(cpu)->name, "Zen 3 or Zen 4 (inferred from features)");

  CpuInventory zen5 = zen4(2, 3.0);
  zen5.family = 0x1A;
  zen5.model_number = 0x90;
  EXPECT_DOUBLE_EQ(*cpu_peak(zen5, Precision::fp64, 2).gflops, 2 * 8 * 2 * 2 * 3.0);
  // A hypervisor hiding AVX-512: Zen 5's 256-bit fallback.
  zen5.simd = {"fma", "avx2"};
  const Peak hidden = cpu_peak(zen5, Precision::fp64, 2);
  EXPECT_DOUBLE_EQ(*hidden.gflops, 2 * 4 * 2 * 2 * 3.0);
  EXPECT_NE(hidden.basis.find("Zen 5 (inferred from features)"), std::string::npos);

  // How much of the peak narrower vectors reach (narrow_vectors_note): with AVX-512 hidden the
  // peak counts 256-bit units, which AVX2 fills; with it, half.
  EXPECT_EQ(vector_reach(zen5, 256).value().share, 1);
  EXPECT_EQ(vector_reach(zen5, 128).value().share, 0.5);
  zen5.simd = {"fma", "avx2", "avx512f"};
  EXPECT_EQ(vector_reach(zen5, 512).value().share, 1);
  EXPECT_EQ(vector_reach(zen5, 256).value().share, 0.5);
  EXPECT_EQ(vector_reach(zen5, 256).value().units.width_bits, 512);
  EXPECT_EQ(vector_reach(zen5, 128).value().share, 0.25);
  EXPECT_EQ(vector_reach(zen4(2, 3.0), 256).value().share, 1);  // AVX-512 on two 256-bit pipes
  EXPECT_EQ(vector_reach(zen4(2, 3.0), 128).value().share, 0.5);

  // Family 0x17 declares the same extensions on Zen 1 (128-bit pipes) and Zen 2 (256-bit).
  CpuInventory zen1_or_2 = zen4(2, 3.0);
  zen1_or_2.family = 0x17;
  zen1_or_2.model_number = 0xF0;
  zen1_or_2.simd = {"fma", "avx2"};
  const Peak unknown = cpu_peak(zen1_or_2, Precision::fp64, 2);
  EXPECT_FALSE(unknown.gflops.has_value());
  EXPECT_NE(unknown.basis.find("ISA extensions do not identify it"), std::string::npos);
  EXPECT_EQ(vector_reach(zen1_or_2, 256), std::nullopt);
}

// Intel cores with one 512-bit FMA unit run 256-bit FMAs on two ports: AVX2 reaches their whole
// peak, where it reaches half of a server core's two 512-bit units.
TEST(InventoryPeakCpu, NarrowVectorsReachTheWholePeakOfOne512BitUnit) {
  const auto reach = [](const char* name, int model_number, int bits) {
    CpuInventory cpu;
    cpu.vendor = "GenuineIntel";
    cpu.family = 6;
    cpu.model_number = model_number;
    cpu.model = name;
    cpu.simd = {"fma", "avx2", "avx512f"};
    return vector_reach(cpu, bits).value().share;
  };
  EXPECT_EQ(reach("Intel(R) Xeon(R) Silver 4110 CPU @ 2.10GHz", 0x55, 256), 1);
  EXPECT_EQ(reach("Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz", 0x55, 256), 0.5);
  EXPECT_EQ(reach("11th Gen Intel(R) Core(TM) i9-11900K @ 3.50GHz", 0xF0, 256), 1);
  EXPECT_EQ(reach("11th Gen Intel(R) Core(TM) i9-11900K @ 3.50GHz", 0xF0, 128), 0.5);
  EXPECT_EQ(reach("Intel(R) Xeon(R) Platinum 8480+", 0x8F, 512), 1);
  EXPECT_EQ(reach("Intel(R) Xeon(R) Platinum 8480+", 0x8F, 256), 0.5);
}

// Matrix precisions: the best unit the flags show. Zen 5 (2 x 512-bit FMA pipes) with
// avx512_bf16 and avx512_vnni, as the 2-vCPU KVM of docs/PERFORMANCE.md reports them.
CpuInventory zen5(std::vector<std::string> simd) {
  CpuInventory cpu;
  cpu.vendor = "AuthenticAMD";
  cpu.family = 0x1A;
  cpu.model_number = 0x02;
  cpu.cores = 2;
  cpu.clock_ghz = 3.0;
  cpu.clock_source = "measured: dependent integer adds on 2 cores";
  cpu.simd = std::move(simd);
  return cpu;
}

TEST(InventoryPeakCpu, MatrixPrecisionsOnAvx512DotProducts) {
  const CpuInventory cpu = zen5({"fma", "avx2", "avx512f", "avx512_bf16", "avx512_vnni"});
  // vdpbf16ps: 16 FP32 lanes x 2 BF16 FMAs = 32 per pipe, 2 pipes, 2 FLOP each: 128 per cycle.
  const Peak bf16 = cpu_peak(cpu, Precision::bf16, 2);
  ASSERT_TRUE(bf16.gflops.has_value()) << bf16.basis;
  EXPECT_DOUBLE_EQ(*bf16.gflops, 2 * 32 * 2 * 2 * 3.0);
  EXPECT_TRUE(bf16.basis.starts_with("2 cores x 32 BF16 FMA lanes x 2 FMA pipes x 2 (vdpbf16ps"))
      << bf16.basis;
  // vpdpbusd: 16 INT32 lanes x 4 INT8 multiply-adds = 64 per pipe: 256 operations per cycle.
  const Peak int8 = cpu_peak(cpu, Precision::int8, 2);
  ASSERT_TRUE(int8.gflops.has_value()) << int8.basis;
  EXPECT_DOUBLE_EQ(*int8.gflops, 2 * 64 * 2 * 2 * 3.0);
  EXPECT_NE(int8.basis.find("vpdpbusd"), std::string::npos) << int8.basis;
  // One thread: one core.
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::bf16, 1).gflops, 32 * 2 * 2 * 3.0);
  // No avx512_fp16 here; no CPU TF32 or FP8 unit is modelled.
  for (const Precision p : {Precision::fp16, Precision::tf32, Precision::fp8_e4m3}) {
    const Peak none = cpu_peak(cpu, p, 2);
    EXPECT_FALSE(none.gflops.has_value()) << to_string(p);
    EXPECT_TRUE(none.basis.starts_with("unknown: ")) << none.basis;
  }
  EXPECT_NE(cpu_peak(cpu, Precision::fp16, 2).basis.find("avx512_fp16"), std::string::npos);
  // AVX512-FP16 accumulates in FP16: an FP16 GEMM into FP32 runs at FP32's rate, not twice it.
  const CpuInventory sapphire = zen5({"fma", "avx2", "avx512f", "avx512_fp16"});
  const Peak fp16 = cpu_peak(sapphire, Precision::fp16, 2);
  ASSERT_TRUE(fp16.gflops.has_value()) << fp16.basis;
  EXPECT_DOUBLE_EQ(*fp16.gflops, *cpu_peak(sapphire, Precision::fp32, 2).gflops);
  EXPECT_NE(fp16.basis.find("FP16 converted to FP32"), std::string::npos) << fp16.basis;
  // Without the instructions there is no BF16 or INT8 peak, never the FP32 rate instead.
  const CpuInventory plain = zen5({"fma", "avx2", "avx512f"});
  EXPECT_FALSE(cpu_peak(plain, Precision::bf16, 2).gflops.has_value());
  EXPECT_FALSE(cpu_peak(plain, Precision::int8, 2).gflops.has_value());
}

// A clock measured beside FMAs narrower than the peak's (FLOPBENCH_MAX_VECTOR_BITS=256, or a
// build without the wide pass, on a Zen 5 or an AVX-512 Xeon) makes the peak an upper bound, and
// its basis says why; the same width does not.
TEST(InventoryPeakCpu, AClockMeasuredBesideNarrowerFmasIsAnUpperBound) {
  CpuInventory cpu = zen4(2, 3.0);
  cpu.family = 0x1A;  // Zen 5: 2 x 512-bit FMA
  cpu.model_number = 0x02;
  cpu.simd = {"fma", "avx2", "avx512f"};
  cpu.clock_vector_bits = 256;
  const Peak narrow = cpu_peak(cpu, Precision::fp32, 2);
  ASSERT_TRUE(narrow.gflops.has_value()) << narrow.basis;
  EXPECT_NE(narrow.basis.find("clock measured; the clock was measured beside 256-bit FMAs (the "
                              "vector kernels' width), and 512-bit ones may run at a lower clock: "
                              "an upper bound"),
            std::string::npos)
      << narrow.basis;
  cpu.clock_vector_bits = 512;
  EXPECT_EQ(cpu_peak(cpu, Precision::fp32, 2).basis.find("upper bound"), std::string::npos);
  cpu.clock_vector_bits = 0;  // read back from a results file: not known
  EXPECT_EQ(cpu_peak(cpu, Precision::fp32, 2).basis.find("upper bound"), std::string::npos);
  // This process's own inventory knows the width it measured under.
  EXPECT_GT(cpu_inventory().clock_vector_bits, 0);
}

TEST(InventoryPeakCpu, AmxRates) {
  // Intel's per-core AMX figures: 1,024 BF16 FLOP and 2,048 INT8 operations per cycle.
  CpuInventory cpu = zen4(0, 2.0);
  cpu.vendor = "GenuineIntel";
  cpu.family = 6;
  cpu.model_number = 0x8F;  // Sapphire Rapids
  cpu.cores = 4;
  cpu.simd = {"fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16", "amx_int8"};
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::bf16, 4).gflops, 4 * 1024 * 2.0);
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::int8, 4).gflops, 4 * 2048 * 2.0);
  EXPECT_NE(cpu_peak(cpu, Precision::bf16, 4).basis.find("AMX"), std::string::npos);
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::bf16, 4, true).gflops, 4 * 1024 * 2.0);
  // A kernel that did not run on the tiles (oneDNN capped by ONEDNN_MAX_CPU_ISA, say) is judged
  // against the vector units it ran on: 2 pipes x 32 BF16 lanes x 2, 64 INT8 lanes.
  const Peak bf16 = cpu_peak(cpu, Precision::bf16, 4, false);
  EXPECT_DOUBLE_EQ(*bf16.gflops, 4 * 128 * 2.0);
  EXPECT_NE(bf16.basis.find("vdpbf16ps"), std::string::npos) << bf16.basis;
  EXPECT_NE(bf16.basis.find("the kernel did not run on the CPU's AMX tiles"), std::string::npos)
      << bf16.basis;
  EXPECT_DOUBLE_EQ(*cpu_peak(cpu, Precision::int8, 4, false).gflops, 4 * 256 * 2.0);
  EXPECT_EQ(cpu_peak(cpu, Precision::fp32, 4, false).gflops,
            cpu_peak(cpu, Precision::fp32, 4).gflops);
}

// Parts of one family that differ: a Xeon's name says when it has one AVX-512 FMA unit, a client
// core's name that it is not a server core, Krackan is a mobile Zen 5; AMX-FP16 is modelled.
TEST(InventoryPeakCpu, PartsOfOneFamilyThatDiffer) {
  const auto uarch = [](std::string vendor, int family, int model, std::string name,
                        std::vector<std::string> simd = {}) {
    CpuInventory cpu;
    cpu.vendor = std::move(vendor);
    cpu.family = family;
    cpu.model_number = model;
    cpu.model = std::move(name);
    cpu.simd = std::move(simd);
    return identify_cpu_microarchitecture(cpu);
  };
  for (const char* one :
       {"Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz", "Intel(R) Xeon(R) Gold 5118 CPU @ 2.30GHz",
        "Intel(R) Xeon(R) Bronze 3106 CPU @ 1.70GHz"}) {
    const auto u = uarch("GenuineIntel", 6, 0x55, one);
    ASSERT_TRUE(u.has_value()) << one;
    EXPECT_EQ(u->fma.pipes, 1) << one;
    EXPECT_EQ(u->fma.width_bits, 512) << one;
  }
  for (const char* two :
       {"Intel(R) Xeon(R) Gold 5122 CPU @ 3.60GHz", "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
        "Intel(R) Xeon(R) Gold 5318H CPU @ 2.50GHz", "Intel(R) Xeon(R) Gold 5218 CPU @ 2.30GHz",
        "Intel(R) Xeon(R) Platinum 8280 CPU @ 2.70GHz", "Intel Xeon Processor (Cascadelake)"}) {
    const auto u = uarch("GenuineIntel", 6, 0x55, two);
    ASSERT_TRUE(u.has_value()) << two;
    EXPECT_EQ(u->fma.pipes, 2) << two;
  }
  // Not in the table (Rocket Lake's model number is left out): the features and the name.
  const auto client =
      uarch("GenuineIntel", 6, 0xA7, "11th Gen Intel(R) Core(TM) i9-11900K @ 3.50GHz",
            {"fma", "avx2", "avx512f"});
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ(client->fma.pipes, 1);
  EXPECT_NE(client->name.find("client"), std::string_view::npos);
  for (const char* rocket_lake_xeon :
       {"Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz", "Intel(R) Xeon(R) W-1390P @ 3.50GHz"}) {
    const auto u = uarch("GenuineIntel", 6, 0xA7, rocket_lake_xeon, {"fma", "avx2", "avx512f"});
    ASSERT_TRUE(u.has_value()) << rocket_lake_xeon;
    EXPECT_EQ(u->fma.pipes, 1) << rocket_lake_xeon;
  }
  EXPECT_EQ(uarch("GenuineIntel", 6, 0x6A, "Intel(R) Xeon(R) W-3375 CPU @ 2.50GHz")->fma.pipes, 2);
  const auto server =
      uarch("GenuineIntel", 6, 0xA7, "Intel Xeon Processor (Icelake)", {"fma", "avx2", "avx512f"});
  ASSERT_TRUE(server.has_value());
  EXPECT_EQ(server->fma.pipes, 2);
  EXPECT_EQ(uarch("AuthenticAMD", 0x1A, 0x60, "AMD Ryzen AI 7 350")->name, "Zen 5 (mobile)");
  EXPECT_EQ(uarch("AuthenticAMD", 0x1A, 0x60, "AMD Ryzen AI 7 350")->fma.width_bits, 256);

  // Granite Rapids' AMX-FP16: 1,024 FP16 FLOP per cycle per core, accumulated in FP32.
  CpuInventory granite = zen4(0, 2.0);
  granite.vendor = "GenuineIntel";
  granite.family = 6;
  granite.model_number = 0xAD;
  granite.cores = 4;
  granite.simd = {"fma", "avx512f", "avx512_fp16", "amx_tile", "amx_bf16", "amx_fp16"};
  const Peak fp16 = cpu_peak(granite, Precision::fp16, 4);
  ASSERT_TRUE(fp16.gflops.has_value()) << fp16.basis;
  EXPECT_DOUBLE_EQ(*fp16.gflops, 4 * 1024 * 2.0);
  EXPECT_NE(fp16.basis.find("AMX TMUL"), std::string::npos) << fp16.basis;
  EXPECT_NE(fp16.basis.find("AMX load lowers"), std::string::npos) << fp16.basis;
}

// --- GPU peak model ------------------------------------------------------------------------------

// What a GPU's name says beyond its compute capability: GeForce halves the FP32-accumulating
// tensor formats (an RTX 4090: 165 TFLOPS dense FP16 at 2,520 MHz, its datasheet's figure, not
// twice that); the export variants' cut rates are unknown, never the full part's.
TEST(InventoryPeakGpu, TheNameSaysWhatTheComputeCapabilityDoesNot) {
  GpuDevice rtx{.name = "NVIDIA GeForce RTX 4090",
                .cc_major = 8,
                .cc_minor = 9,
                .sm_count = 128,
                .sm_clock_mhz = 2520};
  const Peak fp16 = gpu_peak(rtx, Precision::fp16, false);
  ASSERT_TRUE(fp16.gflops.has_value()) << fp16.basis;
  EXPECT_NEAR(*fp16.gflops, 165.15e3, 0.01e3);
  EXPECT_NE(fp16.basis.find("GeForce"), std::string::npos);
  EXPECT_NEAR(*gpu_peak(rtx, Precision::int8, false).gflops, 660.6e3, 0.1e3);  // full rate
  EXPECT_DOUBLE_EQ(*gpu_peak(rtx, Precision::fp32, false).gflops,
                   *gpu_peak(8, 9, 128, 2520, Precision::fp32, false).gflops);
  GpuDevice l40s = rtx;
  l40s.name = "NVIDIA L40S";
  EXPECT_DOUBLE_EQ(*gpu_peak(l40s, Precision::fp16, false).gflops, 2 * *fp16.gflops);
  // The L40 (not S) has half the L40S's tensor rate at every matrix format, INT8 too: 181 TFLOPS
  // dense BF16 and 362 TOPS INT8 at 142 SMs and 2,490 MHz; its FP32 is its table's.
  GpuDevice l40 = rtx;
  l40.name = "NVIDIA L40";
  l40.sm_count = 142;
  l40.sm_clock_mhz = 2490;
  const Peak l40_bf16 = gpu_peak(l40, Precision::bf16, false);
  EXPECT_NEAR(*l40_bf16.gflops, 181.0e3, 0.1e3);
  EXPECT_NE(l40_bf16.basis.find("L40: half"), std::string::npos) << l40_bf16.basis;
  EXPECT_NEAR(*gpu_peak(l40, Precision::int8, false).gflops, 362.0e3, 0.1e3);
  EXPECT_DOUBLE_EQ(*gpu_peak(l40, Precision::fp32, false).gflops,
                   *gpu_peak(8, 9, 142, 2490, Precision::fp32, false).gflops);
  l40.name = "NVIDIA L40S";
  EXPECT_NEAR(*gpu_peak(l40, Precision::bf16, false).gflops, 362.0e3, 0.1e3);

  GpuDevice h20{
      .name = "NVIDIA H20", .cc_major = 9, .cc_minor = 0, .sm_count = 78, .sm_clock_mhz = 1980};
  for (const Precision p : {Precision::fp64, Precision::bf16, Precision::fp8_e4m3}) {
    const Peak peak = gpu_peak(h20, p, true);
    EXPECT_FALSE(peak.gflops.has_value()) << precision_label(p);
    EXPECT_NE(peak.basis.find("export variant"), std::string::npos) << peak.basis;
  }
  EXPECT_TRUE(gpu_peak(h20, Precision::fp32, false).gflops.has_value());
  GpuDevice gtx{.name = "NVIDIA GeForce GTX 1660 SUPER",
                .cc_major = 7,
                .cc_minor = 5,
                .sm_count = 22,
                .sm_clock_mhz = 1785};
  EXPECT_FALSE(gpu_peak(gtx, Precision::fp16, false).gflops.has_value());
  for (const char* name : {"NVIDIA T1000 8GB", "Quadro T2000", "NVIDIA GeForce MX450"}) {
    gtx.name = name;
    EXPECT_FALSE(gpu_peak(gtx, Precision::int8, false).gflops.has_value()) << name;
  }
  gtx.name = "Tesla T4";
  EXPECT_TRUE(gpu_peak(gtx, Precision::fp16, false).gflops.has_value());
  gtx.name = "NVIDIA GeForce GTX 1660 SUPER";
  EXPECT_TRUE(gpu_peak(gtx, Precision::fp32, false).gflops.has_value());
  GpuDevice h800 = h20;
  h800.name = "NVIDIA H800";
  h800.sm_count = 132;
  EXPECT_FALSE(gpu_peak(h800, Precision::fp64, true).gflops.has_value());
  EXPECT_TRUE(gpu_peak(h800, Precision::bf16, false).gflops.has_value());
  GpuDevice h200 = h800;
  h200.name = "NVIDIA H200";  // contains "H20", and is no export variant
  EXPECT_NEAR(*gpu_peak(h200, Precision::fp64, true).gflops, 66908.16, 1e-6);
}

TEST(InventoryPeakGpu, H100WorkedCheck) {
  // H100 SXM: 132 SMs x 128 x 2 x 1.98 GHz = 66.9 TFLOPS FP32.
  const Peak fp32 = gpu_peak(9, 0, 132, 1980, Precision::fp32, false);
  ASSERT_TRUE(fp32.gflops.has_value());
  EXPECT_NEAR(*fp32.gflops, 66908.16, 1e-6);
  EXPECT_EQ(fp32.basis, "132 SMs x 128 FP32 lanes x 2 x 1980 MHz (cc 9.0)");
  // FP32 never uses the tensor-core flag.
  EXPECT_EQ(*gpu_peak(9, 0, 132, 1980, Precision::fp32, true).gflops, *fp32.gflops);

  EXPECT_NEAR(*gpu_peak(9, 0, 132, 1980, Precision::fp64, false).gflops, 33454.08, 1e-6);
  const Peak tensor = gpu_peak(9, 0, 132, 1980, Precision::fp64, true);
  EXPECT_NEAR(*tensor.gflops, 66908.16, 1e-6);  // 2x the FP64 CUDA-core rate
  EXPECT_NE(tensor.basis.find("tensor"), std::string::npos) << tensor.basis;
}

TEST(InventoryPeakGpu, TableAndTensorCores) {
  // A100: FP64 tensor cores run at the FP32 rate (19.5 TFLOPS).
  EXPECT_NEAR(*gpu_peak(8, 0, 108, 1410, Precision::fp64, true).gflops, 19491.84, 1e-6);
  EXPECT_NEAR(*gpu_peak(8, 0, 108, 1410, Precision::fp64, false).gflops, 9745.92, 1e-6);
  EXPECT_NEAR(*gpu_peak(8, 0, 108, 1410, Precision::fp32, false).gflops, 19491.84, 1e-6);
  // L40S (8.9): 142 SMs, 128 FP32 lanes, 2 FP64 lanes, no FP64 tensor cores.
  EXPECT_NEAR(*gpu_peak(8, 9, 142, 2520, Precision::fp32, false).gflops, 91607.04, 1e-6);
  const Peak l40s_fp64 = gpu_peak(8, 9, 142, 2520, Precision::fp64, true);
  EXPECT_NEAR(*l40s_fp64.gflops, 1431.36, 1e-6);
  EXPECT_NE(l40s_fp64.basis.find("no FP64 tensor cores"), std::string::npos) << l40s_fp64.basis;
  // T4 (7.5), V100 (7.0), B200 (10.0), RTX 50 (12.0).
  EXPECT_NEAR(*gpu_peak(7, 5, 40, 1590, Precision::fp32, false).gflops, 8140.8, 1e-6);
  EXPECT_NEAR(*gpu_peak(7, 0, 80, 1530, Precision::fp64, false).gflops, 7833.6, 1e-6);
  EXPECT_EQ(*gpu_peak(10, 0, 148, 1965, Precision::fp64, true).gflops,
            *gpu_peak(10, 0, 148, 1965, Precision::fp64, false).gflops);
  EXPECT_NEAR(*gpu_peak(12, 0, 170, 2407, Precision::fp64, false).gflops, 1636.76, 1e-6);

  EXPECT_TRUE(has_fp64_tensor_cores(8, 0));
  EXPECT_TRUE(has_fp64_tensor_cores(9, 0));
  EXPECT_TRUE(has_fp64_tensor_cores(10, 0));
  EXPECT_FALSE(has_fp64_tensor_cores(8, 6));
  EXPECT_FALSE(has_fp64_tensor_cores(7, 0));
}

TEST(InventoryPeakGpu, DenseTensorRatesReproduceTheDatasheets) {
  // H100/H200 SXM: NVIDIA's dense TF32 494.7, BF16 and FP16 989.4, FP8 1,978.9 TFLOPS and INT8
  // 1,978.9 TOPS are 132 SMs at 1,830 MHz, the clock its tensor figures assume.
  EXPECT_NEAR(*gpu_peak(9, 0, 132, 1830, Precision::tf32, false).gflops, 494.7e3, 0.1e3);
  EXPECT_NEAR(*gpu_peak(9, 0, 132, 1830, Precision::bf16, false).gflops, 989.4e3, 0.1e3);
  EXPECT_NEAR(*gpu_peak(9, 0, 132, 1830, Precision::fp16, false).gflops, 989.4e3, 0.1e3);
  EXPECT_NEAR(*gpu_peak(9, 0, 132, 1830, Precision::fp8_e4m3, false).gflops, 1978.9e3, 0.1e3);
  EXPECT_NEAR(*gpu_peak(9, 0, 132, 1830, Precision::int8, false).gflops, 1978.9e3, 0.1e3);
  // The peak follows the measured clock: 1,980 MHz gives 1,070.5 BF16 TFLOPS.
  const Peak bf16 = gpu_peak(9, 0, 132, 1980, Precision::bf16, false);
  EXPECT_NEAR(*bf16.gflops, 1070.5e3, 0.1e3);
  EXPECT_NE(bf16.basis.find("dense BF16 tensor-core FMA lanes"), std::string::npos) << bf16.basis;
  EXPECT_NE(gpu_peak(9, 0, 132, 1980, Precision::int8, false).basis.find("INT8 tensor-core MAC"),
            std::string::npos);
  // A100 (8.0): 156 TF32, 312 BF16, 624 INT8 at 1,410 MHz; no FP8.
  EXPECT_NEAR(*gpu_peak(8, 0, 108, 1410, Precision::tf32, false).gflops, 155.9e3, 0.1e3);
  EXPECT_NEAR(*gpu_peak(8, 0, 108, 1410, Precision::bf16, false).gflops, 311.9e3, 0.1e3);
  EXPECT_NEAR(*gpu_peak(8, 0, 108, 1410, Precision::int8, false).gflops, 623.8e3, 0.1e3);
  const Peak a100_fp8 = gpu_peak(8, 0, 108, 1410, Precision::fp8_e4m3, false);
  EXPECT_FALSE(a100_fp8.gflops.has_value());
  EXPECT_NE(a100_fp8.basis.find("no FP8 E4M3 tensor-core path"), std::string::npos);
  // L40S (8.9) has FP8.
  EXPECT_TRUE(gpu_peak(8, 9, 142, 2520, Precision::fp8_e4m3, false).gflops.has_value());
  // HGX B200 (10.0): dense BF16 and FP16 2,250, FP8 4,500 TFLOPS, INT8 4,500 TOPS at 148 SMs and
  // 1,856 MHz; TF32 1,125 (the datasheet rounds it to 1,100).
  EXPECT_NEAR(*gpu_peak(10, 0, 148, 1856, Precision::bf16, false).gflops, 2250e3, 1e3);
  EXPECT_NEAR(*gpu_peak(10, 0, 148, 1856, Precision::fp16, false).gflops, 2250e3, 1e3);
  EXPECT_NEAR(*gpu_peak(10, 0, 148, 1856, Precision::fp8_e4m3, false).gflops, 4500e3, 2e3);
  EXPECT_NEAR(*gpu_peak(10, 0, 148, 1856, Precision::int8, false).gflops, 4500e3, 2e3);
  EXPECT_NEAR(*gpu_peak(10, 0, 148, 1856, Precision::tf32, false).gflops, 1125e3, 1e3);
  // RTX 50 (12.0) is not in the tensor-core table; B300 (10.3) is in neither table.
  const Peak rtx50 = gpu_peak(12, 0, 170, 2407, Precision::bf16, false);
  EXPECT_FALSE(rtx50.gflops.has_value());
  EXPECT_NE(rtx50.basis.find("not in the tensor-core table"), std::string::npos) << rtx50.basis;
  const Peak b300 = gpu_peak(10, 3, 160, 2032, Precision::bf16, false);
  EXPECT_FALSE(b300.gflops.has_value());
  EXPECT_NE(b300.basis.find("not in the lane table"), std::string::npos) << b300.basis;
}

TEST(InventoryPeakGpu, UnknownComputeCapability) {
  for (const Peak& peak : {gpu_peak(6, 1, 28, 1582, Precision::fp32, false),
                           gpu_peak(10, 3, 148, 1965, Precision::fp64, true),
                           gpu_peak(9, 0, 132, 0, Precision::fp32, false),
                           gpu_peak(9, 0, 0, 1980, Precision::fp32, false)}) {
    EXPECT_FALSE(peak.gflops.has_value());
    EXPECT_TRUE(peak.basis.starts_with("unknown: ")) << peak.basis;
  }
  EXPECT_NE(gpu_peak(6, 1, 28, 1582, Precision::fp32, false).basis.find("6.1"), std::string::npos);
}

// --- this machine
// ----------------------------------------------------------------------------------

TEST(InventoryLive, CpuInventory) {
  const CpuInventory cpu = cpu_inventory();
  EXPECT_GE(cpu.cores, 1);
  EXPECT_GE(cpu.logical_cpus, cpu.cores);
  EXPECT_GE(cpu.sockets, 1);
  EXPECT_FALSE(cpu.model.empty());
  EXPECT_FALSE(cpu.caches.empty());
  EXPECT_GT(cpu.memory_bytes, 0);
  ASSERT_TRUE(cpu.clock_ghz.has_value()) << cpu.clock_source;
  EXPECT_GT(*cpu.clock_ghz, 0.3);
  EXPECT_LT(*cpu.clock_ghz, 7.0);
  EXPECT_TRUE(cpu.clock_source.starts_with("measured: ")) << cpu.clock_source;
  // The clock is measured beside FMAs of the width the vector kernels run.
  EXPECT_EQ(cpu.clock_vector_bits, simd::dispatched_vector_bytes() * 8);
  EXPECT_NE(cpu.clock_source.find(fmt::format("beside {}-bit vector FMAs", cpu.clock_vector_bits)),
            std::string::npos)
      << cpu.clock_source;
  // Known microarchitecture <=> known peak (the clock is known here).
  EXPECT_EQ(cpu.peak_fp32.gflops.has_value(), cpu.microarchitecture != "unknown")
      << cpu.peak_fp32.basis;
}

// The clock runs on every thread asked for, whatever OpenMP's team would be (called inside a
// parallel region, its nested team was one thread, and info said "on 2 cores" of one core's
// clock), each on any of the process's CPUs.
TEST(InventoryLive, TheClockRunsEveryThreadAskedFor) {
  ClockReading inside;
#pragma omp parallel num_threads(1)
  { inside = measure_cpu_clock(2, ClockLoad::scalar, ClockSpan::recheck); }
  EXPECT_EQ(inside.threads, 2);
  EXPECT_GT(inside.ghz, 0.3);
  EXPECT_EQ(inside.cpus, usable_cpus());
}

// Run only by TheClockRunsOnTheProcesssCpusUnderOpenMpBinding: ctest runs no DISABLED_ test.
TEST(DISABLED_ClockUnderBindingHelper, RunsOnEveryUsableCpu) {
  const std::vector<int> usable = usable_cpus();
  const ClockReading r =
      measure_cpu_clock(static_cast<int>(usable.size()), ClockLoad::scalar, ClockSpan::recheck);
  EXPECT_EQ(r.threads, static_cast<int>(usable.size()));
  EXPECT_EQ(r.cpus, usable);
}

// Under OMP_PROC_BIND the OpenMP runtime binds the initial thread to its first place as the
// process starts, and a thread starts with its creator's mask: the clock's threads all ran on
// that one CPU, and the "all-core" scalar clock was one core's.
TEST(InventoryLive, TheClockRunsOnTheProcesssCpusUnderOpenMpBinding) {
  if (usable_cpus().size() < 2) GTEST_SKIP() << "one usable CPU";
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string command = "OMP_PROC_BIND=true OMP_PLACES=threads '" + self +
                              "' --gtest_also_run_disabled_tests "
                              "--gtest_filter=DISABLED_ClockUnderBindingHelper.* 2>&1";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> chunk{};
    while (std::fgets(chunk.data(), chunk.size(), pipe)) output += chunk.data();
    const int status = ::pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  } else {
    FAIL() << "popen: " << std::strerror(errno);
  }
  EXPECT_NE(output.find("[  PASSED  ] 1 test."), std::string::npos) << output;
}

TEST(InventoryLive, ClockOnOneThread) {
  const double ghz = measure_cpu_clock(1).ghz;
  EXPECT_GT(ghz, 0.3);
  EXPECT_LT(ghz, 7.0);
}

// A thread's affinity mask read and set, on a thread of the test's own.
TEST(InventoryLive, ThreadAffinityIsReadAndSet) {
  const std::vector<int> all = thread_affinity();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  std::thread([&] {
    ASSERT_TRUE(set_thread_affinity({all.back()}));
    EXPECT_EQ(thread_affinity(), std::vector<int>{all.back()});
    ASSERT_TRUE(set_thread_affinity(all));
    EXPECT_EQ(thread_affinity(), all);
    EXPECT_FALSE(set_thread_affinity({}));
    EXPECT_FALSE(set_thread_affinity({-1}));
  }).join();
  EXPECT_EQ(thread_affinity(), all);  // another thread's mask is its own
}

// The vector clock pins threads of its own for the measurement only: the calling thread gets its
// CPUs back, and the OpenMP threads, which run the workloads, are left as they were (each with
// its own CPUs: OpenMP may bind each to a place).
TEST(InventoryLive, VectorClockGivesItsThreadsTheirCpusBack) {
  const int threads = static_cast<int>(usable_cpu_of_each_core().size());
  if (threads < 2) GTEST_SKIP() << "fewer than two cores, or no sysfs topology: nothing to pin";
  const auto masks = [] {
    std::map<std::string, std::string> lists;  // thread id -> Cpus_allowed_list
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      const std::string text = read_text(task.path() / "status");
      const auto at = text.find("Cpus_allowed_list:");
      // A thread that ended since the listing has no status left to read.
      if (at != std::string::npos) {
        lists[task.path().filename()] = text.substr(at, text.find('\n', at) - at);
      }
    }
    return lists;
  };
  // The scalar clock pins nothing; the team's threads are started.
  EXPECT_GT(measure_cpu_clock(threads, ClockLoad::scalar, ClockSpan::recheck).ghz, 0);
  std::vector<int> team_threads(static_cast<std::size_t>(threads), 0);
#pragma omp parallel num_threads(threads)
  { team_threads[std::size_t(omp_get_thread_num())] = 1; }
  const auto before = masks();
  ASSERT_GE(before.size(), 2u);
  EXPECT_GT(measure_cpu_clock(threads, ClockLoad::vector_fma, ClockSpan::recheck).ghz, 0);
  EXPECT_EQ(masks(), before);
}

// The FMAs run beside the add chain, not in its way: the vector clock may be lower than the scalar
// one (frequency licences), never far above it, and an add chain slowed by port contention would
// read as a clock far below. The two are taken in turns and their medians compared, so that a
// host's drift between them (a shared VM's clock moves by several percent) falls on both.
TEST(InventoryLive, VectorClockIsNearOrBelowTheScalarClock) {
  if (testing::kSanitized) GTEST_SKIP() << "AddressSanitizer's checks slow the FMA load";
  measure_cpu_clock(1, ClockLoad::vector_fma);  // settles the core at its loaded clock
  std::vector<double> scalar, vector;
  for (int round = 0; round < 7; ++round) {
    scalar.push_back(measure_cpu_clock(1, ClockLoad::scalar, ClockSpan::recheck).ghz);
    vector.push_back(measure_cpu_clock(1, ClockLoad::vector_fma, ClockSpan::recheck).ghz);
  }
  std::ranges::sort(scalar);
  std::ranges::sort(vector);
  EXPECT_LT(vector[3], 1.2 * scalar[3]) << fmt::format("{}", fmt::join(vector, " "));
  EXPECT_GT(vector[3], 0.6 * scalar[3]) << fmt::format("{}", fmt::join(scalar, " "));
}

TEST(InventoryLive, GpuInventoryHasDevicesOrAReason) {
  const GpuInventory gpu = gpu_inventory();
  EXPECT_EQ(gpu.cuda_built, static_cast<bool>(FLOPBENCH_HAVE_CUDA));
  if (gpu.devices.empty()) {
    EXPECT_FALSE(gpu.no_device_reason.empty());
  } else {
    EXPECT_TRUE(gpu.no_device_reason.empty());
    for (const GpuDevice& device : gpu.devices) {
      EXPECT_FALSE(device.name.empty());
      EXPECT_GT(device.sm_count, 0);
      EXPECT_GT(device.sm_clock_mhz, 0);
    }
  }
}

int count_lines_starting(const std::string& text, const std::string& prefix) {
  int count = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) count += line.starts_with(prefix) ? 1 : 0;
  return count;
}

TEST(Inventory, ThreadingEnvironmentKeepsEveryThreadingLibrarysVariables) {
  const char* envp[] = {"OMP_NUM_THREADS=4",
                        "GOMP_SPINCOUNT=0",
                        "KMP_AFFINITY=compact",
                        "OPENBLAS_NUM_THREADS=1",
                        "OPENBLAS_CORETYPE=Haswell",
                        "MKL_DEBUG_CPU_TYPE=5",
                        "PATH=/usr/bin",
                        "XOMP_FAKE=1",
                        "MKLROOT=/opt",
                        "NOEQUALS",
                        nullptr};
  const std::map<std::string, std::string> expected = {
      {"GOMP_SPINCOUNT", "0"}, {"KMP_AFFINITY", "compact"},      {"MKL_DEBUG_CPU_TYPE", "5"},
      {"OMP_DYNAMIC", ""},     {"OMP_NUM_THREADS", "4"},         {"OMP_PLACES", ""},
      {"OMP_PROC_BIND", ""},   {"OPENBLAS_CORETYPE", "Haswell"}, {"OPENBLAS_NUM_THREADS", "1"}};
  EXPECT_EQ(threading_environment(envp), expected);
}

TEST(InventoryLive, EnvironmentAndDescription) {
  const Environment env = collect_environment({{"Eigen", "3.4.0"}});
  EXPECT_FALSE(env.flopbench_version.empty());
  EXPECT_FALSE(env.kernel.empty());
  EXPECT_EQ(env.libraries.at("Eigen"), "3.4.0");
  EXPECT_TRUE(env.libraries.at("OpenMP").starts_with("20")) << env.libraries.at("OpenMP");
  EXPECT_TRUE(env.libraries.contains("fmt"));
  EXPECT_TRUE(env.libraries.contains("glibc"));
  EXPECT_GE(env.openmp_env.size(), 4u);
  EXPECT_TRUE(env.openmp_env.contains("OMP_PROC_BIND"));

  ResultsDocument doc;
  doc.environment = env;
  const std::string text = InfoPrinter().print(doc);
  EXPECT_NE(text.find("== CPU =="), std::string::npos);
  EXPECT_NE(text.find(env.cpu.model), std::string::npos);
  EXPECT_EQ(count_lines_starting(text, "no CUDA device: "), env.gpu.devices.empty() ? 1 : 0)
      << text;
}

TEST(InventoryDescribe, NoDeviceLine) {
  ResultsDocument doc;
  GpuInventory& gpu = doc.environment.gpu;
  gpu.cuda_built = true;
  gpu.runtime_version = "13.0";
  gpu.no_device_reason = "cudaErrorNoDevice: no CUDA-capable device is detected";
  const std::string text = InfoPrinter().print(doc);
  EXPECT_EQ(count_lines_starting(
                text, "no CUDA device: cudaErrorNoDevice: no CUDA-capable device is detected"),
            1)
      << text;

  GpuDevice h100;
  h100.name = "NVIDIA H100 80GB HBM3";
  h100.cc_major = 9;
  h100.sm_count = 132;
  h100.sm_clock_mhz = 1980;
  h100.peak_fp32 = gpu_peak(9, 0, 132, 1980, Precision::fp32, false);
  gpu.devices = {h100};
  gpu.no_device_reason.clear();
  const std::string with_gpu = InfoPrinter().print(doc);
  EXPECT_EQ(count_lines_starting(with_gpu, "no CUDA device: "), 0);
  // The wording of report.md's inventory.
  EXPECT_EQ(count_lines_starting(with_gpu, "gpu0:"), 1) << with_gpu;
  EXPECT_NE(with_gpu.find("NVIDIA H100 80GB HBM3, compute capability 9.0, 132 SMs"),
            std::string::npos)
      << with_gpu;
  EXPECT_NE(with_gpu.find("66908 GFLOP/s"), std::string::npos) << with_gpu;
}

#if FLOPBENCH_HAVE_CUDA
TEST(InventoryCudaCheck, ThrowsWithContext) {
  try {
    FLOPBENCH_CUDA_CALL(cudaErrorInvalidValue);
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    EXPECT_EQ(error.code(), cudaErrorInvalidValue);
    const std::string what = error.what();
    EXPECT_NE(what.find("test_inventory.cpp:"), std::string::npos) << what;
    EXPECT_NE(what.find("cudaErrorInvalidValue failed: cudaErrorInvalidValue: "), std::string::npos)
        << what;
  }
  // The no-throw variant only logs.
  FLOPBENCH_CUDA_CALL_NOEXCEPT(cudaErrorInvalidValue);
}

TEST(InventoryCudaCheck, CublasStatusThrowsWithItsName) {
  try {
    FLOPBENCH_CUDA_CALL(CUBLAS_STATUS_NOT_SUPPORTED);
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("test_inventory.cpp:"), std::string::npos) << what;
    EXPECT_NE(what.find("failed: CUBLAS_STATUS_NOT_SUPPORTED (15)"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(FLOPBENCH_CUDA_CALL(CUBLAS_STATUS_SUCCESS));
}

// A failed call inside with_error_context says what was being done before its own message and
// keeps its code; the context is made only for a failure, and a result passes through.
TEST(InventoryCudaCheck, ErrorContextGoesBeforeTheFailedCall) {
  int contexts = 0;
  const auto context = [&] {
    ++contexts;
    return std::string("cuBLASLt FP8 E4M3 matmul 16 x 16 x 16");
  };
  EXPECT_EQ(with_error_context([] { return 7; }, context), 7);
  EXPECT_EQ(contexts, 0);
  try {
    with_error_context([] { FLOPBENCH_CUDA_CALL(cudaErrorInvalidValue); }, context);
    FAIL() << "no exception";
  } catch (const CudaError& error) {
    EXPECT_EQ(error.code(), cudaErrorInvalidValue);
    const std::string what = error.what();
    EXPECT_TRUE(what.starts_with("cuBLASLt FP8 E4M3 matmul 16 x 16 x 16: ")) << what;
    EXPECT_NE(what.find("cudaErrorInvalidValue failed"), std::string::npos) << what;
  }
  EXPECT_EQ(contexts, 1);
}
#endif

}  // namespace
}  // namespace flopbench

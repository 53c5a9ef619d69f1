#include "reports/fleet.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <ranges>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "harness/core/input_file.hpp"
#include "harness/core/statistics.hpp"
#include "reports/burn_report.hpp"
#include "reports/format.hpp"
#include "reports/results_json.hpp"

namespace flopbench {
namespace fs = std::filesystem;
namespace {

// A missing rank that reruns stand in for is superseded by "<problem>; the rerun of node-1,
// node-2 stands in for it": written once, and read back (stand_in_hosts) from a record that
// check reads, so that which reruns stood in is known exactly.
constexpr std::string_view kStandInBefore = "; the rerun of ", kStandInBetween = ", ",
                           kStandInAfter = " stands in for it";

std::vector<std::string_view> stand_in_hosts(std::string_view superseded) {
  const std::size_t from = superseded.rfind(kStandInBefore);
  if (from == superseded.npos || !superseded.ends_with(kStandInAfter)) return {};
  std::string_view names = superseded.substr(from + kStandInBefore.size());
  names.remove_suffix(kStandInAfter.size());
  std::vector<std::string_view> hosts;
  for (std::size_t at = 0;;) {
    const std::size_t end = names.find(kStandInBetween, at);
    hosts.push_back(names.substr(at, end == names.npos ? names.npos : end - at));
    if (end == names.npos) return hosts;
    at = end + kStandInBetween.size();
  }
}

bool is_address(std::string_view name) {
  const std::string text(name);
  in6_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1 ||
         inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

bool same_name(std::string_view a, std::string_view b) { return host_key(a) == host_key(b); }

// Whether two names are one host: the same, or a short name and a fully qualified name that
// starts with it. Addresses (10.0.0.1) are only ever the same.
bool same_host(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  if (same_name(a, b)) return true;
  if (is_address(a) || is_address(b)) return false;
  if (a.find('.') != std::string_view::npos) std::swap(a, b);
  if (a.find('.') != std::string_view::npos) return false;  // both qualified, and different
  return same_name(b.substr(0, b.find('.')), a);
}

// The launcher's names for each machine (host_key), which `scontrol show hostnames` lists and
// need not be its host name, from any of its results: a rerun started outside Slurm records
// none, but is the node its replaced results' Slurm name is.
using LauncherNames = std::map<std::string, std::set<std::string>>;
LauncherNames launcher_names(const std::vector<FleetNode>& nodes) {
  LauncherNames out;
  for (const FleetNode& n : nodes) {
    if (n.results && !n.host.empty() && !n.results->run.launch.node_name.empty())
      out[host_key(n.host)].insert(n.results->run.launch.node_name);
  }
  return out;
}

// Whether a name of --expect-hosts is this node, a node with results: its host name or the
// launcher's name it recorded, or where `borrowed`, a launcher's name its machine's other
// results recorded; `exact`: the very name, case aside.
bool is_expected_host(const FleetNode& n, const LauncherNames& names, const std::string& expected,
                      bool exact, bool borrowed) {
  if (!n.results) return false;
  const auto is = [&](const std::string& name) {
    return !name.empty() && (exact ? same_name(name, expected) : same_host(name, expected));
  };
  // A result without a host name is no machine's: it shares no names, and its own launcher's
  // name stands for a listed host only after every named machine's very names.
  if (n.host.empty()) return !exact && !borrowed && is(n.results->run.launch.node_name);
  if (!borrowed) return is(n.host) || is(n.results->run.launch.node_name);
  const auto it = names.find(host_key(n.host));
  return it != names.end() && std::ranges::any_of(it->second, is);
}

// Which listed hosts a node of `usable` ones reported as (`found`, by listed host), and the
// machines (host_key) that stand for one: one machine (its host, case aside) stands for one
// listed host at most, its very name before a short or qualified form of it, so that node-a
// does not stand for both node-a.x and node-a.y, and a name a result recorded itself before one
// its machine's other results did (an old job's, under a Slurm name since given to another).
struct ListedHosts {
  std::vector<char> found;
  std::set<std::string> taken;
};
template <class Usable>
ListedHosts listed_hosts_found(const std::vector<FleetNode>& nodes,
                               const std::vector<std::string>& listed, Usable usable) {
  ListedHosts out{std::vector<char>(listed.size(), 0), {}};
  const LauncherNames names = launcher_names(nodes);
  for (const auto& [exact, borrowed] : {std::pair(true, false), std::pair(true, true),
                                        std::pair(false, false), std::pair(false, true)}) {
    for (std::size_t i = 0; i < listed.size(); ++i) {
      for (const FleetNode& n : nodes) {
        if (out.found[i]) break;
        if (!usable(n) || out.taken.contains(host_key(n.host))) continue;
        if (is_expected_host(n, names, listed[i], exact, borrowed)) {
          out.found[i] = 1;
          out.taken.insert(host_key(n.host));
        }
      }
    }
  }
  return out;
}

std::optional<int> rank_of(const FleetNode& n) {
  return n.results ? n.results->run.launch.rank : std::nullopt;
}

// Slurm's step of the task: the ranks of each srun of a batch script start again at 0. A result
// without one (another launcher's, a file from before steps were recorded) is of the first.
int step_of(const FleetNode& n) { return n.results ? n.results->run.launch.step.value_or(0) : 0; }

// What a result is of: a run of workloads, a burn-in or a memory test. A rerun replaces results
// of its own kind only.
std::string_view kind_of(const FleetNode& n) { return n.results ? n.results->run.kind() : ""; }

// A GPU of a result as a rerun must find it again: by its slot, the PCI bus id, where the
// inventory has it (a task confined to one GPU by CUDA_VISIBLE_DEVICES calls every GPU gpu0, and
// a GPU replaced in its slot is a new UUID at the same place), else its UUID; by its index where
// `by_index` (comparing hosts with each other) or the inventory does not say.
std::string gpu_name(const Environment& env, int index, bool by_index) {
  const GpuDevice* d = by_index ? nullptr : env.gpu.find(index);
  if (d && !d->pci_bus_id.empty()) return "the GPU at " + d->pci_bus_id;
  if (d && !d->uuid.empty()) return d->uuid;
  return fmt::format("gpu{}", index);
}

std::string device_name(const Environment& env, const DeviceRef& device, bool by_index) {
  // All GPUs at once: the same figure over however many GPUs the node has now (a reseated GPU
  // adds one), which the rerun must measure again.
  if (device.machine_aggregate()) return "its GPUs at once";
  if (device.on_gpu()) return gpu_name(env, device.gpus.front(), by_index);
  return device.label();
}

// One measurement as a rerun must make it again: `text` in words ("dgemm.cublas on the GPU at
// 0000:17:00.0 8192x8192x8192", "burn-in fp64 cublas 8192x8192x8192 on ...", "memory test on
// ..."), which compares; `what` it measured and on which device, and `setting`, its size and
// timing, which say what a rerun measured instead.
struct Measured {
  std::string text, what, setting;
  auto operator<=>(const Measured& other) const { return text <=> other.text; }
  bool operator==(const Measured& other) const { return text == other.text; }
};

// What a result measured, each on its device and as set: what a rerun must measure again to
// replace it.
std::set<Measured> measured_by(const FleetNode& n, bool by_index = false) {
  std::set<Measured> out;
  const ResultsDocument& d = *n.results;
  const Environment& env = d.environment;
  for (const MeasurementRecord& r : d.measurements) {
    if (r.device.no_gpu()) continue;
    const std::string what = fmt::format("{}.{} on {}", metric_name(r.workload, r.precision),
                                         r.implementation, device_name(env, r.device, by_index));
    const std::string setting =
        r.problem.label() +
        (end_to_end_text(r.timing).empty() ? "" : ", " + end_to_end_text(r.timing));
    out.insert({fmt::format("{} {}", what, setting), what, setting});
  }
  if (d.burn) {
    for (const BurnDevice& b : d.burn->devices) {
      const std::string precision(precision_label(b.precision)),
          device = device_name(env, b.device, by_index);
      out.insert({fmt::format("burn-in {} {} {} on {}", precision, b.implementation,
                              b.problem.label(), device),
                  fmt::format("burn-in {} {} on {}", precision, b.implementation, device),
                  b.problem.label()});
    }
  }
  if (d.memtest) {
    // Its size follows the free memory of the moment: rigour_of compares it, with a margin.
    for (const MemtestDevice& m : d.memtest->devices) {
      std::string name = m.device;
      try {
        name = device_name(env, DeviceRef::parse(m.device), by_index);
      } catch (const InputError&) {  // not a device label: named as written
      }
      out.insert({"memory test on " + name, "memory test on " + name, ""});
    }
  }
  return out;
}

// How a stress test was set, which a rerun must match or better: how long it ran (a burn-in's
// per precision, a memory test's per GPU), a burn-in's DEGRADED threshold (a smaller drop from
// the best sibling flags more) and the least memory a memory test tested on a GPU (0: unknown).
// Zeros for a run.
struct Rigour {
  double seconds = 0;
  double degraded_fraction = 0;
  std::int64_t bytes = 0;
};
// The looser and the stricter of two settings, field by field.
Rigour looser(const Rigour& a, const Rigour& b) {
  return {std::min(a.seconds, b.seconds), std::max(a.degraded_fraction, b.degraded_fraction),
          std::min(a.bytes, b.bytes)};
}
Rigour stricter(const Rigour& a, const Rigour& b) {
  return {std::max(a.seconds, b.seconds), std::min(a.degraded_fraction, b.degraded_fraction),
          std::max(a.bytes, b.bytes)};
}
Rigour rigour_of(const FleetNode& n) {
  const ResultsDocument& d = *n.results;
  if (d.burn) return {d.burn->duration_s, d.burn->degraded_fraction};
  if (d.memtest) {
    std::int64_t least = 0;
    for (const MemtestDevice& m : d.memtest->devices) {
      if (m.bytes_tested > 0 && (least == 0 || m.bytes_tested < least)) least = m.bytes_tested;
    }
    return {d.memtest->duration_s, 0, least};
  }
  return {};
}

// Why `rerun` (the loosest of the reruns) falls short of `replaced` (the strictest of what they
// would replace or stand in for); "" where it does not.
std::string short_of(const Rigour& rerun, const Rigour& replaced) {
  // Durations as written ("1.1h" is 3960.0000000000005 s, "66m" 3960 s) and memory sizes that
  // follow the free memory of the moment are compared with a margin.
  if (rerun.seconds < replaced.seconds * (1 - 1e-6)) {
    return fmt::format("ran {:g} s where the test it would replace ran {:g} s", rerun.seconds,
                       replaced.seconds);
  }
  if (replaced.bytes > 0 && rerun.bytes < 0.99 * static_cast<double>(replaced.bytes)) {
    return fmt::format("tested {} of memory on a GPU where the test it would replace tested {}",
                       bytes(rerun.bytes), bytes(replaced.bytes));
  }
  if (rerun.degraded_fraction > replaced.degraded_fraction) {
    return fmt::format(
        "judged DEGRADED past a drop of {:g} where the burn-in it would replace "
        "did past {:g}",
        rerun.degraded_fraction, replaced.degraded_fraction);
  }
  return "";
}

// What `have` lacks of `need`, each with what `have` measured of it at another size or timing
// instead ("stream.cuda on gpu0 1006632960: measured 943718400 instead"): the first three and
// how many more; empty when nothing.
std::vector<std::string> lacking(const std::set<Measured>& need, const std::set<Measured>& have) {
  std::vector<Measured> missing;
  std::ranges::set_difference(need, have, std::back_inserter(missing));
  std::vector<std::string> out;
  for (const Measured& m : missing | std::views::take(3)) {
    std::vector<std::string> instead;
    for (const Measured& h : have) {
      if (h.what == m.what && !need.contains(h)) instead.push_back(h.setting);
    }
    out.push_back(instead.empty() ? m.text
                                  : fmt::format("{}: measured {} instead", m.text,
                                                fmt::join(instead, " and ")));
  }
  if (missing.size() > 3) out.push_back(fmt::format("and {} more", missing.size() - 3));
  return out;
}

std::string started(const FleetNode& n) {
  return n.results ? n.results->run.started_utc : std::string();
}

// The reruns of one host (host_key) and kind that count: their nodes (indices into the record's
// nodes, valid until merge_results sorts them), what they measured, and whether the host has
// results of that kind among the other inputs, which they replace.
using RerunKey = std::pair<std::string, std::string_view>;
struct RerunHost {
  std::string host;
  std::vector<std::size_t> results;
  std::string earliest_start;
  std::set<Measured> measured, measured_by_index;
  Rigour loosest;  // the shortest test, the loosest threshold among them
  bool replaces = false;
};
using RerunHosts = std::map<RerunKey, RerunHost>;

// Marks superseded every result of a host that a rerun of its kind reported, whatever it said and
// whatever its rank or job (kept, to show what was replaced). A rerun is set aside, with the
// other reruns of its host and kind, and replaces nothing where one of them started before a
// result it would replace (an old directory given by mistake), where together they measured
// less than those results did or ran a stress test shorter or looser (short_of), or where its
// host name is another form of an input's. Returns the reruns that count.
RerunHosts apply_reruns(std::vector<FleetNode>& nodes) {
  RerunHosts reruns;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const FleetNode& n = nodes[i];
    if (!n.rerun || !n.results || n.host.empty()) continue;
    const auto [it, first] = reruns.try_emplace({host_key(n.host), kind_of(n)}, RerunHost{n.host});
    RerunHost& h = it->second;
    h.results.push_back(i);
    h.earliest_start = first ? started(n) : std::min(h.earliest_start, started(n));
    h.loosest = first ? rigour_of(n) : looser(h.loosest, rigour_of(n));
    h.measured.merge(measured_by(n));
    h.measured_by_index.merge(measured_by(n, true));
  }
  struct Replaced {
    const FleetNode* latest = nullptr;
    std::set<Measured> measured;
    Rigour strictest;  // the longest test, the strictest threshold among them
  };
  std::map<RerunKey, Replaced> replaced;
  // Another form of a rerun's host name among the inputs (node-03 and node-03.cluster) may be
  // that host or another; a rerun that replaces none of them exactly is set aside rather than
  // guessed at.
  std::map<RerunKey, std::string> other_form;
  for (const FleetNode& n : nodes) {
    if (n.rerun || !n.results) continue;
    const RerunKey key{host_key(n.host), kind_of(n)};
    if (!reruns.contains(key)) {
      for (const auto& [rerun_key, rerun] : reruns) {
        if (rerun_key.second == key.second && same_host(rerun.host, n.host))
          other_form.try_emplace(rerun_key, n.host);
      }
      continue;
    }
    Replaced& r = replaced[key];
    r.strictest = r.latest ? stricter(r.strictest, rigour_of(n)) : rigour_of(n);
    if (!r.latest || started(n) > started(*r.latest)) r.latest = &n;
    r.measured.merge(measured_by(n));
  }
  // Set aside with what to do about it.
  const auto set_aside = [&](const RerunKey& key, const std::string& why, std::string_view remedy) {
    for (const std::size_t i : reruns.at(key).results)
      nodes[i].problem = fmt::format("{}, {}: set aside; {}", nodes[i].source, why, remedy);
    reruns.erase(key);
  };
  for (const auto& [key, r] : replaced) {
    RerunHost& h = reruns.at(key);
    h.replaces = true;
    const std::vector<std::string> unmeasured = lacking(r.measured, h.measured);
    const std::string short_by = short_of(h.loosest, r.strictest);
    if (h.earliest_start < started(*r.latest)) {
      set_aside(key,
                fmt::format("a rerun of {} of which one started before the result it would "
                            "replace ({}, started {})",
                            h.host, r.latest->source, started(*r.latest)),
                "give only reruns made after it");
    } else if (!unmeasured.empty()) {
      set_aside(key,
                fmt::format("a rerun that measured less than the results it would replace "
                            "(not {})",
                            fmt::join(unmeasured, "; ")),
                "rerun it with the job's options (its profile, --workloads, --gpus, --sizes), with "
                "every GPU it measured in place, or the whole job where a default size moved");
    } else if (!short_by.empty()) {
      set_aside(key, fmt::format("a rerun that {}", short_by),
                "rerun it as long and as strictly as the job");
    }
  }
  for (const auto& [key, host] : other_form) {
    if (reruns.contains(key) && !reruns.at(key).replaces) {
      set_aside(key,
                fmt::format("a rerun of {}, whose name is another form of {}'s among the "
                            "inputs: not known to be that host, nor another",
                            reruns.at(key).host, host),
                "give it without --rerun if it is another host");
    }
  }
  for (FleetNode& n : nodes) {
    if (n.rerun || !n.results) continue;
    if (const auto it = reruns.find({host_key(n.host), kind_of(n)}); it != reruns.end()) {
      std::vector<std::string> sources;
      for (const std::size_t i : it->second.results) sources.push_back(nodes[i].source);
      n.superseded = fmt::format("replaced by the rerun {}", fmt::join(sources, ", "));
    }
  }
  return reruns;
}

// Each task of a launcher's job writes its own results: a rank with no readable result is a
// missing node, which counting hosts cannot show when its host's other ranks reported. (An input
// that could not be read may be that rank's: it is listed as failed as well.) Each step of a
// Slurm job (each srun) numbers its tasks afresh. A rerun's tasks are a job of their own, even
// where its launcher gives the earlier job's id (mpirun inside one allocation).
//
// Which host a rank that wrote nothing ran on is not recorded. Where every host the job has
// results of reported as many tasks, and the missing ranks are as many hosts' worth, they are
// those of hosts that reported nothing in it; a rerun of such a host (of the job's kind, of as
// many tasks at least, and of a host with no result of that kind among the inputs at all, whose
// rerun replaces nothing) stands in for one, for one job only (the steps of one Slurm job share
// it). The jobs with the least choice choose first. Where instead the hosts that reported fewer
// tasks than the others lack just the missing ranks (a GPU's task that never started), their own
// reruns, which replace their results, stand in for them.
void add_missing_ranks(std::vector<FleetNode>& nodes, const RerunHosts& reruns) {
  struct JobTasks {
    std::string job;  // "slurm job 42", its steps and kinds aside
    std::string_view kind;
    bool rerun = false;
    int tasks = 0;
    std::set<int> ranks;
    std::map<std::string, std::set<int>> host_ranks;  // its results' ranks, by host_key
    std::string latest_start;                         // of its results
    // What each of its hosts measured, by GPU index (hosts have GPUs of their own), and the
    // strictest test among them: what a rerun that stands in for a host must measure.
    std::map<std::string, std::set<Measured>> host_measured;
    std::optional<Rigour> strictest;
  };
  std::map<std::string, JobTasks> jobs;  // "slurm job 42 step 1", "rerun openmpi job 9"
  for (const auto& n : nodes) {
    // A rerun set aside fails as such: its job's other ranks are no missing nodes of the fleet.
    if (!n.results || (n.rerun && !n.problem.empty())) continue;
    const Launch& l = n.results->run.launch;
    if (l.job.empty() || !l.rank || !l.tasks) continue;
    const std::string job = fmt::format("{}{} job {}", n.rerun ? "rerun " : "", l.launcher, l.job);
    // Slurm's steps as step_of reads them: a result without one is of the first. A burn-in and a
    // run under one job id (mpirun inside one allocation has no step) number their tasks apart.
    const std::string_view kind = kind_of(n);
    JobTasks& tasks =
        jobs.try_emplace(
                fmt::format("{}{}{}", job,
                            l.launcher == "slurm" ? fmt::format(" step {}", step_of(n)) : "",
                            kind == kRunKind ? "" : fmt::format(" {}", kind)),
                JobTasks{job, kind, n.rerun})
            .first->second;
    tasks.tasks = std::max(tasks.tasks, *l.tasks);
    tasks.ranks.insert(*l.rank);
    tasks.host_ranks[host_key(n.host)].insert(*l.rank);
    tasks.latest_start = std::max(tasks.latest_start, started(n));
    tasks.host_measured[host_key(n.host)].merge(measured_by(n, true));
    tasks.strictest = tasks.strictest ? stricter(*tasks.strictest, rigour_of(n)) : rigour_of(n);
  }
  struct Missing {
    const JobTasks* job;
    std::vector<FleetNode> ranks;
    std::size_t hosts = 0;            // how many hosts' worth, where they can be stood in for
    std::vector<RerunKey> can_stand;  // the reruns that could stand in for one of those hosts
    // The hosts that reported fewer tasks than the others, where they lack just the missing
    // ranks and their own reruns replace them (a GPU's task that never started): those reruns.
    std::vector<std::string> own_reruns;
  };
  // The reruns' tasks that count: a rerun set aside (a second result of its task, a host not
  // listed) stands in for nothing.
  std::map<RerunKey, int> rerun_tasks;
  for (const FleetNode& n : nodes) {
    if (n.rerun && n.results && n.problem.empty()) ++rerun_tasks[{host_key(n.host), kind_of(n)}];
  }
  std::vector<Missing> missing;
  for (const auto& [name, job] : jobs) {
    Missing m{&job};
    for (int rank = 0; rank < job.tasks; ++rank) {
      if (job.ranks.contains(rank)) continue;
      m.ranks.push_back(
          {fmt::format("{} rank {}", name, rank), "", std::nullopt,
           fmt::format("rank {} of the {} tasks of {}: no readable result among the inputs", rank,
                       job.tasks, name)});
    }
    if (m.ranks.empty()) continue;
    std::set<std::size_t> per_host;
    for (const auto& [host, ranks] : job.host_ranks) per_host.insert(ranks.size());
    const int each = per_host.size() == 1 ? static_cast<int>(*per_host.begin()) : 0;
    if (!job.rerun && per_host.size() > 1) {
      const std::size_t most = *per_host.rbegin();
      std::size_t lacking_tasks = 0;
      bool all_rerun = true;
      for (const auto& [host, ranks] : job.host_ranks) {
        if (ranks.size() == most) continue;
        lacking_tasks += most - ranks.size();
        const auto it = reruns.find({host, job.kind});
        all_rerun = all_rerun && it != reruns.end() && it->second.replaces &&
                    rerun_tasks[it->first] >= static_cast<int>(most) &&
                    it->second.earliest_start >= job.latest_start;
        if (it != reruns.end()) m.own_reruns.push_back(it->second.host);
      }
      if (!all_rerun || lacking_tasks != m.ranks.size()) m.own_reruns.clear();
    }
    if (!job.rerun && each > 0 && std::ssize(m.ranks) % each == 0) {
      m.hosts = m.ranks.size() / static_cast<std::size_t>(each);
      // What every host of the job measured: a host that died would have too.
      std::set<Measured> common = job.host_measured.begin()->second;
      for (const auto& [host, measured] : job.host_measured) {
        std::set<Measured> both;
        std::ranges::set_intersection(common, measured, std::inserter(both, both.end()));
        common = std::move(both);
      }
      for (const auto& [key, rerun] : reruns) {
        // Started after the job: an old rerun left in the glob is no rerun of its dead node.
        if (key.second == job.kind && !rerun.replaces && rerun_tasks[key] >= each &&
            rerun.earliest_start >= job.latest_start &&
            lacking(common, rerun.measured_by_index).empty() &&
            short_of(rerun.loosest, job.strictest.value_or(Rigour{})).empty())
          m.can_stand.push_back(key);
      }
    }
    missing.push_back(std::move(m));
  }
  std::ranges::stable_sort(missing, {}, [](const Missing& m) {
    return m.hosts == 0 ? std::numeric_limits<std::ptrdiff_t>::max()
                        : std::ssize(m.can_stand) - static_cast<std::ptrdiff_t>(m.hosts);
  });
  std::map<RerunKey, std::string> used_by;  // a rerun that stood in, and for which job
  for (Missing& m : missing) {
    std::vector<RerunKey> standing;
    for (const RerunKey& key : m.can_stand) {
      if (standing.size() == m.hosts) break;
      const auto used = used_by.find(key);
      if (used == used_by.end() || used->second == m.job->job) standing.push_back(key);
    }
    std::vector<std::string> names = m.own_reruns;
    if (names.empty() && m.hosts > 0 && standing.size() == m.hosts) {
      for (const RerunKey& key : standing) {
        used_by[key] = m.job->job;
        names.push_back(reruns.at(key).host);
      }
    }
    for (FleetNode& rank : m.ranks) {
      if (!names.empty()) {
        rank.superseded = fmt::format("{}{}{}{}", rank.problem, kStandInBefore,
                                      fmt::join(names, kStandInBetween), kStandInAfter);
        rank.problem.clear();
      } else if (!reruns.empty() && !m.job->rerun) {
        rank.problem +=
            "; no rerun stands in for it (docs/fleet.md, \"Rerunning nodes\", says "
            "which can)";
      }
      nodes.push_back(std::move(rank));
    }
  }
}

// A results directory is read through its results.json. A node without a host is labelled by
// its source, so the problems found here before it is read do not repeat the path.
FleetNode read_node(const fs::path& input) {
  FleetNode node;
  node.source = input.string();
  std::error_code ec;
  if (!fs::exists(input, ec)) {
    node.problem = ec ? ec.message() : std::string("no such file or directory");
    return node;
  }
  const fs::path file = fs::is_directory(input, ec) ? input / "results.json" : input;
  // A fleet directory left among the nodes' (a job's `merge --out $out/fleet`, caught by a glob
  // such as $out/*/) is no node: say so rather than that its results.json is missing.
  if (file != input && !fs::exists(file, ec) && fs::exists(input / "fleet.json", ec)) {
    node.problem = "a fleet directory (fleet.json), not a node's results";
    return node;
  }
  try {
    node.results = read_results_file(file);
    node.host = node.results->environment.host;
    if (node.results->burn) {
      for (BurnDevice& device : node.results->burn->devices) {
        thin_series(device, kFleetBurnSeriesPoints);
      }
    }
  } catch (const InputError& e) {
    node.problem = e.what();
  } catch (const IoError& e) {  // there and unreadable (permissions, NFS): that node's problem
    node.problem = e.what();
  }
  return node;
}

}  // namespace

double spread_z_limit(std::size_t values) {
  // erfc(z / sqrt 2) is the chance that a normal value lies beyond z either way; it falls with z,
  // so the z where it meets the target is found by halving.
  const double target =
      kSpreadFalseOutlierChance / static_cast<double>(std::max<std::size_t>(values, 1));
  double low = 0, high = 40;
  for (int i = 0; i < 100; ++i) {
    const double z = (low + high) / 2;
    (std::erfc(z / std::sqrt(2.0)) > target ? low : high) = z;
  }
  return std::max(kRobustZLimit, high);
}

namespace {

// The model a measurement ran on: the CPU's, or its GPUs' names ("A + B" for an aggregate of
// two models); "" where the inventory does not say.
std::string device_model(const MeasurementRecord& r, const Environment& env) {
  if (!r.device.on_gpu()) return env.cpu.model;
  std::vector<std::string> names;
  for (const int index : r.device.gpus) {
    const auto it = std::find_if(env.gpu.devices.begin(), env.gpu.devices.end(),
                                 [&](const GpuDevice& g) { return g.index == index; });
    const std::string name = it == env.gpu.devices.end() ? "" : it->name;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return fmt::format("{}", fmt::join(names, " + "));
}

// Which models a fleet mixes: its GPUs' or its CPUs' models differ between measurements; and
// whether its CPU measurements ran on different thread counts.
struct MixedModels {
  bool gpu = false, cpu = false, cpu_threads = false;
};

std::string metric_key(const MeasurementRecord& r, const Environment& env, MixedModels mixed) {
  // One GPU of any index compares with every other; several at once with as many, of any
  // indices and in any order (gpu2+gpu3 with gpu1+gpu0).
  const std::string device = r.device.machine_aggregate()
                                 ? fmt::format("{} gpus", r.device.gpus.size())
                             : r.device.on_gpu() ? "gpu"
                                                 : "cpu";
  // A sweep's end-to-end timings of a measurement compare only with their own kind, and in a
  // fleet of several models, each model's with its own; CPU work run on other thread counts,
  // each count's with its own (a node given fewer threads is slower for it, not faulty).
  const bool by_model = r.device.on_gpu() ? mixed.gpu : mixed.cpu;
  const bool by_threads = !r.device.on_gpu() && mixed.cpu_threads;
  return fmt::format("{}.{}.{} {}{}{}{}", device, metric_name(r.workload, r.precision),
                     r.implementation, r.problem.label(),
                     end_to_end_text(r.timing).empty() ? "" : ", " + end_to_end_text(r.timing),
                     by_model ? fmt::format(" on {}", or_unknown(device_model(r, env))) : "",
                     by_threads ? fmt::format(" ({})", counted(r.threads, "thread")) : "");
}

// "a: 3 nodes; b: node-4" for each distinct value of `key` among the reporting nodes (not the
// reruns where `with_reruns` is false; only the runs, not burn-ins or memory tests, where
// `runs_only`).
template <class Key>
std::vector<std::string> distinct(const FleetRecord& fleet, Key key, bool with_reruns = true,
                                  bool runs_only = false) {
  std::map<std::string, std::vector<std::string>> by_value;
  for (const auto& n : fleet.nodes) {
    if (n.reporting() && (with_reruns || !n.rerun) && (!runs_only || kind_of(n) == kRunKind))
      by_value[key(*n.results)].push_back(node_label(n));
  }
  std::vector<std::string> out;
  for (const auto& [value, nodes] : by_value) {
    out.push_back(nodes.size() > 3 || by_value.size() == 1
                      ? fmt::format("{}: {}", value, counted(nodes.size(), "result"))
                      : fmt::format("{}: {}", value, fmt::join(nodes, ", ")));
  }
  return out;
}

}  // namespace

void check_superseded(const FleetRecord& fleet) {
  const auto is_rerun_of = [&](const FleetNode& n) {
    return std::ranges::any_of(fleet.nodes, [&](const FleetNode& r) {
      return r.rerun && r.results && r.superseded.empty() &&
             (n.results ? host_key(r.host) == host_key(n.host) && kind_of(r) == kind_of(n)
                        : r.problem.empty());
    });
  };
  for (std::size_t i = 0; i < fleet.nodes.size(); ++i) {
    const FleetNode& n = fleet.nodes[i];
    if (n.superseded.empty()) continue;
    if (n.rerun)
      throw InputError(fmt::format("nodes[{}].superseded: a rerun is replaced by none", i));
    if (!is_rerun_of(n)) {
      throw InputError(fmt::format(
          "nodes[{}].superseded: replaced by a rerun that the record does not hold ({})", i,
          n.results ? "none of its host and kind" : "none that counts"));
    }
  }
}

std::string host_key(std::string_view host) {
  std::string key(host);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

std::string node_label(const FleetNode& node) {
  if (node.host.empty()) return node.source;
  const auto rank = rank_of(node);
  // A later step's (a second srun of the job) is told from the first's by its step.
  const int step = step_of(node);
  // A host's burn-in or memory test, merged beside its run, is told from it by its kind.
  const std::string_view kind = kind_of(node);
  return fmt::format(
      "{}{}{}{}", node.host, kind.empty() || kind == kRunKind ? "" : fmt::format(" {}", kind),
      rank ? fmt::format(" rank {}", *rank) : "", step > 0 ? fmt::format(" step {}", step) : "");
}

std::vector<std::string> read_host_list(const fs::path& path) {
  std::istringstream in(read_input_file(path, "give a file of host names, one a line"));
  std::vector<std::string> hosts;
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    std::string host = line.substr(first, last - first + 1);
    // One name given twice (node-a, NODE-A) is one host expected.
    if (std::none_of(hosts.begin(), hosts.end(),
                     [&](const std::string& h) { return same_name(h, host); })) {
      hosts.push_back(host);
    }
  }
  if (hosts.empty()) {
    throw InputError(
        fmt::format("{}: names no host (expected one host name a line)", path.string()));
  }
  return hosts;
}

namespace {

using FileIdentity = std::pair<dev_t, ino_t>;

// The file at `path` as the system knows it, whatever name it was given by; none where it cannot
// be read.
std::optional<FileIdentity> file_identity(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino};
}

}  // namespace

FleetRecord merge_results(const std::vector<fs::path>& inputs, std::optional<int> expected_nodes,
                          const std::vector<std::string>& expected_hosts, double threshold_percent,
                          const std::string& merged_utc, const std::vector<fs::path>& reruns) {
  FleetRecord fleet;
  fleet.merged_utc = merged_utc;
  fleet.threshold_percent = threshold_percent;
  fleet.expected_hosts = expected_hosts;
  fleet.expected_nodes =
      expected_hosts.empty() ? expected_nodes : std::optional(int(expected_hosts.size()));
  // A result given twice (by one path or two) would be set aside as a second result of its own
  // task, failing the merge; one given as a rerun of itself would replace itself, started no
  // earlier than itself. Both are mistakes of the command line.
  struct Given {
    const fs::path* path;
    bool rerun;
  };
  std::map<FileIdentity, Given> given;  // the inputs, then the reruns
  // How the same file was given before, or nothing.
  const auto given_before = [&](const fs::path& path, bool rerun) -> std::optional<Given> {
    const auto id = file_identity(results_file_in(path));
    if (!id) return std::nullopt;  // read_node says why
    const auto [at, fresh] = given.emplace(*id, Given{&path, rerun});
    return fresh ? std::nullopt : std::optional(at->second);
  };
  for (const auto& input : inputs) {
    if (const auto first = given_before(input, false)) {
      throw InputError(fmt::format("{}: is the result {} again; give each result once",
                                   input.string(), first->path->string()));
    }
  }
  for (const auto& rerun : reruns) {
    const auto first = given_before(rerun, true);
    if (!first) continue;
    throw InputError(
        first->rerun
            ? fmt::format("--rerun {}: is the rerun {} again; give each result once",
                          rerun.string(), first->path->string())
            : fmt::format("--rerun {}: is the result {} among those merged; a rerun is a later "
                          "run's result",
                          rerun.string(), first->path->string()));
  }
  for (const auto& input : inputs) fleet.nodes.push_back(read_node(input));
  for (const auto& input : reruns) {
    fleet.nodes.push_back(read_node(input));
    fleet.nodes.back().rerun = true;
  }
  const RerunHosts valid_reruns = apply_reruns(fleet.nodes);

  // Readable results first, by host, rank, step and kind; of two results of one task, the later run
  // counts (a rerun merged beside the run it replaces), of two started alike the first given.
  std::stable_sort(fleet.nodes.begin(), fleet.nodes.end(), [&](const auto& a, const auto& b) {
    return std::tuple(a.host.empty(), host_key(a.host), rank_of(a), step_of(a), kind_of(a),
                      started(b)) < std::tuple(b.host.empty(), host_key(b.host), rank_of(b),
                                               step_of(b), kind_of(b), started(a));
  });
  // A burn-in and a run of one task are no second result of each other.
  std::map<std::tuple<std::string, std::optional<int>, int, std::string_view>, const FleetNode*>
      seen;
  for (auto& n : fleet.nodes) {
    if (!n.results || !n.superseded.empty() || !n.problem.empty()) continue;
    // Results without a host name (edited, or a machine whose name could not be read) are no
    // machine's: two of them would read as one host's two results, and count as one node.
    if (n.host.empty()) {
      n.problem = fmt::format(
          "{}: the results name no host (environment.host), so no node of the fleet: set aside",
          n.source);
      continue;
    }
    const auto [it, first] =
        seen.emplace(std::tuple(host_key(n.host), rank_of(n), step_of(n), kind_of(n)), &n);
    if (!first) {
      n.problem =
          started(n) == started(*it->second)
              ? fmt::format("{}, a second result of {} (the first, {}, counts): set aside",
                            n.source, node_label(n), it->second->source)
              : fmt::format("{}, an earlier result of {} (the later, {}, counts): set aside",
                            n.source, node_label(n), it->second->source);
    }
  }
  // A rank of a Slurm job step is one task, on one host: results of several hosts that claim
  // one are of several jobs (a stale directory caught by a glob, a job id reused), and which
  // belongs to this one is unknown: all are set aside. (Not so for other launchers: two mpiruns
  // in one allocation both number their tasks from 0 under the allocation's job id. Nor for
  // reruns, which have replaced their hosts' results by now: each is its host's.)
  std::map<std::tuple<std::string, int, std::string_view, int>, std::vector<FleetNode*>> by_rank;
  for (auto& n : fleet.nodes) {
    if (n.rerun || !n.results || !n.superseded.empty() || !n.problem.empty()) continue;
    const Launch& l = n.results->run.launch;
    if (l.launcher != "slurm" || l.job.empty() || !l.rank) continue;
    by_rank[{l.job, step_of(n), kind_of(n), *l.rank}].push_back(&n);
  }
  for (const auto& [key, claimants] : by_rank) {
    if (claimants.size() < 2) continue;
    std::vector<std::string> all;
    for (const FleetNode* n : claimants) all.push_back(fmt::format("{} ({})", n->host, n->source));
    for (FleetNode* n : claimants) {
      const Launch& l = n->results->run.launch;
      n->problem = fmt::format(
          "{}: rank {} of slurm job {}{} is reported by {} hosts ({}): a rank is one task, so "
          "all but one are of another job (a stale directory, a reused job id): set aside; give "
          "one job's results",
          n->source, *l.rank, l.job, step_of(*n) > 0 ? fmt::format(" step {}", step_of(*n)) : "",
          claimants.size(), fmt::join(all, ", "));
    }
  }
  // A replaced result stands for no listed host, nor one set aside: as analyse_fleet counts.
  const ListedHosts reported = listed_hosts_found(fleet.nodes, expected_hosts,
                                                  [](const FleetNode& n) { return n.reporting(); });
  // Against a list of hosts, a result of a machine that stands for none of them (an old job's
  // left in the glob, a host not meant to be in this fleet) is set aside: in the medians it would
  // judge the listed ones, and no count would show it.
  if (!expected_hosts.empty()) {
    for (auto& n : fleet.nodes) {
      if (n.results && n.problem.empty() && n.superseded.empty() &&
          !reported.taken.contains(host_key(n.host))) {
        n.problem =
            fmt::format("{}: {} is not among the listed hosts: set aside", n.source, n.host);
      }
    }
  }
  // After the rules that set results aside: a rerun set aside stands in for no missing rank.
  add_missing_ranks(fleet.nodes, valid_reruns);
  for (std::size_t i = 0; i < expected_hosts.size(); ++i) {
    if (!reported.found[i]) {
      fleet.nodes.push_back(
          {"", expected_hosts[i], std::nullopt, "expected, but reported nothing"});
    }
  }
  std::stable_sort(fleet.nodes.begin(), fleet.nodes.end(), [](const auto& a, const auto& b) {
    return std::pair(a.host.empty(), a.host) < std::pair(b.host.empty(), b.host);
  });
  return fleet;
}

std::vector<std::string> FleetAnalysis::stress_problem_counts() const {
  std::vector<std::string> out;
  for (const std::string_view test : {kBurnIn, kMemoryTest}) {
    std::set<const FleetNode*> nodes;
    for (const StressProblem& p : stress_problems) {
      if (p.test == test) nodes.insert(p.node);
    }
    if (!nodes.empty())
      out.push_back(fmt::format("{}s not passed on {}", test, counted(nodes.size(), "node")));
  }
  return out;
}

std::vector<std::string> FleetAnalysis::stress_problems_of(const FleetNode& node,
                                                           std::string_view test) const {
  std::vector<std::string> out;
  for (const StressProblem& p : stress_problems) {
    if (p.node == &node && p.test == test) out.push_back(p.problem);
  }
  return out;
}

FleetAnalysis analyse_fleet(const FleetRecord& fleet) {
  FleetAnalysis a;
  a.nodes_expected = fleet.expected_nodes;
  std::set<std::string> hosts;
  for (const auto& n : fleet.nodes) {
    if (!n.problem.empty()) a.failed.push_back(&n);
    if (!n.superseded.empty()) a.superseded.push_back(&n);
    if (!n.results && n.source.empty()) a.missing_hosts.push_back(n.host);
    if (n.reporting()) hosts.insert(host_key(n.host));
  }
  a.nodes_reporting = int(hosts.size());
  // Against a list of hosts, the listed hosts that reported, each by one machine.
  if (!fleet.expected_hosts.empty()) {
    const auto found =
        listed_hosts_found(fleet.nodes, fleet.expected_hosts, [](const FleetNode& n) {
          return n.reporting();
        }).found;
    a.nodes_reporting = static_cast<int>(std::count(found.begin(), found.end(), 1));
  }

  // A contended figure is partly a co-tenant's: it is not judged against the fleet (nor is its
  // re-measurement, where check made one, counted twice: the contended one is left out).
  const auto judged = [](const MeasurementRecord& r) {
    return passed(r) && headline(r) && !r.device.no_gpu() && !r.contended();
  };
  std::set<std::string> gpu_models, cpu_models;
  std::set<int> cpu_threads;
  std::map<std::string, int> contended;  // node -> its contended measurements, left out
  for (const auto& n : fleet.nodes) {
    if (!n.reporting()) continue;
    if (n.results->burn) {
      for (std::string& p : burn_problems(*n.results->burn, n.results->run))
        a.stress_problems.push_back({&n, kBurnIn, std::move(p)});
    } else if (n.results->memtest) {
      for (std::string& p : memtest_problems(*n.results->memtest, n.results->run))
        a.stress_problems.push_back({&n, kMemoryTest, std::move(p)});
    } else if (!n.results->run.complete()) {
      a.unfinished.push_back(&n);
    }
    for (const auto& r : n.results->measurements) {
      if (unverified(r)) a.unverified.push_back({&n, &r});
      if (passed(r) && r.contended()) ++contended[node_label(n)];
      // A model the inventory does not name is no evidence of a mixed fleet.
      if (const std::string model = device_model(r, n.results->environment);
          judged(r) && !model.empty()) {
        (r.device.on_gpu() ? gpu_models : cpu_models).insert(model);
      }
      if (judged(r) && !r.device.on_gpu()) cpu_threads.insert(r.threads);
    }
  }
  const MixedModels mixed{gpu_models.size() > 1, cpu_models.size() > 1, cpu_threads.size() > 1};
  if (!contended.empty()) {
    std::vector<std::string> which;
    for (const auto& [node, count] : contended) {
      if (which.size() == 10) {
        which.push_back(fmt::format("and {} more nodes", contended.size() - 10));
        break;
      }
      which.push_back(fmt::format("{} {}", node, count));
    }
    a.notes.push_back(fmt::format(
        "measurements taken while contended are not compared (partly a co-tenant's figures): {}",
        fmt::join(which, ", ")));
  }
  std::map<std::string, std::size_t> index;  // metric name -> its place in a.metrics
  for (const auto& n : fleet.nodes) {
    if (!n.reporting()) continue;
    for (const auto& r : n.results->measurements) {
      if (!judged(r)) continue;
      const auto h = headline(r);
      const std::string key = metric_key(r, n.results->environment, mixed);
      const auto [it, added] = index.emplace(key, a.metrics.size());
      if (added) a.metrics.push_back({key, std::string(h->unit), {}, 0, 0});
      a.metrics[it->second].values.push_back({&n, r.device, h->value});
    }
  }
  for (auto& m : a.metrics) {
    std::vector<double> values, deviations;
    for (const auto& v : m.values) values.push_back(v.value);
    m.median = median_of(values);
    for (const double v : values) deviations.push_back(std::fabs(v - m.median));
    m.mad = median_of(deviations);
    if (values.size() < 2) continue;
    sort_numbers(values);
    for (auto& v : m.values) {
      v.others_median = lower_median_without(
          values, static_cast<std::size_t>(
                      std::lower_bound(values.begin(), values.end(), v.value, less_nan_last) -
                      values.begin()));
      if (v.others_median > 0) {
        v.vs_others_percent = (v.value - v.others_median) / v.others_median * 100;
      }
    }
  }

  // A model (or a problem) only one device measured has no fleet to be judged against.
  std::vector<std::string> alone;
  for (const auto& m : a.metrics) {
    if (m.values.size() == 1) alone.push_back(m.name);
  }
  if (!alone.empty()) {
    const std::size_t shown = std::min<std::size_t>(alone.size(), 10);
    a.notes.push_back(fmt::format(
        "{} measured by one device only, so judged against no other: {}{}",
        counted(alone.size(), "metric"),
        fmt::join(alone.begin(), alone.begin() + static_cast<std::ptrdiff_t>(shown), "; "),
        alone.size() > shown ? fmt::format("; and {} more", alone.size() - shown) : ""));
  }

  // The threshold rule judges each value against the median of the others (lower_median_without):
  // a slow value would pull down a median it is part of (of two values, their mean: 18 % behind
  // its sibling, a GPU would be 9.9 % below it and pass a 10 % threshold).
  const double limit = fleet.threshold_percent;
  std::size_t spread_judged = 0;
  for (const auto& m : a.metrics) {
    if (m.values.size() >= kMinValuesForSpread) spread_judged += m.values.size();
  }
  a.spread_z_limit = spread_z_limit(spread_judged);
  for (const auto& m : a.metrics) {
    if (m.values.size() < 2 || m.median <= 0) continue;
    for (const auto& v : m.values) {
      const double deviation = (v.value - m.median) / m.median * 100;
      // "More than" the threshold: a value exactly at it (10% below 41.7 reads -10.000000000000004%
      // in floating point) is not an outlier.
      if (v.vs_others_percent < -limit - 1e-9) {
        a.outliers.push_back(
            {v.node, v.device, &m, v.value, v.others_median, v.vs_others_percent,
             fmt::format("more than {:g}% below the median of the others", limit)});
      } else if (m.values.size() >= kMinValuesForSpread &&
                 std::fabs(deviation) > kMinOutlierDeviationPercent &&
                 (m.mad == 0 ||
                  0.6745 * std::fabs(v.value - m.median) / m.mad > a.spread_z_limit)) {
        a.outliers.push_back(
            {v.node, v.device, &m, v.value, m.median, deviation,
             fmt::format("outside the fleet's spread (robust z beyond {:.2f})", a.spread_z_limit)});
      }
    }
  }
  // In node order (the nodes are one vector), each node's in metric order.
  std::stable_sort(a.outliers.begin(), a.outliers.end(),
                   [](const Outlier& x, const Outlier& y) { return x.node < y.node; });

  a.versions = distinct(fleet, [](const ResultsDocument& d) {
    return fmt::format("flopbench {} (commit {})", or_unknown(d.environment.flopbench_version),
                       or_unknown(d.environment.git_commit));
  });
  if (a.versions.size() > 1) {
    a.notes.push_back(fmt::format("mixed flopbench versions: {}", fmt::join(a.versions, "; ")));
  }
  const auto schemas = distinct(fleet, [](const ResultsDocument& d) {
    return fmt::format("schema_version {}", d.schema_version);
  });
  if (schemas.size() > 1) {
    a.notes.push_back(fmt::format("mixed results schemas: {}", fmt::join(schemas, "; ")));
  }
  // A burn-in's or memory test's profile is its kind, which node_label gives.
  const auto profiles = distinct(
      fleet, [](const ResultsDocument& d) { return "profile " + d.run.profile; }, true, true);
  if (profiles.size() > 1) {
    a.notes.push_back(fmt::format("mixed profiles (only equal problems are compared): {}",
                                  fmt::join(profiles, "; ")));
  }
  // A node that ran its CPU work with fewer threads is slower for it, not faulty.
  // A burn-in's or memory test's CPU threads split no metric.
  const auto threads = distinct(
      fleet, [](const ResultsDocument& d) { return counted(d.run.threads, "CPU thread"); }, true,
      true);
  if (threads.size() > 1) {
    a.notes.push_back(
        fmt::format("mixed CPU threads (each CPU metric compares the nodes that ran it on as many "
                    "threads): {}",
                    fmt::join(threads, "; ")));
  }
  // A result left from another job (caught by a glob) stands in for a node that reported nothing
  // in this one, where only a count of hosts is expected. Reruns are of jobs of their own.
  const auto jobs = distinct(
      fleet,
      [](const ResultsDocument& d) {
        const Launch& l = d.run.launch;
        return l.launcher.empty() ? std::string("no launcher")
                                  : fmt::format("{} job {}", l.launcher, or_unknown(l.job));
      },
      false);
  if (jobs.size() > 1) {
    a.notes.push_back(
        fmt::format("results of several jobs (a result left from another may stand in for a node "
                    "that reported nothing): {}",
                    fmt::join(jobs, "; ")));
  }
  // A rerun that replaced no result and stood in for no missing rank is merged as a node of its
  // own: right for a host that reported nothing and that no launcher numbered, and what a rerun
  // of the wrong host, or of one under another name, would also do.
  std::vector<std::string> added;
  for (const auto& r : fleet.nodes) {
    if (!r.rerun || !r.reporting()) continue;
    const bool replaced = std::ranges::any_of(fleet.nodes, [&](const FleetNode& m) {
      if (m.rerun || m.superseded.empty()) return false;
      if (m.results) return host_key(m.host) == host_key(r.host) && kind_of(m) == kind_of(r);
      return std::ranges::any_of(stand_in_hosts(m.superseded),
                                 [&](std::string_view host) { return same_name(host, r.host); });
    });
    if (!replaced) added.push_back(node_label(r));
  }
  if (!added.empty()) {
    a.notes.push_back(fmt::format(
        "{} replaced no result and stood in for no missing rank, so each is a node of its own: {}",
        added.size() == 1 ? "a rerun" : fmt::format("{} reruns", added.size()),
        fmt::join(added, ", ")));
  }
  return a;
}

}  // namespace flopbench

// The performance sheet. Over 400 lines because most of it is its two languages' label tables
// (English and Chinese), which read best side by side in one file.

#include "reports/sheet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <set>

#include "reports/crossover.hpp"
#include "reports/html_report.hpp"

namespace flopbench {
namespace {

// Every word the sheet prints, in each language. Sentences with {} take arguments in order.
struct Labels {
  std::string_view lang, title, subtitle, machine, date, version, host;
  // A remark after a name, in the language's parentheses: " ({})" or "（{}）".
  std::string_view aside;
  std::string_view list_separator;    // between the items of a list in a sentence: ", " or "、"
  std::string_view clause_separator;  // between clauses, or items that have commas: "; " or "；"
  std::string_view machine_peak, peak_note, precision, fp32, fp64, device, measured, theoretical,
      of_theoretical, tflops;
  std::string_view speedups, workload, problem, best_gpu, best_cpu, speedup, no_gpu;
  // A run with no problem that passed on both sides (a GPU-only run): why there is no table.
  std::string_view no_common_problem;
  // A speedup of two problems, each side's own: {0} the GPU's, {1} the CPU's.
  std::string_view own_sizes;
  std::string_view bandwidth, memory_kind_cpu, memory_kind_gpu;
  // A vector measurement within its device's cache (within_cache_note): the mark of its figure;
  // and why a triad is no memory figure, where {0} is the MiB per vector, {1} the multiple, {2}
  // the cache's MiB, {3} the measurement.
  std::string_view partly_cache, partly_cache_note;
  // The same on a CPU that reports no L3 (perhaps_within_hidden_cache): {0} the MiB per vector,
  // {1} the measurement.
  std::string_view hidden_cache_note;
  std::string_view not_measured, unknown, gpus_measured;
  // A figure whose measurements were all left out (contended, interrupted, still drifting, run
  // on fewer threads).
  std::string_view left_out_figure;
  // The theoretical peak of the path measured, where it is below the hardware's: {} TFLOPS.
  std::string_view path_peak;
  // A CPU matrix format's theoretical, the peak of {0} threads where the machine has {1} cores
  // ({2}: the English plural of {0}).
  std::string_view threads_peak;
  // A measured figure above the theoretical peak: what that says of the peak model.
  std::string_view above_theoretical;
  // The CPU; a cgroup quota below its CPUs; {0} the CPUs the process could use of {1} online.
  std::string_view cpu_description, cpu_quota, cpu_affinity, gpu_memory;
  // The machine's GPUs that the run was given, where fewer than all (--gpus): {} their names.
  std::string_view gpus_given;
  std::string_view conditions, command, run, build, sizes, precision_modes, precision_text,
      notes_none, definitions, peak_bases, reproduce, run_text;
  std::string_view crossover, crossover_from, crossover_not_reached;
  // A crossover size interpolated between two measured sizes, {0} and {1}: an estimate, which
  // the sheet rounds up (the GPU is not claimed faster below what was estimated).
  std::string_view crossover_between;
  // A crossover left out: {0} the workload, {1} the GPU timing, {2} of its {3} sizes disturbed.
  std::string_view crossover_disturbed;
  // How the GPU side of a crossover was timed (Crossover::gpu_timing), and a vector size.
  std::string_view timing_device, timing_pinned, timing_pageable, timing_no_gpu, elements;
  std::string_view matrix_precision;  // "{} matrix, dense": a matrix format's row in the peaks
  // How the GPUs' measured peak was made, in the definitions: one at a time or all at once.
  std::string_view gpus_alone, gpus_at_once;
  // How many measurements the figures would have come from were left out ({}): said at the top.
  std::string_view figures_disturbed;
  // A run that was interrupted, or has no end; measurements that gave a wrong answer or failed
  // ({0} how many, {1} the first few), each with what became of it, and how many more there were;
  // the measurements a figure would have come from but does not, and why; how many others were
  // left out likewise (left_out_only: where no figure would have come from any).
  std::string_view run_interrupted, run_unfinished, run_unverified, was_incorrect, was_failed,
      and_more, left_out, reason_contended, reason_interrupted, reason_drifting,
      reason_fewer_threads, left_out_more, left_out_only;
  // A speedup's CPU side measured on fewer threads than the machine has cores: {0} threads ({1}:
  // the English plural of {0}).
  std::string_view cpu_threads;
  // The system the figures ran on: {0} the OS, {1} the kernel release; the GPUs' settings that
  // move their figures: {0} the GPUs, {1} ECC on or off, {2} the power limit ({0} watts, {1} its
  // percentage of the default where that is not 100).
  std::string_view system, system_text, gpu_settings, ecc_on, ecc_off, power_limit,
      power_limit_of_default;
  // Which run of a `run --repeat` the sheet's is: {0} its number, {1} how many.
  std::string_view replicate;
  // A CPU figure above a theoretical peak that is the cgroup quota's (above_theoretical's case).
  std::string_view above_quota;
};

constexpr Labels kEnglish{
    "en",
    "flopbench performance sheet",
    "GPU and CPU throughput, measured and verified",
    "Machine",
    "Date",
    "flopbench version",
    "Host",
    " ({})",
    ", ",
    "; ",
    "Machine peak",
    "Measured: best passed peak or GEMM measurement per device, summed over the devices. "
    "Theoretical: the hardware's peak, summed likewise.",
    "Precision",
    "Single precision (FP32)",
    "Double precision (FP64)",
    "Device",
    "Measured",
    "Theoretical",
    "% of theoretical",
    "TFLOPS",
    "GPU vs CPU speedup per workload",
    "Workload",
    "Problem",
    "Best GPU",
    "Best CPU",
    "Speedup",
    "No GPU measured: {}. CPU figures only.",
    "No workload passed on both a GPU and the CPU, so there is no speedup to show.",
    "each its own: GPU {0}, CPU {1}",
    "Memory bandwidth (STREAM triad)",
    "system memory",
    "device memory",
    "partly cache",
    "No memory figure: the largest triad measured has {0} MiB per vector, within {1} × the "
    "device's {2} MiB of cache, so its bandwidth is partly the cache's ({3}).",
    "No memory figure: the largest triad measured has {0} MiB per vector, and the CPU reports no "
    "L3 cache (a hypervisor may hide one), so its bandwidth may be partly the cache's ({1}); the "
    "standard profile measures memory.",
    "not measured",
    "unknown",
    "{} of {} GPUs in this figure",
    "left out (see Conditions)",
    "measured against its own peak of {} TFLOPS (fewer CPU threads, or no tensor cores, than the "
    "hardware's peak counts); the % is of the hardware's peak",
    "theoretical: the peak of the {0} CPU thread{2} measured, not of all {1} cores",
    "measured above the theoretical peak: the peak model's clock or units are below what ran "
    "(report.md says why)",
    "{0} ({1} core{5}, {2} thread{6}, {3} socket{7}), {4} memory",
    "a cgroup CPU quota of {1} bounds the CPU figures",
    "this process could use {0} of the {1} CPUs online: the CPU figures are of those",
    "{} memory",
    "this run was given {} only: the figures are of those",
    "Conditions",
    "Command",
    "Run",
    "Build",
    "Sizes",
    "Precision and math modes",
    "FP32 is IEEE 754 single precision, FP64 double; every figure on this sheet is of a result "
    "verified against a double-precision reference.",
    "no special math mode recorded",
    "Measured peak = max GFLOP/s (FLOPs per run / median time) over the passed peak and gemm "
    "measurements of each device, summed over the devices of a kind; {}. Theoretical peak = the "
    "inventory's peak per device (see Peak bases), summed likewise. "
    "Speedup = CPU median time / GPU median time (the GPU's device time: transfers to and from "
    "the host are not in it), fastest passed implementation on each side, on "
    "the largest problem that passed on both; where the two ran no problem in common (each "
    "profile sizes a problem to fill its device), GPU throughput / CPU throughput, each side's "
    "best passed measurement at the sizes its device ran. Bandwidth = bytes per run / median time "
    "of the STREAM triad a = x + s·y (3 arrays), largest passed size, each array at least 4 × the "
    "device's cache (STREAM's rule). Medians of all samples; "
    "results.json holds every sample.",
    "Peak bases",
    "Reproduce: run the command above with flopbench {}; this sheet is regenerated from its "
    "results.json by flopbench sheet.",
    "profile {0}, seed {1}, {2} CPU thread{5}, {3} to {4} UTC",
    "Where the GPU wins (size sweep)",
    "GPU faster than this machine's CPU for {} from {} ({}).",
    "{} — {}: {}.",
    "estimated between the sizes measured, {:.0f} and {:.0f}",
    "{0} — {1}: left out: at {2} of its {3} sizes a time was measured while disturbed "
    "(contended, cut short, still drifting or on fewer threads); report.md and report.html give "
    "it.",
    "GPU device time, transfers excluded",
    "GPU end to end from pinned host memory, transfers included",
    "GPU end to end from pageable host memory, transfers included",
    "no GPU measurement to compare",
    "{:.0f} elements",
    "{} matrix, dense (no sparsity)",
    "the GPUs were each measured alone",
    "where every GPU was measured at once, that measurement is the figure of the GPUs",
    "{} of the measurements the figures below would have come from were disturbed while they "
    "ran (contended, cut short, still drifting or on fewer threads): those figures come from the "
    "other measurements, or are left out (see Conditions).",
    "This run was interrupted: its figures come from what it measured before it stopped.",
    "This run did not finish (it has no end time): its figures come from what it measured before "
    "it stopped.",
    "Wrong answers and failures, left out of every figure ({0}): {1}. report.md gives each "
    "reason.",
    "wrong answer",
    "failed",
    "and {} more",
    "Not in the figures above, which would have come from them: {}",
    "contended (other processes or the hypervisor took CPU time it needed while it sampled)",
    "cut short by an interrupt",
    "its samples still drifting when sampling stopped (a clock or power limit settling)",
    "run on fewer threads than it was given (a library's own choice): not the machine's figure",
    "Other measurements left out likewise: {}.",
    "Measurements left out as contended, cut short, still drifting or run on fewer threads than "
    "given: {} (report.md marks each).",
    "{} CPU thread{}",
    "System",
    "{0}, Linux kernel {1}",
    "{0}: ECC {1}, power limit {2}",
    "on",
    "off",
    "{:g} W",
    "{0:g} W ({1:g} % of the default)",
    "run {0} of the {1} of the command above (--repeat {1}), each a results directory of its own: "
    "this sheet shows that run alone",
    "measured above the theoretical peak: the peak is the cgroup CPU quota's, which the kernel "
    "enforces over periods that a short sample can fall between (report.md says why)"};

constexpr Labels kChinese{
    "zh-CN", "flopbench 性能简报", "GPU 与 CPU 吞吐量：实测并经过验证", "机器配置", "日期",
    "flopbench 版本", "主机", "（{}）", "、", "；", "机器峰值",
    "实测：每个设备上通过验证的 peak 或 GEMM "
    "测量中的最佳值，对同类设备求和。理论：硬件理论峰值，同样求和。",
    "精度", "单精度（FP32）", "双精度（FP64）", "设备", "实测", "理论", "占理论峰值", "TFLOPS",
    "各测试项目的 GPU 相对 CPU 加速比", "测试项目", "问题规模", "最佳 GPU", "最佳 CPU", "加速比",
    "未测量 GPU：{}。仅列出 CPU 数据。",
    "没有同时在 GPU 和 CPU 上通过验证的测试项目，因此没有加速比。", "各自规模：GPU {0}，CPU {1}",
    "内存带宽（STREAM triad）", "系统内存", "显存", "部分为缓存",
    "无内存带宽数据：所测最大的 triad 每个向量 {0} MiB，不足设备缓存 {2} MiB 的 {1} "
    "倍，其带宽部分为缓存带宽（{3}）。",
    "无内存带宽数据：所测最大的 triad 每个向量 {0} MiB，而 CPU 未报告 L3 "
    "缓存（虚拟机监控程序可能将其隐藏），"
    "其带宽可能部分为缓存带宽（{1}）；standard 配置测量内存。",
    "未测量", "未知", "本项数据含 {} / {} 块 GPU", "未计入（见测试条件）",
    "所引测量以其自身峰值 {} TFLOPS 计（CPU "
    "线程少于硬件峰值所计，或未用张量核心）；百分比以硬件峰值计",
    "理论值为所测 {0} 个 CPU 线程的峰值，非全部 {1} 核",
    "实测值高于理论峰值：峰值模型所用的时钟或运算单元低于实际运行（原因见 report.md）",
    "{}（{} 核，{} 线程，{} 路），内存 {}", "cgroup CPU 配额 {0:g} 个 CPU，CPU 数据受其限制",
    "本进程只可使用在线的 {1} 个 CPU 中的 {0} 个：CPU 数据仅来自这些 CPU", "显存 {}",
    "本次运行仅使用 {}：数据仅为其所测", "测试条件", "命令", "运行", "构建", "规模",
    "精度与数学模式",
    "FP32 为 IEEE 754 单精度，FP64 为双精度；本表所有数据均来自已与双精度参考结果比对验证的结果。",
    "未记录特殊数学模式",
    "实测峰值 = 每个设备上通过验证的 peak 与 gemm 测量的最大 GFLOP/s（每次运行的浮点运算数 / "
    "中位时间），对同类设备求和；{}。理论峰值 = "
    "清单中每个设备的理论峰值（见峰值依据），"
    "同样求和。加速比 = CPU 中位时间 / GPU 中位时间（GPU "
    "设备时间，不含主机与设备间的传输），两侧各取通过验证的最快实现，取两侧均通过的最大"
    "问题规模；若两侧没有共同的问题规模（各配置按设备选取能使其满载的规模），则为 GPU 吞吐量 / CPU "
    "吞吐量，各取其设备所测规模中通过验证、吞吐量最高的测量。带宽 = STREAM triad a = x + s·y（3 "
    "个数组）每次运行的字节数 / 中位时间，取通过的最大"
    "规模，且每个数组不小于设备缓存的 4 倍（STREAM "
    "的规则）。所有数值均为全部样本的中位数；results.json 保存了每个样本。",
    "峰值依据",
    "复现：使用 flopbench {} 运行上述命令；本简报由 flopbench sheet 根据其 results.json 重新生成。",
    "配置 {}，种子 {}，{} 个 CPU 线程，{} 至 {} UTC", "GPU 胜出的规模（规模扫描）",
    "{} 从 {} 起 GPU 快于本机 CPU（{}）。",
    // The reason a crossover was not reached is English: report.md and report.html give it.
    "{}——{}：未达到（原因见 report.md 与 report.html）。",
    "由所测规模 {:.0f} 与 {:.0f} 之间插值估计",
    "{0}——{1}：未计入：其 {3} 个规模中有 {2} "
    "个的时间在受干扰时测得（有其他负载、被中断、样本仍在漂移或线程少于所分配的线程）；report.md "
    "与 "
    "report.html 给出该结果。",
    "GPU 设备时间，不含数据传输", "GPU 端到端（锁页主机内存），含数据传输",
    "GPU 端到端（可分页主机内存），含数据传输", "无可比较的 GPU 测量", "{:.0f} 个元素",
    "{} 矩阵运算，稠密（无稀疏）", "每块 GPU 单独测量",
    "若所有 GPU 曾同时测量，则以该测量作为 GPU 的数据",
    "下列数据本应来自的测量中有 {} "
    "项在运行时受到干扰（有其他负载、被中断、样本仍在漂移或线程少于所分配的线程）：这些数据改由其余"
    "测量"
    "给出，或未计入（见测试条件）。",
    "本次运行被中断：以下数据来自中断前完成的测量。",
    "本次运行未正常结束（无结束时间）：以下数据来自结束前完成的测量。",
    "本次运行有 {0} 项测量结果错误或失败，未计入任何数据：{1}。各项原因见 report.md。", "结果错误",
    "运行失败", "另有 {} 项", "以下测量本应计入上述数据，但未计入：{}",
    "测量期间有其他负载（其他进程或虚拟机监控程序占用了它所需的 CPU 时间）", "被中断提前结束",
    "停止采样时样本仍在漂移（时钟或功耗限制尚未稳定）",
    "实际使用的线程少于所分配的线程（库自身的选择）：并非本机的数据",
    "其他同样未计入的测量：{} 项。",
    "因测量期间有其他负载、被中断、样本仍在漂移或线程少于所分配的线程而未计入的测量：{} "
    "项（report.md "
    "逐项标注）。",
    "{} 个 CPU 线程", "系统", "{0}，Linux 内核 {1}", "{0}：ECC {1}，功耗上限 {2}", "开启", "关闭",
    "{:g} W", "{0:g} W（默认值的 {1:g}%）",
    "上述命令（--repeat {1}）{1} 次运行中的第 {0} 次，每次运行各有其结果目录：本简报仅含该次运行",
    "实测值高于理论峰值：该峰值按 cgroup CPU "
    "配额计，内核按周期执行配额，短样本可落在周期之间（原因见 "
    "report.md）"};

constexpr std::string_view kSheetCss = R"(@page { size: A4; margin: 12mm; }
body { max-width: 186mm; margin: 12px auto; font-size: 13px; }
body:lang(zh-CN) { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
  "PingFang SC", "WenQuanYi Micro Hei", sans-serif; }
header { display: flex; justify-content: space-between; align-items: baseline;
  gap: 16px; border-bottom: 2px solid #1a1a1a; margin-bottom: 8px; }
header h1 { font-size: 24px; margin: 0; }
header p { margin: 0; color: #444; text-align: right; }
h2 { font-size: 15px; margin: 14px 0 4px; }
table { width: 100%; font-size: 12px; }
table.peak td.big { font-size: 18px; font-weight: 700; }
/* A side's throughput, implementation and threads may wrap rather than widen the page. */
table.speedup td.num { white-space: normal; }
dl.machine { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 4px 0; }
dl.machine dt { font-weight: 600; }
dl.machine dd { margin: 0; }
.small { font-size: 9px; color: #333; line-height: 1.3; border-top: 1px solid #999;
  margin-top: 12px; padding-top: 4px; }
.small p { margin: 2px 0; }
.small code { font-size: 9px; }
header h1 { white-space: nowrap; }
/* One A4 page: 273 mm of height between the margins. */
@media print {
  body { margin: 0; max-width: none; font-size: 10.5px; }
  h2 { font-size: 13px; margin: 8px 0 3px; }
  table { font-size: 10.5px; margin: 3px 0 6px; }
  th, td { padding: 2px 6px; }
  table.peak td.big { font-size: 15px; }
  svg.chart { margin: 2px 0 6px; }
  .small, .small code { font-size: 8px; }
}
)";

const Labels& labels_for(SheetLanguage language) {
  return language == SheetLanguage::zh ? kChinese : kEnglish;
}

// The --lang value, which also names the file.
std::string_view language_code(SheetLanguage language) {
  switch (language) {
    case SheetLanguage::en:
      return "en";
    case SheetLanguage::zh:
      return "zh";
  }
  return "en";
}

// A measured figure on the sheet is rounded down to the digits shown, never up past what was
// measured: 99.96 % is 99.9 %, and 1.2796 TFLOPS 1.27. (The relative nudge keeps a product such
// as 0.3 × 10 = 2.9999999999999996 from losing a digit it has.)
double down(double v, int decimals) {
  if (!(v > 0)) return v;  // measured figures are positive
  const double scale = std::pow(10.0, decimals);
  return std::floor(v * scale * (1 + 1e-12)) / scale;
}

// Three significant digits, never an exponent: 66.9, 1.28, 0.0134.
int significant_decimals(double v) {
  return std::clamp(2 - static_cast<int>(std::floor(std::log10(v))), 0, 6);
}
std::string significant(double v) {
  if (v <= 0 || !std::isfinite(v)) return short_number(v);
  return fmt::format("{:.{}f}", v, significant_decimals(v));
}
std::string significant_down(double v) {
  if (v <= 0 || !std::isfinite(v)) return short_number(v);
  const int decimals = significant_decimals(v);
  return fmt::format("{:.{}f}", down(v, decimals), decimals);
}

// A measurement's headline throughput, rounded down to the digits report.md shows.
std::string throughput_down(const MeasurementRecord& r) {
  auto t = headline(r);
  if (t && std::isfinite(t->value)) t->value = down(t->value, short_number_decimals(t->value));
  return throughput(t);
}

std::string aside(std::string_view text, const Labels& l) {
  return fmt::format(fmt::runtime(l.aside), text);
}

std::string precision_name(Precision p, const Labels& l) {
  switch (p) {
    case Precision::fp32:
      return std::string(l.fp32);
    case Precision::fp64:
      return std::string(l.fp64);
    case Precision::tf32:
    case Precision::bf16:
    case Precision::fp16:
    case Precision::fp8_e4m3:
    case Precision::int8: {
      // A format's name is the same in every language; integer rates are in TOPS.
      const std::string name = fmt::format(fmt::runtime(l.matrix_precision), precision_label(p));
      return is_integer(p) ? name + aside("TOPS", l) : name;
    }
  }
  throw std::logic_error("unknown precision");
}

// Why a passed measurement is no figure of the sheet, in the sheet's words: what first disturbed
// it (disturbance_flags, in its order); "" where nothing did.
std::string_view left_out_reason(const MeasurementRecord& r, const Labels& l) {
  const std::vector<std::string> flags = disturbance_flags(r);
  if (flags.empty()) return "";
  if (flags.front() == "contended") return l.reason_contended;
  if (flags.front() == "interrupted") return l.reason_interrupted;
  if (flags.front() == "still drifting") return l.reason_drifting;
  return l.reason_fewer_threads;
}

// A passed measurement's GFLOP/s, when it counts towards the machine peak: compute-bound work.
std::optional<double> peak_candidate(const MeasurementRecord& r, Precision precision) {
  if (!median_s(r) || r.precision != precision || !r.gflops) return std::nullopt;
  if (r.workload_info().bound != Bound::compute) return std::nullopt;
  return r.gflops;
}

int gpus_used(const MeasurementRecord& r) { return static_cast<int>(r.device.gpus.size()); }

// Bytes of one vector of a vector workload's measurement.
std::int64_t vector_bytes(const MeasurementRecord& r) {
  return r.problem.n * static_cast<std::int64_t>(size_of(r.precision));
}

// The sum of the peaks; empty when there are none or any is unknown.
std::optional<double> sum_of(const std::vector<const Peak*>& peaks) {
  if (peaks.empty()) return std::nullopt;
  double sum = 0;
  for (const Peak* p : peaks) {
    if (!p || !p->gflops) return std::nullopt;
    sum += *p->gflops;
  }
  return sum;
}

// The machine's GPUs that the run was given (--gpus, a launcher's local rank): the devices of the
// sheet's figures.
std::vector<const GpuDevice*> given_gpus(const ResultsDocument& doc) {
  std::vector<const GpuDevice*> given;
  for (const auto& d : doc.environment.gpu.devices) {
    if (doc.run.selected_gpu(d.index)) given.push_back(&d);
  }
  return given;
}

// From the measurements of `groups` (headline_groups: the figures; groups_of: what they would
// have been).
PeakFigure peak_figure(const ResultsDocument& doc, const std::vector<Group>& groups,
                       DeviceKind kind, Precision precision) {
  PeakFigure f{kind, precision, std::nullopt, {}, 0, std::nullopt};
  std::vector<const MeasurementRecord*> records;
  for (const Group& g : groups) records.insert(records.end(), g.records.begin(), g.records.end());
  std::vector<DeviceRef> devices;
  std::vector<const Peak*> peaks;
  switch (kind) {
    case DeviceKind::cpu:
      devices.push_back(DeviceRef::cpu());
      peaks.push_back(doc.environment.cpu.peak(precision));
      break;
    case DeviceKind::gpu:
      for (const GpuDevice* d : given_gpus(doc)) {
        devices.push_back(DeviceRef::gpu({d->index}));
        peaks.push_back(d->peak(precision));
      }
      break;
  }
  f.devices = static_cast<int>(devices.size());
  const auto best_on = [&](const DeviceRef& device) {
    const MeasurementRecord* best = nullptr;
    for (const auto* r : records) {
      const auto g = peak_candidate(*r, precision);
      if (g && r->device == device && (!best || *best->gflops < *g)) best = r;
    }
    return best;
  };
  // Every GPU measured at once is the machine's figure; without it, the GPUs measured one at a
  // time are summed.
  const MeasurementRecord* aggregate = nullptr;
  for (const auto* r : records) {
    const auto g = peak_candidate(*r, precision);
    if (g && kind == DeviceKind::gpu && machine_aggregate(*r) &&
        (!aggregate || gpus_used(*aggregate) < gpus_used(*r) ||
         (gpus_used(*aggregate) == gpus_used(*r) && *aggregate->gflops < *g)))
      aggregate = r;
  }
  const bool aggregate_left_out =
      !aggregate && kind == DeviceKind::gpu &&
      std::ranges::any_of(doc.measurements, [&](const MeasurementRecord& r) {
        return machine_aggregate(r) && peak_candidate(r, precision).has_value();
      });
  // Measured at once but left out, it is not replaced by the GPUs measured alone, which shared
  // no power or cooling and would sum to more than the machine does: the figure is left out too.
  if (aggregate) {
    f.sources.push_back(aggregate);
    f.measured_gflops = aggregate->gflops;
  } else if (!aggregate_left_out) {
    for (const auto& device : devices) {
      const MeasurementRecord* best = best_on(device);
      if (!best) continue;
      f.sources.push_back(best);
      f.measured_gflops = f.measured_gflops.value_or(0) + *best->gflops;
    }
  }
  // The peak a measurement was judged against depends on the path it took (tensor cores, AMX):
  // the sum of the sources' own peaks, known only when they cover every device.
  int covered = 0;
  for (const auto* r : f.sources) covered += std::max(1, gpus_used(*r));
  std::vector<const Peak*> path_peaks;
  if (covered == f.devices) {
    for (const auto* r : f.sources) path_peaks.push_back(&r->peak);
  }
  // A matrix format's peak is only its path's; on the CPU, of the threads the run used.
  if (is_matrix_precision(precision)) {
    peaks = path_peaks;
    const int cores = doc.environment.cpu.cores;
    if (kind == DeviceKind::cpu && !f.sources.empty() && f.sources.front()->threads < cores) {
      f.peak_threads = f.sources.front()->threads;
      f.machine_cores = cores;
    }
  }
  f.theoretical_gflops = sum_of(peaks);
  const std::optional<double> path = sum_of(path_peaks);
  if (path && f.theoretical_gflops && *path < *f.theoretical_gflops * (1 - 1e-9))
    f.path_gflops = path;
  return f;
}

std::string date_of(const std::string& utc) { return utc.size() >= 10 ? utc.substr(0, 10) : utc; }

std::string machine_description(const ResultsDocument& doc, const Labels& l) {
  const Environment& env = doc.environment;
  const auto& cpu = env.cpu;
  // The plurals' "s" come last: only the English text uses them.
  std::string out =
      fmt::format(fmt::runtime(l.cpu_description), or_unknown(cpu.model), cpu.cores,
                  cpu.logical_cpus, cpu.sockets, bytes(cpu.memory_bytes), plural_s(cpu.cores),
                  plural_s(cpu.logical_cpus), plural_s(cpu.sockets));
  // Confined to some CPUs (taskset, a cpuset), the process measured those, not the machine.
  if (cpu.online_cpus > cpu.logical_cpus) {
    out += aside(fmt::format(fmt::runtime(l.cpu_affinity), cpu.logical_cpus, cpu.online_cpus), l);
  }
  // A quota of more CPUs than the process may use bounds nothing.
  if (cpu.quota && cpu.quota->cpus < cpu.logical_cpus) {
    out +=
        aside(fmt::format(fmt::runtime(l.cpu_quota), cpu.quota->cpus, cpu.quota->cpus_text()), l);
  }
  // Identical GPUs once, with their count.
  std::map<std::string, int> counts;
  std::vector<const GpuDevice*> kinds;
  for (const auto& d : env.gpu.devices) {
    const std::string key = d.name + "|" + std::to_string(d.memory_bytes);
    if (counts[key]++ == 0) kinds.push_back(&d);
  }
  for (const auto* d : kinds) {
    const int n = counts[d->name + "|" + std::to_string(d->memory_bytes)];
    out += fmt::format("{}{}{}{}", l.clause_separator, n > 1 ? fmt::format("{} × ", n) : "",
                       or_unknown(d->name),
                       aside(fmt::format(fmt::runtime(l.gpu_memory), bytes(d->memory_bytes)), l));
  }
  // The machine is described whole; where the run was given some of its GPUs, the sheet says so.
  if (const auto given = given_gpus(doc); !given.empty() && given.size() < env.gpu.devices.size()) {
    std::vector<std::string> names;
    for (const GpuDevice* d : given) names.push_back(fmt::format("gpu{}", d->index));
    out += aside(fmt::format(fmt::runtime(l.gpus_given), fmt::join(names, l.list_separator)), l);
  }
  return out;
}

// The power limit of GPU `index` as the health facts read it, "" where they did not.
std::string power_limit_text(const Environment& env, int index, const Labels& l) {
  if (!env.health) return "";
  const HealthFacts facts = cuda_gpu_facts(*env.health, index);
  const auto number = [&](const char* name) {
    const auto it = facts.find(name);
    return it == facts.end() ? std::nullopt : it->second.number;
  };
  const auto watts = number("power.limit_w"), percent = number("power.limit_percent_of_default");
  if (!watts) return "";
  if (percent && std::round(*percent) != 100) {
    return fmt::format(fmt::runtime(l.power_limit_of_default), std::round(*watts),
                       std::round(*percent));
  }
  return fmt::format(fmt::runtime(l.power_limit), std::round(*watts));
}

// The OS and kernel, and the settings of the GPUs the run was given that move their figures: ECC
// (which costs bandwidth) and the power limit (which an operator may lower).
std::string system_text(const ResultsDocument& doc, const Labels& l) {
  const Environment& env = doc.environment;
  std::string out =
      fmt::format(fmt::runtime(l.system_text), or_unknown(env.os), or_unknown(env.kernel));
  // GPUs set alike share a clause, in the order of their first: "gpu0, gpu1: ECC on, power
  // limit 700 W".
  struct Alike {
    bool ecc;
    std::string power;
    std::vector<std::string> gpus;
  };
  std::vector<Alike> alike;
  for (const GpuDevice* d : given_gpus(doc)) {
    const std::string power = power_limit_text(env, d->index, l);
    auto it = std::ranges::find_if(
        alike, [&](const Alike& a) { return a.ecc == d->ecc_enabled && a.power == power; });
    if (it == alike.end()) it = alike.insert(alike.end(), {d->ecc_enabled, power, {}});
    it->gpus.push_back(fmt::format("gpu{}", d->index));
  }
  for (const Alike& a : alike) {
    out += std::string(l.clause_separator) +
           fmt::format(fmt::runtime(l.gpu_settings), fmt::join(a.gpus, l.list_separator),
                       a.ecc ? l.ecc_on : l.ecc_off, a.power.empty() ? l.unknown : a.power);
  }
  return out;
}

std::string source_text(const MeasurementRecord& r) {
  return fmt::format("{} {} · {} · {}", workload_title(r.workload, r.precision), r.implementation,
                     r.device, r.problem.label());
}

// A figure's cell: the figure, or why there is none. `would_be` is the figure with every passed
// measurement: where it has one and the sheet has not, the measurements were left out.
std::string missing_figure(bool would_be, const Labels& l) {
  return std::string(would_be ? l.left_out_figure : l.not_measured);
}

// Where a figure's theoretical peak comes from: the figure's own, or, where a matrix format's
// measurements were all left out (its theoretical is that of their path), the figure they would
// have given, whose path, threads and bases the sheet then gives.
const PeakFigure& theoretical_basis(const SheetFigures& figures, const SheetFigures& would_be,
                                    std::size_t i) {
  const PeakFigure& f = figures.peaks.at(i);
  return f.theoretical_gflops || !f.sources.empty() ? f : would_be.peaks.at(i);
}

std::string peak_section(const SheetFigures& figures, const SheetFigures& would_be,
                         const Labels& l) {
  std::string out = fmt::format(
      "<h2>{}{}</h2>\n<table class=\"peak\">\n<thead><tr><th>{}</th><th>{}</th><th "
      "class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead>\n"
      "<tbody>\n",
      l.machine_peak, aside(l.tflops, l), l.device, l.precision, l.measured, l.theoretical,
      l.of_theoretical);
  for (std::size_t i = 0; i < figures.peaks.size(); ++i) {
    const PeakFigure& f = figures.peaks[i];
    std::string device = f.kind == DeviceKind::cpu ? "CPU" : "GPU";
    if (f.kind == DeviceKind::gpu && f.devices > 1) device += fmt::format(" × {}", f.devices);
    // The measurements the figure comes from, then what qualifies it, one clause each.
    std::vector<std::string> clauses;
    for (const auto* r : f.sources) clauses.push_back(source_text(*r));
    int measured_devices = 0;
    for (const auto* r : f.sources) measured_devices += std::max(1, gpus_used(*r));
    if (f.kind == DeviceKind::gpu && measured_devices < f.devices && !f.sources.empty()) {
      clauses.push_back(fmt::format(fmt::runtime(l.gpus_measured), measured_devices, f.devices));
    }
    const PeakFigure& basis = theoretical_basis(figures, would_be, i);
    if (basis.path_gflops) {
      clauses.push_back(
          fmt::format(fmt::runtime(l.path_peak), significant(*basis.path_gflops / 1000)));
    }
    if (basis.peak_threads > 0 && basis.theoretical_gflops) {
      clauses.push_back(fmt::format(fmt::runtime(l.threads_peak), basis.peak_threads,
                                    basis.machine_cores, plural_s(basis.peak_threads)));
    }
    const std::optional<double> pct =
        f.measured_gflops && f.theoretical_gflops && *f.theoretical_gflops > 0 &&
                measured_devices == f.devices
            ? std::optional<double>(100 * *f.measured_gflops / *f.theoretical_gflops)
            : std::nullopt;
    if (pct && *pct > 100) {
      const bool quota = std::ranges::any_of(f.sources, [](const MeasurementRecord* r) {
        return !r->device.on_gpu() && r->peak.bound_by_cpu_quota();
      });
      clauses.push_back(std::string(quota ? l.above_quota : l.above_theoretical));
    }
    const std::string detail = fmt::format("{}", fmt::join(clauses, l.clause_separator));
    const std::optional<double> theoretical = basis.theoretical_gflops;
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"num big\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td></tr>\n",
        html_escape(device), precision_name(f.precision, l),
        f.measured_gflops ? significant_down(*f.measured_gflops / 1000)
                          : missing_figure(would_be.peaks.at(i).measured_gflops.has_value(), l),
        theoretical ? significant(*theoretical / 1000) : std::string(l.unknown),
        percent(pct ? std::optional(down(*pct, 1)) : std::nullopt));
    if (!detail.empty()) {
      out += fmt::format("<tr><td></td><td colspan=\"4\" class=\"note\">{}</td></tr>\n",
                         html_escape(detail));
    }
  }
  return out + "</tbody>\n</table>\n";
}

std::string workload_section(const ResultsDocument& doc, const SheetFigures& figures,
                             const SheetFigures& would_be, const Labels& l) {
  std::string out = fmt::format("<h2>{}</h2>\n", l.speedups);
  const std::string no_gpu = no_gpu_reason(doc.environment.gpu);
  if (!no_gpu.empty()) {
    out += fmt::format("<p class=\"banner\">{}</p>\n",
                       html_escape(fmt::format(fmt::runtime(l.no_gpu), no_gpu)));
  }
  if (would_be.workloads.empty()) {
    return out + fmt::format("<p>{}</p>\n", html_escape(l.no_common_problem));
  }
  // A CPU side on fewer threads than the machine has cores says so: the speedup is over them.
  const auto measured = [&](const MeasurementRecord* r) {
    if (!r) return std::string("-");
    std::string where = fmt::format("{}, {}", implementation_label(*r), r->device);
    if (!r->device.on_gpu() && r->threads > 0 && r->threads < doc.environment.cpu.cores) {
      where += ", " + fmt::format(fmt::runtime(l.cpu_threads), r->threads, plural_s(r->threads));
    }
    return fmt::format("{} ({})", throughput_down(*r), where);
  };
  out += fmt::format(
      "<table class=\"speedup\">\n<thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th "
      "class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead>\n<tbody>\n",
      l.workload, l.problem, l.best_gpu, l.best_cpu, l.speedup);
  BarChart chart{std::string(l.speedup), fmt::format("{} (×)", l.speedup), {}, 1.0};
  // speedup_html is the cell's markup; the other cells are text.
  const auto row = [](const Group& group, const std::string& problem, const std::string& gpu,
                      const std::string& cpu, const std::string& speedup_html) {
    return fmt::format(
        "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td></tr>\n",
        html_escape(group_title(group)), html_escape(problem), html_escape(gpu), html_escape(cpu),
        speedup_html);
  };
  // A row for each workload that would have one with every passed measurement: where its
  // measurements were left out (contended, interrupted, still drifting, fewer threads), its
  // cells say so.
  for (const auto& all : would_be.workloads) {
    const auto figure = std::ranges::find_if(figures.workloads, [&](const WorkloadFigure& w) {
      return w.group->workload == all.group->workload && w.group->precision == all.group->precision;
    });
    if (figure == figures.workloads.end() || (all.gpu && !figure->gpu)) {
      // The row as it would be, each side's figure where it may be one.
      const auto side = [&](const MeasurementRecord* r) {
        return !r                    ? std::string("-")
               : headline_worthy(*r) ? measured(r)
                                     : std::string(l.left_out_figure);
      };
      out += row(*all.group,
                 all.gpu ? all.matchup().problem_text(l.own_sizes) : all.cpu->problem.label(),
                 side(all.gpu), side(all.cpu), "-");
      continue;
    }
    const WorkloadFigure& w = *figure;
    // Matchup::speedup, as every speedup flopbench prints; under 0.01 (a GPU far slower than the
    // CPU at a small size) it would round down to 0.00.
    const double speedup = w.gpu ? w.matchup().speedup() : 0;
    const std::string speedup_text = ratio(speedup < 0.01 ? speedup : down(speedup, 2));
    const std::string problem =
        w.gpu ? w.matchup().problem_text(l.own_sizes) : w.cpu->problem.label();
    out += row(*w.group,
               // The speedup holds at this size; the GB/s of a side within its cache are not
               // memory's.
               problem + (within_cache(doc.environment, *w.cpu) ||
                                  (w.gpu && within_cache(doc.environment, *w.gpu))
                              ? aside(l.partly_cache, l)
                              : ""),
               measured(w.gpu), measured(w.cpu),
               "<strong>" + (w.gpu ? html_escape(speedup_text) : "-") + "</strong>");
    if (w.gpu) chart.bars.push_back({group_title(*w.group), speedup, speedup_text, BarKind::ratio});
  }
  return out + "</tbody>\n</table>\n" + bar_chart_svg(chart);
}

// gpu_timing_text() in the sheet's language.
std::string sheet_timing_text(const std::string& timing, const Labels& l) {
  if (timing.empty()) return std::string(l.timing_no_gpu);
  if (timing == "device_events") return std::string(l.timing_device);
  if (timing == "end_to_end_pinned") return std::string(l.timing_pinned);
  if (timing == "end_to_end_pageable") return std::string(l.timing_pageable);
  return gpu_timing_text(timing);
}

// The sheet's crossover of a workload and precision: report.md's, found from every passed
// measurement, of the GPU timing headline_crossovers prefers among those with no disturbed time;
// where every timing has one, the preferred one, left out. (Found from the undisturbed
// measurements alone, a crossover would rest on sizes that were not its own: a contended CPU at
// the larger sizes made "the CPU is as fast or faster at the largest size, 64" of a sweep to
// 2048 that the GPU won.)
struct SheetCrossover {
  const Crossover* crossover;
  std::size_t disturbed = 0;  // > 0: left out, at that many of its sizes
};

std::vector<SheetCrossover> sheet_crossovers(const std::vector<Crossover>& found,
                                             const std::vector<Crossover>& undisturbed) {
  const std::vector<const Crossover*> clean = headline_crossovers(undisturbed);
  std::vector<SheetCrossover> out;
  for (const Crossover* c : headline_crossovers(found)) {
    const auto same = std::find_if(clean.begin(), clean.end(), [&](const Crossover* u) {
      return u->workload == c->workload && u->precision == c->precision;
    });
    out.push_back(same != clean.end() ? SheetCrossover{*same}
                                      : SheetCrossover{c, flagged_points(*c)});
  }
  return out;
}

// One line per workload and precision of a sweep: from which size the GPU beats this machine's
// CPU, transfers included where they were measured. Those not reached for one reason share a line
// (on a machine without a GPU, every one of them, for the same reason).
std::string crossover_section(const std::vector<SheetCrossover>& shown, const Labels& l) {
  std::string lines;
  // Lines of crossovers not reached that read alike but for their workloads (the Chinese one
  // gives no reason) are one, in the order first met.
  struct NotReached {
    std::string alike, timing, basis;
    std::vector<std::string> workloads;
  };
  std::vector<NotReached> not_reached;
  for (const SheetCrossover& line : shown) {
    const Crossover& c = *line.crossover;
    const std::string workload = workload_title(c.workload, c.precision);
    const std::string timing = sheet_timing_text(c.gpu_timing, l);
    if (line.disturbed > 0) {
      lines += fmt::format("<li>{}</li>\n",
                           html_escape(fmt::format(fmt::runtime(l.crossover_disturbed), workload,
                                                   timing, line.disturbed, c.points.size())));
      continue;
    }
    if (!c.finding.size) {
      const std::string alike =
          fmt::format(fmt::runtime(l.crossover_not_reached), "", timing, c.finding.basis);
      const auto same = std::find_if(not_reached.begin(), not_reached.end(),
                                     [&](const NotReached& n) { return n.alike == alike; });
      if (same == not_reached.end()) {
        not_reached.push_back({alike, timing, c.finding.basis, {workload}});
      } else {
        same->workloads.push_back(workload);
      }
      continue;
    }
    // An interpolated size is an estimate: "≈", rounded up, and between which sizes.
    const auto& between = c.finding.between;
    const double at = crossover_size_shown(c.finding);
    const std::string size =
        info(c.workload).size_kind == SizeKind::matrix
            ? fmt::format("n {} {:.0f}", between ? "≈" : "=", at)
            : fmt::format("{}{}", between ? "≈ " : "", fmt::format(fmt::runtime(l.elements), at));
    const std::string how = between ? fmt::format("{}{}{}", timing, l.clause_separator,
                                                  fmt::format(fmt::runtime(l.crossover_between),
                                                              between->first, between->second))
                                    : timing;
    lines +=
        fmt::format("<li>{}</li>\n",
                    html_escape(fmt::format(fmt::runtime(l.crossover_from), workload, size, how)));
  }
  for (const NotReached& n : not_reached) {
    lines += fmt::format(
        "<li>{}</li>\n",
        html_escape(fmt::format(fmt::runtime(l.crossover_not_reached),
                                fmt::join(n.workloads, l.list_separator), n.timing, n.basis)));
  }
  if (lines.empty()) return "";
  return fmt::format("<h2>{}</h2>\n<ul>\n{}</ul>\n", l.crossover, lines);
}

std::string bandwidth_section(const ResultsDocument& doc, const SheetFigures& figures,
                              const SheetFigures& would_be, const Labels& l) {
  std::string out = fmt::format("<h2>{}</h2>\n<table>\n<tbody>\n", l.bandwidth);
  for (std::size_t i = 0; i < figures.bandwidth.size(); ++i) {
    const BandwidthFigure& b = figures.bandwidth[i];
    const BandwidthFigure& all = would_be.bandwidth.at(i);
    std::string note;
    if (b.source) {
      note = source_text(*b.source);
    } else if (b.in_cache) {
      constexpr double kMiB = 1 << 20;
      const SizingFacts facts = sizing_facts_of(doc.environment, b.device);
      // As within_cache_note writes them: never rounded up to the bound they are under.
      const std::string vector_mib =
          fmt::format("{:.4g}", static_cast<double>(vector_bytes(*b.in_cache)) / kMiB);
      note =
          vector_bytes(*b.in_cache) >= kBeyondCacheMultiple * facts.cache_bytes  // a hidden L3's
              ? fmt::format(fmt::runtime(l.hidden_cache_note), vector_mib, source_text(*b.in_cache))
              : fmt::format(fmt::runtime(l.partly_cache_note), vector_mib, kBeyondCacheMultiple,
                            fmt::format("{:.4g}", static_cast<double>(facts.cache_bytes) / kMiB),
                            source_text(*b.in_cache));
    }
    out += fmt::format(
        "<tr><td>{}</td><td class=\"num\"><strong>{}</strong></td><td class=\"note\">{}</td>"
        "</tr>\n",
        html_escape(b.device.label() +
                    aside(!b.device.on_gpu() ? l.memory_kind_cpu : l.memory_kind_gpu, l)),
        b.source     ? html_escape(throughput_down(*b.source))
        : b.in_cache ? std::string(l.partly_cache)
                     : missing_figure(all.source || all.in_cache, l),
        html_escape(note));
  }
  return out + "</tbody>\n</table>\n";
}

// Every measurement a figure comes from.
std::set<const MeasurementRecord*> figure_sources(const SheetFigures& figures) {
  std::set<const MeasurementRecord*> shown;
  for (const auto& f : figures.peaks) shown.insert(f.sources.begin(), f.sources.end());
  for (const auto& w : figures.workloads) {
    if (w.gpu) shown.insert(w.gpu);
    if (w.cpu) shown.insert(w.cpu);
  }
  for (const auto& b : figures.bandwidth) {
    if (b.source) shown.insert(b.source);
    if (b.in_cache) shown.insert(b.in_cache);
  }
  return shown;
}

// The measurements of the crossovers left out: their lines say why.
std::set<const MeasurementRecord*> left_out_crossover_points(
    const std::vector<SheetCrossover>& shown) {
  std::set<const MeasurementRecord*> out;
  for (const SheetCrossover& line : shown) {
    if (line.disturbed == 0) continue;
    for (const auto& p : line.crossover->points) {
      out.insert(p.cpu);
      if (p.gpu) out.insert(p.gpu);
    }
  }
  return out;
}

std::string conditions_section(const ResultsDocument& doc, const SheetFigures& figures,
                               const SheetFigures& would_be,
                               const std::set<const MeasurementRecord*>& on_crossover_lines,
                               const Labels& l) {
  const auto& env = doc.environment;
  const auto& run = doc.run;
  // Sizes and notes of every measurement a figure on the sheet comes from; a note that several
  // measurements share (the quick profile's on vector sizes) once, after all of their names.
  const std::set<const MeasurementRecord*> shown = figure_sources(figures);
  std::vector<std::string> sizes;
  std::vector<std::pair<std::string, std::vector<std::string>>> noted;  // note, its measurements
  // A workload named alike at two precisions (dot, stream: SGEMM and DGEMM are not) names the
  // precision of each size.
  const auto named_alike = [&](const MeasurementRecord& r) {
    return std::ranges::any_of(shown, [&](const MeasurementRecord* o) {
      return o->workload == r.workload && o->precision != r.precision &&
             display_name(o->workload, o->precision) == display_name(r.workload, r.precision);
    });
  };
  for (const auto& r : doc.measurements) {
    if (!shown.contains(&r)) continue;
    const std::string size = fmt::format("{} {}",
                                         named_alike(r) ? workload_title(r.workload, r.precision)
                                                        : display_name(r.workload, r.precision),
                                         r.problem.label());
    if (std::find(sizes.begin(), sizes.end(), size) == sizes.end()) sizes.push_back(size);
    const std::string source = fmt::format("{} {} ({})", workload_title(r.workload, r.precision),
                                           r.implementation, r.device);
    for (const auto& note : r.notes) {
      auto it =
          std::find_if(noted.begin(), noted.end(), [&](const auto& n) { return n.first == note; });
      if (it == noted.end()) it = noted.insert(noted.end(), {note, {}});
      if (std::find(it->second.begin(), it->second.end(), source) == it->second.end())
        it->second.push_back(source);
    }
  }
  std::vector<std::string> notes;
  for (const auto& [note, sources] : noted)
    notes.push_back(fmt::format("{}: {}", fmt::join(sources, ", "), note));
  std::vector<std::string> bases;
  bases.push_back(fmt::format("CPU FP32 {}{}CPU FP64 {}", peak_text(env.cpu.peak_fp32),
                              l.clause_separator, peak_text(env.cpu.peak_fp64)));
  for (const GpuDevice* d : given_gpus(doc)) {
    bases.push_back(fmt::format("gpu{} FP32 {}{}gpu{} FP64 {}", d->index, peak_text(d->peak_fp32),
                                l.clause_separator, d->index, peak_text(d->peak_fp64)));
  }
  // A matrix format's theoretical is its measurements' own peak (peak_figure): their bases.
  for (std::size_t i = 0; i < figures.peaks.size(); ++i) {
    const PeakFigure& f = theoretical_basis(figures, would_be, i);
    if (!is_matrix_precision(f.precision)) continue;
    for (const MeasurementRecord* r : f.sources) {
      bases.push_back(fmt::format("{} {} {}", r->device.on_gpu() ? r->device.label() : "CPU",
                                  precision_label(f.precision), peak_text(r->peak, f.precision)));
    }
  }
  const auto item = [](std::string_view label, const std::string& html) {
    return fmt::format("<p><strong>{}:</strong> {}</p>\n", label, html);
  };
  std::string out =
      fmt::format("<section class=\"small\">\n<p><strong>{}</strong></p>\n", l.conditions);
  out += item(l.command, "<code>" + html_escape(shell_command(run.command_line)) + "</code>");
  std::string run_text =
      fmt::format(fmt::runtime(l.run_text), or_unknown(run.profile), run.seed, run.threads,
                  or_unknown(run.started_utc), or_unknown(run.finished_utc), plural_s(run.threads));
  if (run.replicate) {
    run_text += std::string(l.clause_separator) +
                fmt::format(fmt::runtime(l.replicate), run.replicate->index, run.replicate->of);
  }
  out += item(l.run, html_escape(run_text));
  // The CUDA compiler, runtime and driver are among the libraries of a CUDA build's run.
  out += item(l.build,
              html_escape(fmt::format("flopbench {} ({}), {}, {}, {}; {}",
                                      or_unknown(env.flopbench_version), or_unknown(env.git_commit),
                                      or_unknown(env.compiler), or_unknown(env.build_type),
                                      env.compiler_flags, list_or(library_items(env), "-"))));
  out += item(l.system, html_escape(system_text(doc, l)));
  out += item(l.sizes, html_escape(list_or(sizes, "-")));
  // By name, the measurements left out that a figure would have come from; the others (a
  // sweep's small sizes, a slower implementation) by their number, to keep to one page.
  const std::set<const MeasurementRecord*> would_show = figure_sources(would_be);
  std::vector<std::string> left;
  int others = 0;
  for (const auto& r : doc.measurements) {
    const std::string_view reason = left_out_reason(r, l);
    if (!median_s(r) || reason.empty()) continue;
    if (!would_show.contains(&r)) {
      others += !on_crossover_lines.contains(&r);
      continue;
    }
    left.push_back(source_text(r) + aside(reason, l));
  }
  if (!left.empty()) {
    out += fmt::format(
        "<p>{}</p>\n",
        html_escape(fmt::format(fmt::runtime(l.left_out), fmt::join(left, l.clause_separator))));
  }
  if (others > 0) {
    out +=
        fmt::format("<p>{}</p>\n",
                    html_escape(fmt::format(
                        fmt::runtime(left.empty() ? l.left_out_only : l.left_out_more), others)));
  }
  out += item(l.precision_modes,
              html_escape(std::string(l.precision_text) + " " + list_or(notes, l.notes_none)));
  out += item(l.peak_bases, html_escape(fmt::format("{}", fmt::join(bases, l.clause_separator))));
  // Where every GPU was measured at once, say so even when that figure was left out: it is
  // then not replaced by the GPUs measured alone (peak_figure).
  const bool at_once = std::ranges::any_of(would_be.peaks, [](const PeakFigure& f) {
    return std::ranges::any_of(f.sources, [](const auto* r) { return machine_aggregate(*r); });
  });
  out +=
      fmt::format("<p>{}</p>\n", html_escape(fmt::format(fmt::runtime(l.definitions),
                                                         at_once ? l.gpus_at_once : l.gpus_alone)));
  out += fmt::format("<p>{}</p>\n", html_escape(fmt::format(fmt::runtime(l.reproduce),
                                                            or_unknown(env.flopbench_version))));
  return out + "</section>\n";
}

}  // namespace

bool headline_worthy(const MeasurementRecord& r) {
  return median_s(r).has_value() && disturbance_flags(r).empty();
}

std::vector<Group> headline_groups(const ResultsDocument& doc) {
  std::vector<Group> groups = groups_of(doc);
  for (auto& g : groups)
    std::erase_if(g.records, [](const auto* r) { return !headline_worthy(*r); });
  std::erase_if(groups, [](const Group& g) { return g.records.empty(); });
  return groups;
}

SheetLanguage parse_sheet_language(std::string_view s) {
  for (const auto language : {SheetLanguage::en, SheetLanguage::zh}) {
    if (language_code(language) == s) return language;
  }
  throw InputError(fmt::format("--lang {}: unknown language (expected en or zh)", s));
}

SheetFigures sheet_figures(const ResultsDocument& doc, const std::vector<Group>& groups) {
  SheetFigures f;
  std::vector<DeviceKind> kinds = {DeviceKind::cpu};
  if (!given_gpus(doc).empty()) kinds.push_back(DeviceKind::gpu);
  for (const auto kind : kinds) {
    for (const auto precision : kPrecisions) {
      // FP32 and FP64 always have their row; a matrix format where it passed on this kind of
      // device, a figure or not (the conditions name the measurements left out).
      const bool passed_here =
          std::any_of(doc.measurements.begin(), doc.measurements.end(), [&](const auto& r) {
            return r.device.kind == kind && peak_candidate(r, precision).has_value() &&
                   std::ranges::all_of(r.device.gpus, [&](int gpu) {
                     return doc.environment.gpu.find(gpu) != nullptr;
                   });
          });
      if (!is_matrix_precision(precision) || passed_here)
        f.peaks.push_back(peak_figure(doc, groups, kind, precision));
    }
  }

  const auto matchups = gpu_vs_cpu(groups);
  for (const auto& g : groups) {
    // The FMA peak (its kernel counts its FLOPs) is in the machine peak table.
    if (info(g.workload).counted_flops) continue;
    WorkloadFigure w;
    for (const auto& m : matchups) {
      if (m.group == &g) w = {&g, m.gpu, m.cpu};  // problems ascend: the last wins
    }
    if (!w.group) {
      for (const auto& p : problems_of(g)) {
        const auto* cpu = fastest(g.records, p, [](const auto& r) { return !on_gpu(r); });
        if (cpu) w = {&g, nullptr, cpu};
      }
    }
    if (w.group) f.workloads.push_back(w);
  }

  std::vector<DeviceRef> devices = {DeviceRef::cpu()};
  for (const GpuDevice* d : given_gpus(doc)) devices.push_back(DeviceRef::gpu({d->index}));
  for (const auto& device : devices) {
    BandwidthFigure b{device, nullptr, nullptr};
    for (const auto precision : kPrecisions) {
      const auto* r = bandwidth_reference(groups, WorkloadId::stream, device, precision);
      if (!r) continue;
      if (!within_cache(doc.environment, *r)) {
        if (!b.source || *b.source->gbytes_per_s < *r->gbytes_per_s) b.source = r;
      } else if (!b.in_cache || vector_bytes(*b.in_cache) < vector_bytes(*r) ||
                 (vector_bytes(*b.in_cache) == vector_bytes(*r) &&
                  *b.in_cache->gbytes_per_s < *r->gbytes_per_s)) {
        b.in_cache = r;  // the largest: the nearest to a memory figure
      }
    }
    if (b.source) b.in_cache = nullptr;
    f.bandwidth.push_back(b);
  }
  return f;
}

SheetPrinter::SheetPrinter(SheetLanguage language, double print_scale)
    : Printer(fmt::format("sheet-{}.html", language_code(language))),
      language_(language),
      print_scale_(print_scale) {
  if (!(print_scale > 0 && print_scale <= 1))
    throw std::invalid_argument("a sheet's print scale is in (0, 1]");
}

std::string SheetPrinter::do_print(const ResultsDocument& doc) const {
  const Labels& l = labels_for(language_);
  const auto& env = doc.environment;
  const auto groups = headline_groups(doc);
  SheetFigures figures = sheet_figures(doc, groups);

  std::string body = fmt::format(
      "<header><h1>{}</h1><p>{}</p></header>\n<dl class=\"machine\">\n"
      "<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n<dt>{}</dt><dd>{}</dd>\n"
      "<dt>{}</dt><dd>{}{}</dd>\n</dl>\n",
      l.title, l.subtitle, l.machine, html_escape(machine_description(doc, l)), l.host,
      html_escape(or_unknown(env.host)), l.date,
      html_escape(date_of(or_unknown(doc.run.started_utc))), l.version,
      html_escape(or_unknown(env.flopbench_version)),
      html_escape(aside(or_unknown(env.git_commit), l)));
  if (!doc.run.complete()) {
    body += fmt::format("<p class=\"banner fail\">{}</p>\n",
                        doc.run.interrupted ? l.run_interrupted : l.run_unfinished);
  }
  // A wrong answer is the first thing to know about a machine whose figures are to be quoted.
  // The first few by name: a GPU whose every measurement failed fills no page with them.
  constexpr std::size_t kWrongNamed = 5;
  std::vector<std::string> wrong;
  std::size_t wrong_count = 0;
  for (const auto& r : doc.measurements) {
    if (!unverified(r) || ++wrong_count > kWrongNamed) continue;
    wrong.push_back(
        source_text(r) +
        aside(r.disposition == Disposition::incorrect ? l.was_incorrect : l.was_failed, l));
  }
  if (wrong_count > wrong.size()) {
    wrong.push_back(fmt::format(fmt::runtime(l.and_more), wrong_count - wrong.size()));
  }
  if (wrong_count > 0) {
    body += fmt::format("<p class=\"banner fail\">{}</p>\n",
                        html_escape(fmt::format(fmt::runtime(l.run_unverified), wrong_count,
                                                fmt::join(wrong, l.clause_separator))));
  }
  // What the figures would be with every passed measurement, to name those left out. A memory
  // figure left out is said to be before a triad within the cache is shown, or sourced.
  const auto all_groups = groups_of(doc);
  const SheetFigures would_be = sheet_figures(doc, all_groups);
  for (std::size_t i = 0; i < figures.bandwidth.size(); ++i) {
    if (would_be.bandwidth.at(i).source) figures.bandwidth[i].in_cache = nullptr;
  }
  const std::set<const MeasurementRecord*> would_show = figure_sources(would_be);
  if (const auto disturbed = std::ranges::count_if(
          would_show, [](const MeasurementRecord* r) { return !headline_worthy(*r); });
      disturbed > 0) {
    body += fmt::format("<p class=\"banner\">{}</p>\n",
                        html_escape(fmt::format(fmt::runtime(l.figures_disturbed), disturbed)));
  }
  body += peak_section(figures, would_be, l);
  body += fmt::format("<p class=\"note\">{}</p>\n", l.peak_note);
  const std::vector<Crossover> found = crossovers(doc);
  std::vector<Crossover> undisturbed;
  std::copy_if(found.begin(), found.end(), std::back_inserter(undisturbed),
               [](const Crossover& c) { return flagged_points(c) == 0; });
  const std::vector<SheetCrossover> shown = sheet_crossovers(found, undisturbed);
  body += workload_section(doc, figures, would_be, l) + crossover_section(shown, l) +
          bandwidth_section(doc, figures, would_be, l);
  body += conditions_section(doc, figures, would_be, left_out_crossover_points(shown), l);
  const std::string css =
      print_scale_ < 1
          ? fmt::format("{}@media print {{ body {{ zoom: {:.2f}; }} }}\n", kSheetCss, print_scale_)
          : std::string(kSheetCss);
  return html_page(l.lang, fmt::format("{}: {}", l.title, or_unknown(env.host)), css, body);
}

}  // namespace flopbench

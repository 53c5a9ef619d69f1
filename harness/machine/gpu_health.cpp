#include "harness/machine/gpu_health.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <system_error>

#include "harness/machine/probe.hpp"
#include "harness/machine/telemetry.hpp"

namespace flopbench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- nvidia-smi ------------------------------------------------------------------------------

std::vector<std::string> split_fields(std::string_view row) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const auto comma = row.find(',', start);
    std::string_view f = row.substr(start, comma == std::string_view::npos ? comma : comma - start);
    while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\r')) f.remove_suffix(1);
    fields.emplace_back(f);
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

// nvidia-smi writes what it cannot give as "[N/A]", "[Not Supported]", "[Insufficient
// Permissions]", or a bare "N/A".
std::optional<std::string> not_given(const std::string& v) {
  if (v == "N/A" || v.empty()) return std::string("nvidia-smi: N/A");
  if (v.size() >= 2 && v.front() == '[' && v.back() == ']') {
    const std::string inner = v.substr(1, v.size() - 2);
    if (inner == "Not Supported") return std::string("not supported");
    if (inner.find("Permission") != std::string::npos) return std::string("permission");
    return "nvidia-smi: " + inner;
  }
  return std::nullopt;
}

HealthFact smi_number(const std::string& v) {
  if (auto why = not_given(v)) return HealthFact::unknown_because(*why);
  double x = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || ptr != v.data() + v.size() || !std::isfinite(x)) {
    return HealthFact::unknown_because(fmt::format("nvidia-smi wrote '{}', not a number", v));
  }
  return HealthFact::of(x);
}

HealthFact smi_text(const std::string& v) {
  if (auto why = not_given(v)) return HealthFact::unknown_because(*why);
  return HealthFact::of_text(v);
}

// "Enabled"/"Disabled", "Yes"/"No" as 1 or 0.
HealthFact smi_flag(const std::string& v) {
  if (auto why = not_given(v)) return HealthFact::unknown_because(*why);
  if (v == "Enabled" || v == "Yes") return HealthFact::of(1);
  if (v == "Disabled" || v == "No") return HealthFact::of(0);
  return HealthFact::unknown_because(fmt::format("nvidia-smi wrote '{}'", v));
}

}  // namespace

std::vector<GpuHealth> parse_nvidia_smi_health(std::string_view csv) {
  const std::size_t columns = split_fields(kNvidiaSmiHealthQuery).size();
  std::vector<GpuHealth> gpus;
  unsigned line_no = 0;
  std::size_t start = 0;
  while (start < csv.size()) {
    auto end = csv.find('\n', start);
    if (end == std::string_view::npos) end = csv.size();
    const std::string_view row = csv.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (row.find_first_not_of(" \r") == std::string_view::npos) continue;
    const auto v = split_fields(row);
    if (v.size() != columns) {
      throw InputError(fmt::format("nvidia-smi output, line {}: expected {} fields, found {}",
                                   line_no, columns, v.size()));
    }
    GpuHealth g;
    const HealthFact index = smi_number(v[0]);
    if (!index.known()) {
      throw InputError(fmt::format("nvidia-smi output, line {}: index '{}'", line_no, v[0]));
    }
    g.index = g.nvml_index = static_cast<int>(*index.number);
    g.pci_bus_id = v[1];
    g.name = v[2];
    // "0x233010DE": device 0x2330, vendor 0x10DE.
    if (unsigned long id = 0;
        v[3].size() == 10 && v[3].starts_with("0x") &&
        std::from_chars(v[3].data() + 2, v[3].data() + 10, id, 16).ec == std::errc()) {
      g.pci_device_id = fmt::format("{:04x}:{:04x}", id & 0xffffu, id >> 16);
    }
    HealthFacts& f = g.facts;
    f["uuid"] = smi_text(v[4]);
    f["serial"] = smi_text(v[5]);
    f["vbios"] = smi_text(v[6]);
    f["inforom"] = smi_text(v[7]);
    f["driver"] = smi_text(v[8]);
    f["persistence_mode"] = smi_flag(v[9]);
    f["ecc.enabled"] = smi_flag(v[10]);
    f["ecc.corrected_volatile"] = smi_number(v[11]);
    f["ecc.uncorrected_volatile"] = smi_number(v[12]);
    f["ecc.corrected_aggregate"] = smi_number(v[13]);
    f["ecc.uncorrected_aggregate"] = smi_number(v[14]);
    f["retired_pages.pending"] = smi_flag(v[15]);
    f["pcie.gen"] = smi_number(v[16]);
    f["pcie.gen_max"] = smi_number(v[17]);
    f["pcie.width"] = smi_number(v[18]);
    f["pcie.width_max"] = smi_number(v[19]);
    f["power.limit_w"] = smi_number(v[20]);
    f["power.default_limit_w"] = smi_number(v[21]);
    derive_power_limit_percent(f);
    f["clocks.applications_sm_mhz"] = smi_number(v[22]);
    f["clocks.applications_memory_mhz"] = smi_number(v[23]);
    f["clocks.max_sm_mhz"] = smi_number(v[24]);
    f["clocks.max_memory_mhz"] = smi_number(v[25]);
    if (auto why = not_given(v[26])) {
      f["clocks.event_reasons"] = f["clocks.throttling"] = HealthFact::unknown_because(*why);
    } else {
      std::uint64_t mask = 0;
      const bool hex =
          v[26].starts_with("0x") &&
          std::from_chars(v[26].data() + 2, v[26].data() + v[26].size(), mask, 16).ec ==
              std::errc();
      if (!hex) {
        f["clocks.event_reasons"] = f["clocks.throttling"] =
            HealthFact::unknown_because(fmt::format("nvidia-smi wrote '{}'", v[26]));
      } else {
        set_clock_event_facts(f, mask);
      }
    }
    // Read by add_nvidia_smi_details from nvidia-smi's other commands.
    const std::string not_queried = "nvidia-smi's query has no such field (NVML did not load)";
    for (const char* name : {"retired_pages.count", "row_remap.corrected", "row_remap.uncorrected",
                             "row_remap.pending", "row_remap.failed", "pcie.replay_count",
                             "nvlink.active", "nvlink.errors", "fabric.state", "processes.other"}) {
      f[name] = HealthFact::unknown_because(not_queried);
    }
    gpus.push_back(std::move(g));
  }
  return gpus;
}

// ---- nvidia-smi -q -x and nvidia-smi nvlink --------------------------------------------------

namespace {

// A minimal reader of nvidia-smi's XML (nvsmi_device_v*.dtd): elements with text or elements,
// the only attribute needed that of <gpu id="00000000:17:00.0">, no CDATA, no comments. Each
// element asked for is found by name within its parent, so that <retired_count>, which both
// <multiple_single_bit_retirement> and <double_bit_retirement> hold, is read from each.
struct XmlElement {
  std::string_view open_tag;  // "<gpu id=\"...\">"
  std::string_view inner;     // what is between the tags
};

// Every `name` element in `xml`, outermost first (elements of one name do not nest in its
// output).
std::vector<XmlElement> xml_elements(std::string_view xml, std::string_view name) {
  std::vector<XmlElement> found;
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name) + ">";
  for (std::size_t pos = 0; (pos = xml.find(open, pos)) != std::string_view::npos;) {
    const std::size_t after = pos + open.size();
    if (after >= xml.size() ||
        std::string_view(" \t\r\n>/").find(xml[after]) == std::string_view::npos) {
      pos = after;  // <pci_bus> when looking for <pci>
      continue;
    }
    const std::size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    const std::string_view open_tag = xml.substr(pos, gt + 1 - pos);
    if (xml[gt - 1] == '/') {  // <name/>
      found.push_back({open_tag, {}});
      pos = gt + 1;
      continue;
    }
    const std::size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    found.push_back({open_tag, xml.substr(gt + 1, end - gt - 1)});
    pos = end + close.size();
  }
  return found;
}

std::string lowercase(std::string_view v) {
  std::string lower;
  for (const char c : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string trimmed(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {  // the five predefined entities
    if (v[i] == '&') {
      bool replaced = false;
      for (const auto& [entity, c] : std::array<std::pair<std::string_view, char>, 5>{
               {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}}) {
        if (v.substr(i).starts_with(entity)) {
          out += c;
          i += entity.size() - 1;
          replaced = true;
          break;
        }
      }
      if (replaced) continue;
    }
    out += v[i];
  }
  return out;
}

// The text of the element at `path` ("pci/replay_counter") under `xml`: nullopt when there is
// none, or when an element on the way holds text instead ("<remapped_rows>N/A</remapped_rows>"
// on a GPU without row remapping: then `text_on_the_way` is that text).
std::optional<std::string> xml_text(std::string_view xml, std::string_view path,
                                    std::string* text_on_the_way = nullptr) {
  std::string_view scope = xml;
  for (;;) {
    const auto slash = path.find('/');
    const auto found = xml_elements(scope, path.substr(0, slash));
    if (found.empty()) return std::nullopt;
    scope = found.front().inner;
    if (slash == std::string_view::npos) return trimmed(scope);
    if (scope.find('<') == std::string_view::npos) {
      if (text_on_the_way != nullptr) *text_on_the_way = trimmed(scope);
      return std::nullopt;
    }
    path.remove_prefix(slash + 1);
  }
}

// The fact at `path` of a GPU's XML, read by `read` (smi_number, smi_flag); unknown with why when
// the XML lacks it.
template <class Read>
HealthFact xml_fact(std::string_view gpu, std::string_view path, Read read) {
  std::string text_on_the_way;
  if (const auto text = xml_text(gpu, path, &text_on_the_way)) return read(*text);
  if (!text_on_the_way.empty()) {
    const std::string parent(path.substr(0, path.rfind('/')));
    if (auto why = not_given(text_on_the_way)) return HealthFact::unknown_because(*why);
    return HealthFact::unknown_because(
        fmt::format("nvidia-smi -q -x wrote '{}' for <{}>", text_on_the_way, parent));
  }
  return HealthFact::unknown_because(fmt::format(
      "nvidia-smi -q -x has no <{}> (a driver too old for it?)",
      std::string(
          path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1))));
}

// "Completed" / "Success" as the NVML reader words a fabric state: "completed", "in progress",
// "not started"; "none" where nvidia-smi says N/A (a GPU outside an NVLink fabric, for which
// NVML answers "not supported"). The -q text and XML show the same words; public outputs of
// R570 and R575 drivers have "Completed" with "Success", "In Progress" with "N/A", and "N/A"
// with "N/A" on GPUs without a fabric (PCIe cards, A100 SXM).
HealthFact fabric_fact(std::string_view gpu) {
  std::string text_on_the_way;
  const auto state = xml_text(gpu, "fabric/state", &text_on_the_way);
  if (!state) {
    if (!text_on_the_way.empty()) {  // <fabric>N/A</fabric>
      return text_on_the_way == "N/A"
                 ? HealthFact::of_text("none")
                 : HealthFact::unknown_because(
                       fmt::format("nvidia-smi -q -x wrote '{}' for <fabric>", text_on_the_way));
    }
    return HealthFact::unknown_because(
        "nvidia-smi -q -x has no <fabric> (a driver too old for it?)");
  }
  if (*state == "N/A") return HealthFact::of_text("none");
  if (auto why = not_given(*state)) return HealthFact::unknown_because(*why);
  std::string words = lowercase(*state);
  if (words == "completed") {
    const auto status = xml_text(gpu, "fabric/status");
    if (status && *status != "Success" && *status != "N/A") words += " with " + *status;
  }
  return HealthFact::of_text(words);
}

// Compute processes of others: <processes><process_info> whose <type> has a C ("C", "C+G",
// "M+C" under MPS; "G" is graphics only), this process not counted. Without any
// <process_info>, "None" or nothing is none.
HealthFact other_processes_fact(std::string_view gpu) {
  const auto processes = xml_elements(gpu, "processes");
  if (processes.empty()) return HealthFact::unknown_because("nvidia-smi -q -x has no <processes>");
  const auto infos = xml_elements(processes.front().inner, "process_info");
  if (infos.empty()) {
    const std::string text = trimmed(processes.front().inner);
    if (text.empty() || text == "None") return HealthFact::of(0);
    if (auto why = not_given(text)) return HealthFact::unknown_because(*why);
    return HealthFact::unknown_because(
        fmt::format("nvidia-smi -q -x wrote '{}' for <processes>", text));
  }
  const std::string self = std::to_string(::getpid());
  int others = 0;
  for (const auto& info : infos) {
    const auto type = xml_text(info.inner, "type");
    const auto pid = xml_text(info.inner, "pid");
    if (!type || !pid) {
      return HealthFact::unknown_because(
          "nvidia-smi -q -x has a <process_info> without <type> or <pid>");
    }
    if (type->find('C') != std::string::npos && *pid != self) ++others;
  }
  return HealthFact::of(others);
}

// pages retired for multiple single-bit errors and for double-bit errors.
HealthFact retired_pages_fact(std::string_view gpu) {
  const HealthFact single =
      xml_fact(gpu, "retired_pages/multiple_single_bit_retirement/retired_count", smi_number);
  const HealthFact dbl =
      xml_fact(gpu, "retired_pages/double_bit_retirement/retired_count", smi_number);
  if (!single.known()) return single;
  if (!dbl.known()) return dbl;
  return HealthFact::of(*single.number + *dbl.number);
}

void add_xml_facts(GpuHealth& g, std::string_view gpu) {
  HealthFacts& f = g.facts;
  f["row_remap.corrected"] = xml_fact(gpu, "remapped_rows/remapped_row_corr", smi_number);
  f["row_remap.uncorrected"] = xml_fact(gpu, "remapped_rows/remapped_row_unc", smi_number);
  f["row_remap.pending"] = xml_fact(gpu, "remapped_rows/remapped_row_pending", smi_flag);
  f["row_remap.failed"] = xml_fact(gpu, "remapped_rows/remapped_row_failure", smi_flag);
  f["pcie.replay_count"] = xml_fact(gpu, "pci/replay_counter", smi_number);
  f["fabric.state"] = fabric_fact(gpu);
  f["retired_pages.count"] = retired_pages_fact(gpu);
  f["processes.other"] = other_processes_fact(gpu);
}

// ---- nvidia-smi nvlink --status and -e
//
// Neither output has a documented grammar; what is read here is what drivers from R450 to R575
// are seen to print (public outputs and the tools that parse them):
//   GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)
//   	 Link 0: 26.562 GB/s                     (--status: an active link and its speed)
//   	 Link 1: <inactive>
//   	 Link 0: Replay Errors: 0               (-e: one line per counter and link)
//   	 Link 0: Recovery Errors: 0
//   	 Link 0: CRC Errors: 0
//   	 Links 0-2, 4-5: Replay/Recovery/CRC Errors: 0   (-e of some drivers: links alike)
// A line of any other form under a GPU makes its NVLink facts unknown, quoting the line.

struct NvlinkGpu {
  std::map<int, std::vector<std::string>> links;  // link -> its values ("26.562 GB/s", ...)
  std::string unknown;                            // why this GPU's lines could not be read
};

std::optional<int> whole_number(std::string_view v) {
  int n = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n < 0) return std::nullopt;
  return n;
}

// "0-2, 4-5" as its links.
std::optional<std::vector<int>> link_list(std::string_view v) {
  std::vector<int> links;
  for (const std::string& part : split_fields(v)) {
    const auto dash = part.find('-');
    const auto first = whole_number(std::string_view(part).substr(0, dash));
    const auto last =
        dash == std::string::npos ? first : whole_number(std::string_view(part).substr(dash + 1));
    if (!first || !last || *last < *first || *last - *first > 64) return std::nullopt;
    for (int l = *first; l <= *last; ++l) links.push_back(l);
  }
  return links;
}

// Output of nvidia-smi nvlink as GPU index -> its links' values.
std::map<int, NvlinkGpu> parse_nvlink_output(std::string_view text, std::string_view command) {
  std::map<int, NvlinkGpu> gpus;
  NvlinkGpu* current = nullptr;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = trimmed(text.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    if (line.starts_with("GPU ")) {
      const auto colon = line.find(':');
      if (const auto index = whole_number(std::string_view(line).substr(4, colon - 4))) {
        current = &gpus[*index];
        continue;
      }
    }
    if (current == nullptr) continue;  // a preamble before the first GPU
    if (!current->unknown.empty()) continue;
    // A GPU whose links are all down: "NVML: Unable to retrieve NVLink information as all links
    // are inActive". Listed without links, it has none active.
    if (lowercase(line).find("all links are inactive") != std::string::npos) continue;
    const auto colon = line.find(": ");
    std::optional<std::vector<int>> links;
    if (line.starts_with("Link ") && colon != std::string::npos) {
      if (const auto link = whole_number(std::string_view(line).substr(5, colon - 5))) {
        links = std::vector<int>{*link};
      }
    } else if (line.starts_with("Links ") && colon != std::string::npos) {
      links = link_list(std::string_view(line).substr(6, colon - 6));
    }
    if (!links) {
      current->unknown = fmt::format("{} wrote '{}'", command, line);
      continue;
    }
    for (const int link : *links) current->links[link].push_back(line.substr(colon + 2));
  }
  return gpus;
}

// "26.562 GB/s" is active, "<inactive>" is not.
std::optional<bool> link_active(const std::string& value) {
  if (value == "<inactive>") return false;
  const auto space = value.find(' ');
  double speed = 0;
  if (space != std::string::npos && value.substr(space + 1) == "GB/s" &&
      std::from_chars(value.data(), value.data() + space, speed).ec == std::errc()) {
    return true;
  }
  return std::nullopt;
}

// A counter line of nvidia-smi nvlink -e ("Replay Errors: 0", "Replay/Recovery/CRC Errors: 0")
// as how many of the counters it names are replay, recovery or CRC counters (the NVML reader
// sums those four: DL replay, DL recovery, DL CRC flit, DL CRC data), and their count. A line
// that names none of them (another counter a newer driver may print) counts 0 whatever its
// value; nullopt for a line that names one without a whole count. Whether nvidia-smi's "CRC
// Errors" is flit, data or both is not documented.
struct CounterLine {
  int counters = 0;
  double errors = 0;
};
std::optional<CounterLine> counter_line(const std::string& value) {
  const auto colon = value.rfind(": ");
  const std::string_view names =
      std::string_view(value).substr(0, colon == std::string::npos ? value.size() : colon);
  CounterLine line;
  for (std::size_t from = 0;;) {
    const auto slash = names.find('/', from);
    const std::string_view name = names.substr(from, slash - from);
    if (name.find("Replay") != std::string_view::npos ||
        name.find("Recovery") != std::string_view::npos ||
        name.find("CRC") != std::string_view::npos) {
      ++line.counters;
    }
    if (slash == std::string_view::npos) break;
    from = slash + 1;
  }
  if (line.counters == 0) return line;
  if (colon == std::string::npos) return std::nullopt;
  const auto count = whole_number(std::string_view(value).substr(colon + 2));
  if (!count) return std::nullopt;
  line.errors = double(line.counters) * *count;
  return line;
}

void add_nvlink_facts(GpuHealth& g, const NvidiaSmiDetails& details,
                      const std::map<int, NvlinkGpu>& status,
                      const std::map<int, NvlinkGpu>& errors) {
  HealthFacts& f = g.facts;
  const auto unknown = [&](const std::string& why) {
    f["nvlink.active"] = f["nvlink.errors"] = HealthFact::unknown_because(why);
  };
  if (!details.nvlink_status.text) {
    return unknown("nvidia-smi nvlink --status: " + details.nvlink_status.unknown);
  }
  const auto it = status.find(g.nvml_index);
  if (it == status.end()) {
    // On a machine without NVLink, nvidia-smi nvlink prints nothing at all.
    if (trimmed(*details.nvlink_status.text).empty()) {
      f["nvlink.active"] = f["nvlink.errors"] = HealthFact::of(0);
      return;
    }
    return unknown(fmt::format("nvidia-smi nvlink --status did not list GPU {}", g.nvml_index));
  }
  if (!it->second.unknown.empty()) return unknown(it->second.unknown);
  // A GPU listed without links has none (a GPU without NVLink, as NVML's "not supported").
  std::vector<int> active;
  for (const auto& [link, values] : it->second.links) {
    const auto up = link_active(values.front());
    if (!up) {
      return unknown(
          fmt::format("nvidia-smi nvlink --status wrote 'Link {}: {}'", link, values.front()));
    }
    if (*up) active.push_back(link);
  }
  f["nvlink.active"] = HealthFact::of(double(active.size()));
  if (active.empty()) {
    f["nvlink.errors"] = HealthFact::of(0);
    return;
  }
  // Summed over the active links, as the NVML reader sums them.
  const auto errors_unknown = [&](const std::string& why) {
    f["nvlink.errors"] = HealthFact::unknown_because(why);
  };
  if (!details.nvlink_errors.text) {
    return errors_unknown("nvidia-smi nvlink -e: " + details.nvlink_errors.unknown);
  }
  const auto e = errors.find(g.nvml_index);
  if (e == errors.end()) {
    return errors_unknown(fmt::format("nvidia-smi nvlink -e did not list GPU {}", g.nvml_index));
  }
  if (!e->second.unknown.empty()) return errors_unknown(e->second.unknown);
  double sum = 0;
  for (const int link : active) {
    const auto values = e->second.links.find(link);
    if (values == e->second.links.end()) {
      return errors_unknown(
          fmt::format("nvidia-smi nvlink -e gave no counters for the active link {}", link));
    }
    int counters = 0;
    for (const std::string& value : values->second) {
      const auto line = counter_line(value);
      if (!line) {
        return errors_unknown(fmt::format("nvidia-smi nvlink -e wrote 'Link {}: {}'", link, value));
      }
      counters += line->counters;
      sum += line->errors;
    }
    if (counters == 0) {
      return errors_unknown(fmt::format(
          "nvidia-smi nvlink -e gave no replay, recovery or CRC count for the active link {}",
          link));
    }
  }
  f["nvlink.errors"] = HealthFact::of(sum);
}

}  // namespace

NvidiaSmiDetails read_nvidia_smi_details() {
  const auto run = [](std::vector<std::string> args, std::chrono::milliseconds timeout) {
    CommandOutput out;
    out.text = run_for_output(std::move(args), timeout, out.unknown);
    return out;
  };
  NvidiaSmiDetails details;
  // -q reads every field of every GPU: seconds on a machine of eight without persistence mode.
  details.xml = run({"nvidia-smi", "-q", "-x"}, 20000ms);
  details.nvlink_status = run({"nvidia-smi", "nvlink", "--status"}, 10000ms);
  details.nvlink_errors = run({"nvidia-smi", "nvlink", "-e"}, 10000ms);
  return details;
}

void add_nvidia_smi_details(std::vector<GpuHealth>& gpus, const NvidiaSmiDetails& details) {
  std::vector<std::pair<std::string, std::string_view>> xml_gpus;  // bus id, its XML
  if (details.xml.text) {
    for (const auto& e : xml_elements(*details.xml.text, "gpu")) {
      const auto id = e.open_tag.find("id=\"");
      if (id == std::string_view::npos) continue;
      const auto end = e.open_tag.find('"', id + 4);
      xml_gpus.emplace_back(std::string(e.open_tag.substr(id + 4, end - id - 4)), e.inner);
    }
  }
  const auto status = details.nvlink_status.text ? parse_nvlink_output(*details.nvlink_status.text,
                                                                       "nvidia-smi nvlink --status")
                                                 : std::map<int, NvlinkGpu>{};
  const auto errors = details.nvlink_errors.text
                          ? parse_nvlink_output(*details.nvlink_errors.text, "nvidia-smi nvlink -e")
                          : std::map<int, NvlinkGpu>{};
  for (GpuHealth& g : gpus) {
    const auto it = std::find_if(xml_gpus.begin(), xml_gpus.end(), [&](const auto& x) {
      return same_pci_bus_id(x.first, g.pci_bus_id);
    });
    if (it != xml_gpus.end()) {
      add_xml_facts(g, it->second);
    } else {
      const std::string why = details.xml.text
                                  ? fmt::format("nvidia-smi -q -x did not list {}", g.pci_bus_id)
                                  : "nvidia-smi -q -x: " + details.xml.unknown;
      for (const char* name : {"retired_pages.count", "row_remap.corrected",
                               "row_remap.uncorrected", "row_remap.pending", "row_remap.failed",
                               "pcie.replay_count", "fabric.state", "processes.other"}) {
        g.facts[name] = HealthFact::unknown_because(why);
      }
    }
    add_nvlink_facts(g, details, status, errors);
  }
}

HealthFacts host_health_facts() {
  HealthFacts facts;
  const std::vector<int> online = parse_cpu_list(read_text("/sys/devices/system/cpu/online"));
  const long configured = ::sysconf(_SC_NPROCESSORS_ONLN);
  facts["cpu.count"] = !online.empty()  ? HealthFact::of(double(online.size()))
                       : configured > 0 ? HealthFact::of(double(configured))
                                        : HealthFact::unknown_because(
                                              "neither /sys/devices/system/cpu/online "
                                              "nor sysconf gives the online CPUs");
  const std::int64_t memory = parse_meminfo(read_text("/proc/meminfo"), "MemTotal");
  facts["memory.gib"] = memory > 0 ? HealthFact::of(double(memory) / double(1ull << 30))
                                   : HealthFact::unknown_because("/proc/meminfo has no MemTotal");
  std::error_code ec;
  int nodes = 0;
  const std::regex node_name("node[0-9]+");
  for (fs::directory_iterator it("/sys/devices/system/node", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (std::regex_match(it->path().filename().string(), node_name)) ++nodes;
  }
  facts["numa.nodes"] =
      nodes > 0 ? HealthFact::of(nodes)
                : HealthFact::unknown_because(
                      ec ? fmt::format("cannot list /sys/devices/system/node: {}", ec.message())
                         : "/sys/devices/system/node lists no node");
  const auto nvidia_gpus = count_pci_nvidia_gpus("/sys/bus/pci/devices");
  facts["pci.nvidia_gpus"] = nvidia_gpus
                                 ? HealthFact::of(*nvidia_gpus)
                                 : HealthFact::unknown_because("cannot list /sys/bus/pci/devices");
  return facts;
}

void read_gpu_health(MachineHealth& health) {
  std::string nvml_why, smi_why;
  std::vector<GpuHealth> gpus;
  if (read_nvml_health(gpus, nvml_why)) {
    health.gpu_source = "nvml";
    health.gpus = std::move(gpus);
    return;
  }
  // Drivers before R535 know the reasons as clocks_throttle_reasons.active (the last field).
  const std::string query(kNvidiaSmiHealthQuery);
  for (const std::string& fields :
       {query, query.substr(0, query.rfind(',') + 1) + "clocks_throttle_reasons.active"}) {
    try {
      const auto output =
          run_for_output({"nvidia-smi", "--query-gpu=" + fields, "--format=csv,noheader,nounits"},
                         5000ms, smi_why);
      if (output) {
        health.gpus = parse_nvidia_smi_health(*output);
        health.gpu_source = "nvidia-smi";
        add_nvidia_smi_details(health.gpus, read_nvidia_smi_details());
        return;
      }
    } catch (const InputError& e) {
      smi_why = e.what();
    }
  }
  health.gpu_unknown = fmt::format("NVML: {}; nvidia-smi: {}", nvml_why, smi_why);
}

void add_xid_facts(MachineHealth& health, const KernelLog& log) {
  health.kernel_log = log.source;
  const auto events = log.text ? parse_xid_events(*log.text) : std::vector<XidEvent>{};
  for (GpuHealth& g : health.gpus) {
    if (!log.text) {
      g.facts["xid.count"] = g.facts["xid.last"] = HealthFact::unknown_because(log.unknown);
      continue;
    }
    if (g.pci_bus_id.empty()) {
      // XID lines name the GPU by its PCI bus id: a GPU whose id could not be read (a lost one,
      // whose NVML handle failed) cannot be told to have none.
      g.facts["xid.count"] = g.facts["xid.last"] =
          HealthFact::unknown_because("its PCI bus id could not be read");
      continue;
    }
    int count = 0;
    const XidEvent* last = nullptr;
    for (const auto& e : events) {
      if (!xid_matches_gpu(e.pci, g.pci_bus_id)) continue;
      ++count;
      last = &e;
    }
    g.facts["xid.count"] = HealthFact::of(count);
    g.facts["xid.last"] = HealthFact::of_text(last ? last->line : "none");
  }
}

void match_cuda_indices(MachineHealth& health, const GpuInventory& cuda) {
  for (GpuHealth& g : health.gpus) {
    const auto it = std::find_if(cuda.devices.begin(), cuda.devices.end(), [&](const GpuDevice& d) {
      return same_pci_bus_id(d.pci_bus_id, g.pci_bus_id);
    });
    g.cuda_visible = it != cuda.devices.end();
    if (g.cuda_visible) g.index = it->index;
  }
}

MachineHealth collect_health(const GpuInventory& cuda) {
  MachineHealth health;
  health.host = host_health_facts();
  read_gpu_health(health);
  match_cuda_indices(health, cuda);
  add_xid_facts(health, read_kernel_log());
  return health;
}

void derive_power_limit_percent(HealthFacts& f) {
  const HealthFact& limit = f["power.limit_w"];
  const HealthFact& default_limit = f["power.default_limit_w"];
  f["power.limit_percent_of_default"] =
      !limit.known()               ? HealthFact::unknown_because(limit.unknown)
      : !default_limit.known()     ? HealthFact::unknown_because(default_limit.unknown)
      : *default_limit.number <= 0 ? HealthFact::unknown_because("the default power limit is 0")
                                   : HealthFact::of(100 * *limit.number / *default_limit.number);
}

void set_clock_event_facts(HealthFacts& f, std::uint64_t mask) {
  const auto names = clock_event_reason_names(mask);
  f["clocks.event_reasons"] =
      HealthFact::of_text(names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")));
  f["clocks.throttling"] = HealthFact::of(double(
      std::ranges::count_if(names, [](const std::string& n) { return is_throttling_reason(n); })));
}

}  // namespace flopbench

#pragma once

// XID errors from the kernel log: the NVIDIA driver writes one line per GPU error
// ("NVRM: Xid (PCI:0000:17:00): 79, pid=..., GPU has fallen off the bus."). Read from
// /dev/kmsg, which needs root or CAP_SYSLOG where kernel.dmesg_restrict is 1; an unreadable log
// makes the XID facts "unknown: permission", never a count of 0.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flopbench {

// Where to read the kernel log from instead of /dev/kmsg: a file in dmesg's or /dev/kmsg's
// format (for tests, or a log saved from another machine).
inline constexpr const char* kKernelLogEnv = "FLOPBENCH_KERNEL_LOG";

struct XidEvent {
  std::string pci;   // as the driver writes it: "0000:17:00" (domain:bus:device)
  int code = 0;      // 79
  std::string line;  // the message, from "NVRM:" on
};

// Every XID line in `log`, oldest first.
std::vector<XidEvent> parse_xid_events(std::string_view log);

// Whether an XID's "0000:17:00" names the GPU at `pci_bus_id` ("00000000:17:00.0"): domain, bus
// and device compared as numbers.
bool xid_matches_gpu(std::string_view xid_pci, std::string_view pci_bus_id);

struct KernelLog {
  std::string source;               // "/dev/kmsg" or the file of kKernelLogEnv
  std::optional<std::string> text;  // empty when it could not be read
  std::string unknown;              // why not: "permission (...)", "cannot read ...: ..."
};

// The kernel log from kKernelLogEnv's file if set, else /dev/kmsg (every record it still holds).
KernelLog read_kernel_log();
// The kernel log from `path`; /dev/kmsg is read record by record, without blocking.
KernelLog read_kernel_log(const std::string& path);

}  // namespace flopbench

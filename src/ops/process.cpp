// The process_* metrics, read from /proc the way the Prometheus client libraries do.
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "dualwrite/ops/metrics.hpp"

namespace dualwrite::ops {

namespace {

std::string read_all(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<double> number(std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<ProcessStats> parse_proc_stat(std::string_view stat, double boot_time, double ticks,
                                            double page_size) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
  // from after the last ')'. Field 3 (state) is the first one after it.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || ticks <= 0) return std::nullopt;
  std::vector<std::string_view> fields;
  std::string_view rest = stat.substr(close + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  // fields[0] is field 3; field N is fields[N - 3].
  auto field = [&](std::size_t n) -> std::optional<double> {
    if (n - 3 >= fields.size()) return std::nullopt;
    return number(fields[n - 3]);
  };
  const auto utime = field(14), stime = field(15), start = field(22), rss = field(24);
  if (!utime || !stime || !start || !rss) return std::nullopt;
  ProcessStats s;
  s.cpu_seconds = (*utime + *stime) / ticks;
  s.start_time_seconds = boot_time + *start / ticks;
  s.resident_bytes = *rss * page_size;
  return s;
}

std::optional<ProcessStats> read_process_stats() {
  double boot_time = 0;
  {
    std::ifstream in("/proc/stat");
    std::string key;
    while (in >> key) {
      if (key == "btime") {
        in >> boot_time;
        break;
      }
      in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
  }
  auto stats = parse_proc_stat(read_all("/proc/self/stat"), boot_time,
                               static_cast<double>(sysconf(_SC_CLK_TCK)),
                               static_cast<double>(sysconf(_SC_PAGESIZE)));
  if (!stats) return std::nullopt;
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  stats->open_fds = fds > 0 ? fds - 1 : 0;  // not counting the iterator's own descriptor
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) stats->max_fds = static_cast<double>(limit.rlim_cur);
  return stats;
}

}  // namespace dualwrite::ops

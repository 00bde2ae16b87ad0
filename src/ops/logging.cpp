#include "dualwrite/ops/logging.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

#include "dualwrite/core/context.hpp"
#include "dualwrite/core/text.hpp"

namespace dualwrite::ops {

namespace {

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

// The JSON string of `s` (core/text.hpp: invalid UTF-8 becomes U+FFFD, so a line is always JSON).
void append_json_string(spdlog::memory_buf_t& dest, std::string_view s) {
  std::string quoted;
  quoted.reserve(s.size() + 2);
  dualwrite::append_json_string(s, quoted);
  append(dest, quoted);
}

// The change the logging thread works on (core/context.hpp): fields of a JSON line.
void append_context_fields(spdlog::memory_buf_t& dest) {
  const auto& context = dualwrite::current_context();
  if (!context || context->empty()) return;
  if (!context->table.empty()) {
    append(dest, ",\"table\":");
    append_json_string(dest, context->table);
  }
  if (!context->operation.empty()) {
    append(dest, ",\"op\":");
    append_json_string(dest, context->operation);
  }
  if (context->xid != 0) {
    append(dest, ",\"xid\":");
    append(dest, std::to_string(context->xid));
  }
  if (context->commit_lsn.is_valid()) {
    append(dest, ",\"commit_lsn\":\"");
    append(dest, context->commit_lsn.to_string());
    append(dest, "\"");
  }
}

// ... and the " [likes insert, xid 740, commit 0/16B2D28]" end of a text or journal line.
void append_context_suffix(spdlog::memory_buf_t& dest) {
  const auto& context = dualwrite::current_context();
  if (!context || context->empty()) return;
  append(dest, " [");
  append(dest, dualwrite::describe(*context));
  append(dest, "]");
}

// %* in the text pattern.
class ContextFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    append_context_suffix(dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ContextFlag>();
  }
};

std::string_view level_name(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto t = system_clock::to_time_t(msg.time);
    const auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[40];
    const auto n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(ms));
    append(dest, "{\"ts\":\"");
    append(dest, ts);
    append(dest, "\",\"level\":\"");
    append(dest, level_name(msg.level));
    append(dest, "\",\"logger\":");
    append_json_string(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    append(dest, ",\"msg\":");
    append_json_string(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    append_context_fields(dest);
    append(dest, "}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// sd-daemon.h's SD_ERR … SD_DEBUG: "<3>" … "<7>".
class JournalFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    int priority = 6;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        priority = 7;
        break;
      case spdlog::level::info:
        priority = 6;
        break;
      case spdlog::level::warn:
        priority = 4;
        break;
      case spdlog::level::err:
        priority = 3;
        break;
      case spdlog::level::critical:
        priority = 2;
        break;
      default:
        break;
    }
    const char prefix[] = {'<', static_cast<char>('0' + priority), '>'};
    dest.append(prefix, prefix + 3);
    // One record per line: the journal would split an embedded newline into two entries
    // without the prefix on the second.
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      dest.push_back(c == '\n' ? ' ' : c);
    }
    append_context_suffix(dest);
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JournalFormatter>();
  }
};

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream || !*stream) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == static_cast<unsigned long long>(st.st_dev) &&
         ino == static_cast<unsigned long long>(st.st_ino);
}

}  // namespace

LogFormat resolve_log_format(std::string_view format) {
  if (format == "text") return LogFormat::text;
  if (format == "json") return LogFormat::json;
  if (format == "journal") return LogFormat::journal;
  if (format == "auto") return stderr_is_journal() ? LogFormat::journal : LogFormat::text;
  throw std::invalid_argument("[log] format: \"" + std::string(format) +
                              "\" is not text, json, journal or auto");
}

spdlog::level::level_enum parse_log_level(std::string_view level) {
  if (level == "warning") return spdlog::level::warn;
  const auto l = spdlog::level::from_str(std::string(level));
  // from_str answers "off" for anything it does not know.
  if (l == spdlog::level::off && level != "off") {
    throw std::invalid_argument("[log] level: \"" + std::string(level) +
                                "\" is not trace, debug, info, warn, error, critical or off");
  }
  return l;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  switch (format) {
    case LogFormat::json:
      return std::make_unique<JsonFormatter>();
    case LogFormat::journal:
      return std::make_unique<JournalFormatter>();
    case LogFormat::text:
      break;
  }
  return nullptr;
}

void setup_logging(std::string_view level, std::string_view format, std::FILE* out) {
  const auto lvl = parse_log_level(level);
  const auto fmt = resolve_log_format(format);
  spdlog::sink_ptr sink;
  if (fmt == LogFormat::text) {
    if (isatty(fileno(out))) {
      sink = std::make_shared<spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>>(
          out, spdlog::color_mode::automatic);
    } else {
      sink = std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>>(out);
    }
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<ContextFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v%*");
    sink->set_formatter(std::move(formatter));
  } else {
    sink = std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>>(out);
    sink->set_formatter(make_log_formatter(fmt));
  }
  auto logger = std::make_shared<spdlog::logger>("dualwrite", std::move(sink));
  logger->set_level(lvl);
  // Warnings and errors reach the file at once (a crash right after must not lose them).
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

void set_level(std::string_view level) {
  spdlog::set_level(parse_log_level(level));
}

void log_error(spdlog::level::level_enum level, std::string_view what, const Error& error) {
  if (!error.context) {
    spdlog::log(level, "{}: {}", what, error.message);
    return;
  }
  const auto outside = current_context();
  set_current_context(error.context);
  spdlog::log(level, "{}: {}", what, error.message);
  set_current_context(outside);
}

}  // namespace dualwrite::ops

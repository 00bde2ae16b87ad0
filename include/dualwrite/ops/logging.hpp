// Logging: spdlog set up for where the daemon runs.
//
// For: one call at start-up that installs the default logger (every stage logs through
// spdlog::info & co.), and set_level() for SIGHUP. Formats, all written to stderr:
//   text     "2026-01-01 12:00:00.123 info message" (colour when stderr is a terminal);
//   json     one JSON object per line: {"ts":"…Z","level":"info","msg":"…"} for log shippers;
//   journal  "<6>message": the syslog priority prefix that journald's stdout/stderr transport
//            turns into PRIORITY= (SyslogLevelPrefix=yes, systemd's default), no timestamp
//            (the journal adds its own). Chosen over spdlog 1.10's systemd_sink, which writes to
//            the journal socket with sd_journal_send: the stream works wherever stderr goes
//            (journal, container runtime, a terminal), can be tested by reading a file, and
//            the priority survives the same way;
//   auto     journal when stderr is connected to the journal (JOURNAL_STREAM names stderr's
//            device and inode, as systemd documents), else text.
// A line logged while the thread works on a source change (core/context.hpp) carries it: JSON
// fields "table", "op", "xid", "commit_lsn"; text and journal lines end in
// " [likes insert, xid 740, commit 0/16B2D28]".
// Not for: deciding the level or format (config/ validates them).
// Thread-safety: setup_logging and set_level replace global spdlog state: call them from one
// thread (start-up, the signal thread); logging itself is thread-safe.
#pragma once

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "dualwrite/core/error.hpp"

namespace dualwrite::ops {

enum class LogFormat { text, json, journal };

// Resolves "text" | "json" | "journal" | "auto" (auto looks at JOURNAL_STREAM and stderr).
// Throws std::invalid_argument for anything else.
LogFormat resolve_log_format(std::string_view format);
// Throws std::invalid_argument for a name spdlog does not know ("warning" is accepted as warn).
spdlog::level::level_enum parse_log_level(std::string_view level);

// A formatter for json / journal (nullptr for text, which uses a pattern).
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

// Installs the default logger "dualwrite" writing to `out` (stderr by default).
void setup_logging(std::string_view level, std::string_view format, std::FILE* out = stderr);
// Changes the level of the default logger (SIGHUP).
void set_level(std::string_view level);

// Logs "<what>: <message>" at `level`, the line carrying the error's context (core/context.hpp)
// even when the work it happened in is over: a batch rejected at its commit, say.
void log_error(spdlog::level::level_enum level, std::string_view what, const Error& error);

}  // namespace dualwrite::ops

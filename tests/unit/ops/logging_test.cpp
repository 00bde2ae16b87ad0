#include "dualwrite/ops/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "dualwrite/core/context.hpp"

namespace dualwrite::ops {
namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[1024];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  return out;
}

class Logging : public ::testing::Test {
 protected:
  void TearDown() override {
    spdlog::set_default_logger(spdlog::stderr_logger_mt("restored-" + std::to_string(++n_)));
    if (file_) std::fclose(file_);
  }
  std::FILE* file_ = std::tmpfile();
  static inline int n_ = 0;
};

TEST_F(Logging, JsonLines) {
  setup_logging("info", "json", file_);
  spdlog::info("slot \"dualwrite\"\tat {}", "0/1");
  spdlog::debug("hidden");
  const auto out = contents(file_);
  EXPECT_NE(out.find(R"("level":"info","logger":"dualwrite","msg":"slot \"dualwrite\"\tat 0/1"})"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.rfind("{\"ts\":\"", 0), 0u) << out;
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
}

TEST_F(Logging, JournalPriorityPrefixes) {
  setup_logging("debug", "journal", file_);
  spdlog::debug("d");
  spdlog::info("i");
  spdlog::warn("w");
  spdlog::error("two\nlines");
  spdlog::critical("c");
  EXPECT_EQ(contents(file_), "<7>d\n<6>i\n<4>w\n<3>two lines\n<2>c\n");
}

TEST_F(Logging, TextAndSetLevel) {
  setup_logging("warn", "text", file_);
  spdlog::info("quiet");
  set_level("info");
  spdlog::info("loud");
  const auto out = contents(file_);
  EXPECT_EQ(out.find("quiet"), std::string::npos);
  EXPECT_NE(out.find(" info loud"), std::string::npos) << out;
}

// Logs lines inside a transaction (one of them inside a change of it) and after it.
void log_a_transaction() {
  set_current_context(ChangeContext{"", "", Lsn{0x16B2D28}, 740});
  {
    ContextScope change("likes", "insert");
    spdlog::warn("refused");
  }
  spdlog::info("committed");
  set_current_context(std::nullopt);
  spdlog::info("idle");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
    lines.push_back(text.substr(at, end - at));
  }
  return lines;
}

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

TEST_F(Logging, ALineAboutAChangeCarriesItsContextAsJsonFields) {
  setup_logging("info", "json", file_);
  log_a_transaction();
  const auto lines = lines_of(contents(file_));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(ends_with(
      lines[0],
      R"("msg":"refused","table":"likes","op":"insert","xid":740,"commit_lsn":"0/16B2D28"})"))
      << lines[0];
  EXPECT_TRUE(ends_with(lines[1], R"("msg":"committed","xid":740,"commit_lsn":"0/16B2D28"})"))
      << lines[1];
  EXPECT_TRUE(ends_with(lines[2], R"("msg":"idle"})")) << lines[2];
}

TEST_F(Logging, ALineAboutAChangeEndsInItsContextInTextAndJournal) {
  setup_logging("info", "journal", file_);
  log_a_transaction();
  EXPECT_EQ(contents(file_),
            "<4>refused [likes insert, xid 740, commit 0/16B2D28]\n"
            "<6>committed [xid 740, commit 0/16B2D28]\n"
            "<6>idle\n");

  std::FILE* text_file = std::tmpfile();
  setup_logging("info", "text", text_file);
  log_a_transaction();
  const auto lines = lines_of(contents(text_file));
  std::fclose(text_file);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(ends_with(lines[0], " warning refused [likes insert, xid 740, commit 0/16B2D28]"))
      << lines[0];
  EXPECT_TRUE(ends_with(lines[1], " info committed [xid 740, commit 0/16B2D28]")) << lines[1];
  EXPECT_TRUE(ends_with(lines[2], " info idle")) << lines[2];
}

TEST_F(Logging, AutoIsJournalOnlyWhenStderrIsTheJournalStream) {
  unsetenv("JOURNAL_STREAM");
  EXPECT_EQ(resolve_log_format("auto"), LogFormat::text);
  setenv("JOURNAL_STREAM", "1:2", 1);  // not stderr's device and inode
  EXPECT_EQ(resolve_log_format("auto"), LogFormat::text);
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(),
         1);
  EXPECT_EQ(resolve_log_format("auto"), LogFormat::journal);
  unsetenv("JOURNAL_STREAM");
}

TEST_F(Logging, RejectsUnknownNames) {
  EXPECT_THROW(resolve_log_format("xml"), std::invalid_argument);
  EXPECT_THROW(parse_log_level("loud"), std::invalid_argument);
  EXPECT_EQ(parse_log_level("warning"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("off"), spdlog::level::off);
}

}  // namespace
}  // namespace dualwrite::ops

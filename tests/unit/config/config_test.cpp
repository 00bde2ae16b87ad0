#include "dualwrite/config/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace dualwrite::config {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  auto owned = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [owned](const char* name) -> const char* {
    auto it = owned->find(name);
    return it == owned->end() ? nullptr : it->second.c_str();
  };
}

const EnvLookup no_env = env_of({});

std::vector<std::string> problems_of(std::string_view toml, const EnvLookup& env = no_env) {
  try {
    (void)load_from_string(toml, "test.toml", env);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

TEST(Config, DefaultsApplyWhenTheFileIsEmpty) {
  const auto r = load_from_string("", "empty.toml", no_env);
  const auto& c = r.config;
  EXPECT_EQ(c.source.slot, "dualwrite");
  EXPECT_EQ(c.source.publication, "dualwrite_legacy");
  EXPECT_EQ(c.source.proto_version, 2);
  EXPECT_EQ(c.source.tables.size(), 9u);
  EXPECT_EQ(c.effective_target_conninfo(), c.source.conninfo);
  EXPECT_EQ(c.apply.batch_max_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(c.apply.batch_max_delay, Milliseconds{100});
  EXPECT_EQ(c.apply.copy_min_rows, 0u);
  EXPECT_EQ(c.apply.streamed_transactions, "spool");
  EXPECT_EQ(c.apply.session_replication_role, "replica");
  EXPECT_EQ(c.apply.live_lock_timeout, Milliseconds{1000});
  EXPECT_EQ(c.metrics.listen, "127.0.0.1:9752");
  for (const auto& v : r.values) EXPECT_EQ(v.source, ValueSource::default_value) << v.key;
}

TEST(Config, FileValuesAndTypesAreRead) {
  const auto r = load_from_string(R"(
[source]
conninfo = "host=db dbname=app user=dualwrite"
slot = "bridge_1"
tables = ["activity_feedback", "ai_suggestions"]
proto_version = 1
[target]
conninfo = "host=other dbname=new"
[apply]
batch_max_changes = 500
batch_max_bytes = 1048576
batch_max_delay = "2s"
[progress]
replay_window = "15min"
)",
                                  "test.toml", no_env);
  const auto& c = r.config;
  EXPECT_EQ(c.source.conninfo, "host=db dbname=app user=dualwrite");
  EXPECT_EQ(c.source.slot, "bridge_1");
  EXPECT_EQ(c.source.tables, (std::vector<std::string>{"activity_feedback", "ai_suggestions"}));
  EXPECT_EQ(c.source.proto_version, 1);
  EXPECT_EQ(c.effective_target_conninfo(), "host=other dbname=new");
  EXPECT_EQ(c.apply.batch_max_changes, 500u);
  EXPECT_EQ(c.apply.batch_max_bytes, 1048576u);
  EXPECT_EQ(c.apply.batch_max_delay, Milliseconds{2000});
  EXPECT_EQ(c.progress.replay_window, Milliseconds{15 * 60 * 1000});
}

TEST(Config, EnvironmentWinsOverTheFile) {
  const auto r =
      load_from_string("[source]\nslot = \"from_file\"\n", "test.toml",
                       env_of({{"DUALWRITE_SOURCE_SLOT", "from_env"},
                               {"DUALWRITE_APPLY_BATCH_MAX_DELAY", "5ms"},
                               {"DUALWRITE_SOURCE_TABLES", "offline_likes, user_attributes"}}));
  EXPECT_EQ(r.config.source.slot, "from_env");
  EXPECT_EQ(r.config.apply.batch_max_delay, Milliseconds{5});
  EXPECT_EQ(r.config.source.tables, (std::vector<std::string>{"offline_likes", "user_attributes"}));
  bool seen = false;
  for (const auto& v : r.values) {
    if (v.key == "slot") {
      EXPECT_EQ(v.source, ValueSource::environment);
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
}

TEST(Config, EveryProblemIsReportedOnOneLineNamingTheKey) {
  const auto problems = problems_of(R"(
[source]
slot = "Bad-Slot"
sloth = 1
[apply]
batch_max_changes = 0
batch_max_delay = "soon"
streamed_transactions = "parallel"
[metrics]
listen = "localhost"
[log]
level = "chatty"
[bogus]
x = 1
)");
  ASSERT_EQ(problems.size(), 8u) << ::testing::PrintToString(problems);
  auto has = [&](std::string_view needle) {
    for (const auto& p : problems) {
      if (p.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("[source] slot must be 1-63 lower-case letters"));
  EXPECT_TRUE(has("unknown key [source] sloth (known in [source]: conninfo"));
  EXPECT_TRUE(has("[apply] batch_max_changes must be between 1 and"));
  EXPECT_TRUE(has("[apply] batch_max_delay must be a duration such as 250ms"));
  EXPECT_TRUE(has("[apply] streamed_transactions must be one of spool, live, got 'parallel'"));
  EXPECT_TRUE(has("[metrics] listen must be host:port"));
  EXPECT_TRUE(has("[log] level must be one of trace, debug, info, warn, error, critical"));
  EXPECT_TRUE(has("unknown section [bogus]"));
  for (const auto& p : problems) EXPECT_EQ(p.find('\n'), std::string::npos) << p;
}

TEST(Config, WrongTomlTypesAreNamed) {
  const auto problems =
      problems_of("[apply]\nbatch_max_changes = \"many\"\n[source]\ntables = \"x\"\n");
  ASSERT_EQ(problems.size(), 2u) << ::testing::PrintToString(problems);
  // Problems come in the order of the key table: [source] before [apply].
  EXPECT_NE(problems[0].find("[source] tables 'x' is not a legacy table"), std::string::npos)
      << problems[0];
  EXPECT_NE(problems[1].find("[apply] batch_max_changes must be a whole number"), std::string::npos)
      << problems[1];
}

TEST(Config, SyntaxErrorsGiveLineAndColumn) {
  const auto problems = problems_of("[source\nslot = 1\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind("test.toml:1:", 0), 0u) << problems[0];
}

TEST(Config, PasswordsInTheFileAreRefusedButNotInTheEnvironment) {
  auto problems = problems_of("[source]\nconninfo = \"host=db password=hunter2\"\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("contains a password"), std::string::npos);
  EXPECT_EQ(problems[0].find("hunter2"), std::string::npos) << "the secret is echoed back";
  problems = problems_of("[target]\nconninfo = \"postgresql://u:secret@db/app\"\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("[target] conninfo contains a password"), std::string::npos);

  const auto r =
      load_from_string("", "t.toml", env_of({{"DUALWRITE_SOURCE_CONNINFO", "host=db password=x"}}));
  EXPECT_EQ(r.config.source.conninfo, "host=db password=x");
  for (const auto& v : r.values) {
    if (v.key == "conninfo" && v.section == "source") {
      EXPECT_EQ(v.value, "<redacted>");
    }
  }
}

// libpq also takes a password as a URI's query parameter, whose key it percent-decodes, and
// reads a URI given as dbname: the file refuses those as it refuses password=.
TEST(Config, PasswordsInAUriAreRefusedToo) {
  for (const std::string conninfo :
       {"postgresql://u@db/app?password=secret",
        "postgres://u@db/app?sslmode=require&password=secret",
        "POSTGRESQL://u@db/app?PASSWORD=secret", "postgresql://u@db/app?pass%77ord=secret",
        "postgresql://u@db/app?%70%61%73%73%77%6F%72%64=secret",
        "postgresql:///app?host=/run&password=secret", "postgres://u:secret@db1:5432,db2:5433/app",
        "dbname='postgresql://u@db/app?password=secret'",
        "host=db dbname=postgresql://u@db/app?password=secret"}) {
    const auto problems = problems_of("[source]\nconninfo = \"" + conninfo + "\"\n");
    ASSERT_EQ(problems.size(), 1u) << conninfo;
    EXPECT_EQ(problems[0],
              "test.toml: [source] conninfo contains a password; keep it out of the config file: "
              "use a libpq passfile, PGPASSWORD, or [source] password_file")
        << conninfo;
  }
  for (const std::string conninfo :
       {"postgresql://u@db/app?passfile=/etc/pgpass", "postgresql://u@db:5432,db2:5433/app",
        "postgresql://u@db/app?application_name=password", "host=db passfile=/x user=password"}) {
    EXPECT_EQ(problems_of("[source]\nconninfo = \"" + conninfo + "\"\n"),
              std::vector<std::string>{})
        << conninfo;
  }
}

// An environment variable that looks like a key and is none (a typo) is warned about, naming
// the nearest key and the keys of its section; the variables of other tools (the test scripts'
// DUALWRITE_TEST_*) are not. A warning, not an error: see config.hpp.
TEST(Config, UnknownEnvironmentVariablesThatLookLikeKeysAreWarnedAbout) {
  const auto r =
      load_from_string("", "t.toml", env_of({{"DUALWRITE_SOURCE_SLOTT", "x"}}),
                       {"DUALWRITE_SOURCE_SLOTT", "DUALWRITE_LOG_LEVL", "DUALWRITE_METRIC_LISTEN",
                        "DUALWRITE_CONNINFO", "DUALWRITE_TEST_CONNINFO", "DUALWRITE_DEVDB_DIR",
                        "DUALWRITE_SOURCE_SLOT", "PATH"});
  ASSERT_EQ(r.warnings.size(), 4u) << ::testing::PrintToString(r.warnings);
  EXPECT_EQ(r.warnings[0].rfind(
                "environment variable DUALWRITE_SOURCE_SLOTT is not a configuration key and is "
                "ignored: did you mean DUALWRITE_SOURCE_SLOT? (keys of [source]: "
                "DUALWRITE_SOURCE_CONNINFO, DUALWRITE_SOURCE_PASSWORD_FILE, DUALWRITE_SOURCE_SLOT,",
                0),
            0u)
      << r.warnings[0];
  EXPECT_NE(
      r.warnings[1].find("DUALWRITE_LOG_LEVL is not a configuration key and is ignored: did you "
                         "mean DUALWRITE_LOG_LEVEL? (keys of [log]: DUALWRITE_LOG_LEVEL, "
                         "DUALWRITE_LOG_FORMAT)"),
      std::string::npos)
      << r.warnings[1];
  EXPECT_NE(r.warnings[2].find("did you mean DUALWRITE_METRICS_LISTEN?"), std::string::npos)
      << r.warnings[2];
  EXPECT_NE(
      r.warnings[3].find("DUALWRITE_CONNINFO is not a configuration key and is ignored: did you "
                         "mean DUALWRITE_SOURCE_CONNINFO or DUALWRITE_TARGET_CONNINFO?"),
      std::string::npos)
      << r.warnings[3];
  EXPECT_EQ(r.config.source.slot, "dualwrite") << "the misspelt variable is not read";
  for (const auto& w : r.warnings) EXPECT_EQ(w.find('\n'), std::string::npos) << w;

  // Also when the configuration has errors: the typo may be their cause.
  try {
    (void)load_from_string("[apply]\nbatch_max_changes = 0\n", "t.toml", no_env,
                           {"DUALWRITE_APPLY_BATCH_MAX_CHANGE"});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.warnings().size(), 1u);
    EXPECT_NE(e.warnings()[0].find("did you mean DUALWRITE_APPLY_BATCH_MAX_CHANGES?"),
              std::string::npos);
  }
}

// A configuration error carries the log format the configuration asks for, when that much
// could be read (the key itself valid, from the file or the environment), so that `run` can
// print its errors the way its logs go.
TEST(Config, ErrorsCarryTheLogFormatWhenItCouldBeRead) {
  auto format_of = [](std::string_view toml, const EnvLookup& env) {
    try {
      (void)load_from_string(toml, "t.toml", env);
    } catch (const ConfigError& e) {
      return e.log_format();
    }
    return std::string("no error");
  };
  EXPECT_EQ(format_of("[log]\nformat = \"json\"\n[apply]\nbatch_max_changes = 0\n", no_env),
            "json");
  EXPECT_EQ(
      format_of("[apply]\nbatch_max_changes = 0\n", env_of({{"DUALWRITE_LOG_FORMAT", "journal"}})),
      "journal");
  EXPECT_EQ(format_of("[apply]\nbatch_max_changes = 0\n", no_env), "auto");
  EXPECT_EQ(format_of("[log]\nformat = \"xml\"\n", no_env), "") << "the format itself is wrong";
  // A syntax error: nothing of the file could be read; the environment still can be.
  EXPECT_EQ(format_of("[log\nformat = \"json\"\n", no_env), "");
  EXPECT_EQ(format_of("[log\n", env_of({{"DUALWRITE_LOG_FORMAT", "json"}})), "json");
  try {
    (void)load_file("/nonexistent/dualwrite.toml", env_of({{"DUALWRITE_LOG_FORMAT", "json"}}),
                    true);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.log_format(), "json");
  }
}

TEST(Config, CrossKeyRules) {
  const auto problems = problems_of(
      "[reconnect]\ninitial_backoff = \"10s\"\nmax_backoff = \"1s\"\n"
      "[apply]\nbatch_max_bytes = \"128MiB\"\n");
  ASSERT_EQ(problems.size(), 2u) << ::testing::PrintToString(problems);
}

TEST(Config, DurationsAndSizes) {
  EXPECT_EQ(parse_duration("250ms"), Milliseconds{250});
  EXPECT_EQ(parse_duration("10s"), Milliseconds{10000});
  EXPECT_EQ(parse_duration("5min"), Milliseconds{300000});
  EXPECT_EQ(parse_duration("2h"), Milliseconds{7200000});
  EXPECT_EQ(parse_duration("0"), Milliseconds{0});
  EXPECT_FALSE(parse_duration("10"));
  EXPECT_FALSE(parse_duration("1.5s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("16MiB"), 16u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1ull << 30);
  EXPECT_FALSE(parse_size("1TiB"));
  EXPECT_FALSE(parse_size("MiB"));
}

TEST(Config, ReloadPlanSeparatesWhatSighupCanApply) {
  const auto before = load_from_string("", "a.toml", no_env);
  const auto after = load_from_string(
      "[log]\nlevel = \"debug\"\n[apply]\nbatch_max_changes = 7\n[source]\nslot = \"other\"\n",
      "b.toml", no_env);
  const auto plan = plan_reload(before, after);
  EXPECT_EQ(plan.applied, (std::vector<std::string>{"[apply] batch_max_changes", "[log] level"}));
  EXPECT_EQ(plan.needs_restart, (std::vector<std::string>{"[source] slot"}));
}

TEST(Config, MissingFileIsAnErrorOnlyWhenNamed) {
  EXPECT_THROW((void)load_file("/nonexistent/dualwrite.toml", no_env, true), ConfigError);
  const auto r = load_file("/nonexistent/dualwrite.toml",
                           env_of({{"DUALWRITE_SOURCE_SLOT", "envonly"}}), false);
  EXPECT_EQ(r.config.source.slot, "envonly");
}

TEST(Config, PasswordFile) {
  const std::string path = ::testing::TempDir() + "/dw_password";
  { std::ofstream(path) << "s3cret\n"; }
  EXPECT_EQ(read_password_file(path), "s3cret");
  { std::ofstream(path) << ""; }
  EXPECT_THROW((void)read_password_file(path), ConfigError);
  EXPECT_THROW((void)read_password_file(path + ".missing"), ConfigError);
}

// The shipped, commented file must name every key and hold exactly the defaults, so that
// reading it teaches the truth.
TEST(Config, ShippedFileHoldsEveryKeyAtItsDefault) {
  const auto shipped = load_file(DUALWRITE_SHIPPED_CONFIG, no_env, true);
  const auto defaults = load_from_string(render_defaults(), "defaults", no_env);
  ASSERT_EQ(shipped.values.size(), defaults.values.size());
  for (std::size_t i = 0; i < shipped.values.size(); ++i) {
    const auto& s = shipped.values[i];
    EXPECT_EQ(s.source, ValueSource::file)
        << "[" << s.section << "] " << s.key << " is missing from config/dualwrite.toml";
    EXPECT_EQ(s.value, defaults.values[i].value) << "[" << s.section << "] " << s.key;
  }
}

}  // namespace
}  // namespace dualwrite::config

// The grouped apply is invisible: a seeded random legacy workload, applied with target
// transactions of many source transactions each (ops reordered into per-kind statements by
// apply/batch.hpp), leaves the new tables exactly as applying it one source transaction at a
// time does, and as mapping.md computes them from the legacy tables (dualwrite_expected).
//
// The workload draws every op kind, including the cases the batch must keep in order: a row
// inserted, updated and deleted in one batch; a link arriving after its user's rows (their
// unlinked_user letters are applied by it); a user unlinked and relinked; a session deleted and
// its id reused; like / unlike / like of one activity, with out-of-order created_at; a
// suggestion shrinking and deleted (its feedback loses its suggestion); messages of sessions
// whose user is unlinked (missing_parent, then applied with the session); a user deleted with
// everything they wrote (rule 4); invalid values (dead letters).
//
// DUALWRITE_GROUPED_SEED and DUALWRITE_GROUPED_TRANSACTIONS run it longer or with another seed
// (bench/README.md: the longer run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bridge_harness.hpp"

namespace dualwrite::testing {
namespace {

std::uint32_t env_or(const char* name, std::uint32_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? static_cast<std::uint32_t>(std::stoul(v)) : fallback;
}

// Legacy traffic as SQL transactions, explicit in every value (ids, timestamps), so that the
// same text gives the same rows in two databases.
class Workload {
 public:
  // `churn`: links also move and go, users are deleted with everything they wrote, and chat
  // session ids come back. The expected-state views (verify's) do not model those histories
  // (an account that no link names any more, say), so only the calm workload is compared with
  // them; both are compared one source transaction at a time.
  Workload(std::uint32_t seed, bool churn) : rng_(seed), churn_(churn) {
    std::string setup = "BEGIN;";
    for (int i = 0; i < 10; ++i) {
      setup +=
          "INSERT INTO public.activities (id, slug, title, is_published, created_at) VALUES ('" +
          uuid() + "', 'act-" + std::to_string(i) + "', 'Activity " + std::to_string(i) +
          "', true, '2026-01-01');";
    }
    setup += "COMMIT;";
    setup_ = setup;
    for (int i = 0; i < 14; ++i) users_.push_back(new_user(setup_));
  }

  const std::string& setup() const { return setup_; }

  std::string transaction() {
    std::string sql = "BEGIN;";
    const int ops = pick(1, 5);
    for (int i = 0; i < ops; ++i) sql += op();
    return sql + "COMMIT;";
  }

 private:
  struct Link {
    std::string id, account;
  };
  struct Feedback {
    std::string user, slug, type;
  };
  struct Suggestion {
    std::string user;
    int items = 0;
  };

  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(1, 100) <= percent; }
  template <class C>
  auto any_of(C& c) {
    auto it = c.begin();
    std::advance(it, pick(0, static_cast<int>(c.size()) - 1));
    return it;
  }
  std::string uuid() {
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", pick(0, INT32_MAX),
                  pick(0, 0xffff), pick(0, 0xfff), pick(0, 0xfff),
                  static_cast<unsigned long long>(rng_()) << 16 | pick(0, 0xffff));
    return buf;
  }
  // The clock of the workload; now and then an older time (likes arriving out of order), but
  // never for chat messages: their sequence follows arrival, and the backfill's (and so the
  // expected state's) follows created_at, which mapping.md takes to agree.
  std::string time(bool in_order = false) {
    clock_ += pick(1, 50);
    const int t = !in_order && chance(15) ? clock_ - pick(1, 2000) : clock_;
    return "'2026-02-01'::timestamptz + interval '" + std::to_string(t) + " seconds'";
  }
  std::string slug() {
    return chance(10) ? "gone-" + std::to_string(pick(0, 2)) : "act-" + std::to_string(pick(0, 9));
  }
  std::string q(const std::string& s) { return "'" + s + "'"; }
  std::string new_user(std::string& sql) {
    const std::string id = uuid();
    sql += "INSERT INTO auth.users (id, email) VALUES (" + q(id) + ", " + q(id + "@example.com") +
           ");";
    return id;
  }
  const std::string& user() { return *any_of(users_); }

  std::string op() {
    const int roll = pick(1, 100);
    if (roll <= 8) return link_op();
    if (roll <= 14) return attributes_op();
    if (roll <= 18) return metadata_op();
    if (roll <= 48) return feedback_op();
    if (roll <= 56) return suggestion_op();
    if (roll <= 62) return offline_op();
    if (roll <= 70) return conversation_op();
    if (roll <= 94) return message_op();
    if (roll <= 98 || !churn_) return context_op();
    return delete_user_op();
  }

  std::string link_op() {
    const std::string& u = user();
    auto it = links_.find(u);
    if (it == links_.end()) {
      Link l{uuid(), uuid()};
      links_[u] = l;
      return "INSERT INTO public.account_linkages (id, user_id, account_id, created_at) VALUES (" +
             q(l.id) + ", " + q(u) + ", " + q(l.account) + ", " + time() + ");";
    }
    if (!churn_) return feedback_op();
    if (chance(50)) {
      const std::string id = it->second.id;
      links_.erase(it);
      return "DELETE FROM public.account_linkages WHERE id = " + q(id) + ";";
    }
    it->second.account = uuid();  // the link moves to a new account
    return "UPDATE public.account_linkages SET account_id = " + q(it->second.account) +
           " WHERE id = " + q(it->second.id) + ";";
  }

  std::string attributes_op() {
    const std::string& u = user();
    // (accounts.updated_at only moves forward, a profile's touch included, where the expected
    // state recomputes it from the rows left: deletes are churn.)
    if (churn_ && attributes_.count(u) != 0 && chance(25)) {
      attributes_.erase(u);
      return "DELETE FROM public.user_attributes WHERE user_id = " + q(u) + ";";
    }
    // An invalid value in an UPDATE is dead-lettered and leaves the row as it was, where the
    // expected state has no row: only the churn workload writes one over a valid row.
    const bool may_be_invalid = churn_ || attributes_.count(u) == 0;
    attributes_.insert(u);
    const std::string age = may_be_invalid && chance(10) ? "'99+'" : "'25-34'";
    const std::string prefs = may_be_invalid && chance(10)
                                  ? R"('{"notifications": 3}')"
                                  : R"('{"notifications": {"email": true}, "theme": ")" +
                                        std::to_string(pick(0, 9)) + R"("}')";
    return "INSERT INTO public.user_attributes (user_id, display_name, age_range, preferences, "
           "updated_at) VALUES (" +
           q(u) + ", 'name " + std::to_string(pick(0, 99)) + "', " + age + ", " + prefs + ", " +
           time() +
           ") ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, "
           "age_range = EXCLUDED.age_range, preferences = EXCLUDED.preferences, updated_at = "
           "EXCLUDED.updated_at;";
  }

  std::string metadata_op() {
    std::string account = uuid();
    if (!links_.empty() && chance(80)) account = any_of(links_)->second.account;
    const bool may_be_invalid = churn_ || metadata_.count(account) == 0;
    metadata_.insert(account);
    const char* statuses[] = {"active", "suspended", "deleted", "bogus"};
    const std::string status = statuses[may_be_invalid && chance(8) ? 3 : pick(0, 2)];
    return "INSERT INTO public.account_metadata (account_id, status, onboarding_state, "
           "updated_at) VALUES (" +
           q(account) + ", " + q(status) + R"(, '{"step": )" + std::to_string(pick(1, 5)) + "}', " +
           time() +
           ") ON CONFLICT (account_id) DO UPDATE SET status = EXCLUDED.status, onboarding_state = "
           "EXCLUDED.onboarding_state, updated_at = EXCLUDED.updated_at;";
  }

  std::string feedback_op() {
    if (!feedback_.empty() && chance(25)) {
      auto it = any_of(feedback_);
      const long id = it->first;
      if (chance(55)) {
        feedback_.erase(it);
        return "DELETE FROM public.activity_feedback WHERE id = " + std::to_string(id) + ";";
      }
      return "UPDATE public.activity_feedback SET score = " + std::to_string(pick(0, 999)) +
             ".5, metadata = '{\"edited\": " + std::to_string(pick(0, 9)) +
             "}' WHERE id = " + std::to_string(id) + ";";
    }
    const std::string& u = user();
    const char* types[] = {"like", "save", "dislike", "view", "skip", "booked", "shared", "weird"};
    const std::string type = types[chance(3) ? 7 : pick(0, 6)];
    std::string s = slug();
    std::string suggestion = "NULL";
    for (const auto& [id, sg] : suggestions_) {
      if (sg.user == u && chance(60)) {
        suggestion = q(id);
        s = "act-" + std::to_string(pick(0, std::max(0, sg.items - 1)));
        break;
      }
    }
    const long id = ++feedback_id_;
    feedback_[id] = {u, s, type};
    return "INSERT INTO public.activity_feedback (id, user_id, activity_slug, feedback_type, "
           "suggestion_id, score, metadata, created_at) VALUES (" +
           std::to_string(id) + ", " + q(u) + ", " + q(s) + ", " + q(type) + ", " + suggestion +
           ", 0." + std::to_string(pick(0, 999)) + R"(, '{"src": "app"}', )" + time() + ");";
  }

  std::string suggestion_op() {
    if (!suggestions_.empty() && chance(40)) {
      auto it = any_of(suggestions_);
      const std::string id = it->first;
      if (chance(30)) {
        suggestions_.erase(it);
        return "DELETE FROM public.ai_suggestions WHERE id = " + q(id) + ";";
      }
      it->second.items = std::max(0, it->second.items - pick(0, 2));  // shrinking
      return "UPDATE public.ai_suggestions SET status = 'completed', suggestions = " +
             items(it->second.items) + " WHERE id = " + q(id) + ";";
    }
    const std::string id = uuid();
    const int n = pick(1, 4);
    suggestions_[id] = {user(), n};
    const char* sources[] = {"quiz", "chat", "manual", "cron", "bogus"};
    return "INSERT INTO public.ai_suggestions (id, user_id, source, prompt, model, suggestions, "
           "status, created_at) VALUES (" +
           q(id) + ", " + q(suggestions_[id].user) + ", " + q(sources[chance(5) ? 4 : pick(0, 3)]) +
           R"(, '{"q": 1}', 'gpt', )" + items(n) + ", 'pending', " + time() + ");";
  }
  std::string items(int n) {
    std::string a = "'[";
    for (int i = 0; i < n; ++i) {
      if (i) a += ", ";
      a += R"({"slug": "act-)" + std::to_string(i) + R"(", "score": 0.)" +
           std::to_string(pick(1, 9)) + R"(, "features": {"f": )" + std::to_string(i) + "}}";
    }
    return a + "]'";
  }

  std::string offline_op() {
    const std::string& u = user();
    const std::string s = "act-" + std::to_string(pick(0, 3));
    const auto key = u + "|" + s;
    if (offline_.count(key) != 0 && chance(40)) {
      offline_.erase(key);
      return "DELETE FROM public.offline_likes WHERE user_id = " + q(u) +
             " AND activity_slug = " + q(s) + ";";
    }
    offline_.insert(key);
    return "INSERT INTO public.offline_likes (user_id, activity_slug, payload, updated_at) "
           "VALUES (" +
           q(u) + ", " + q(s) + R"(, '{"n": )" + std::to_string(pick(0, 9)) + "}', " + time() +
           ") ON CONFLICT (user_id, activity_slug) DO UPDATE SET payload = EXCLUDED.payload, "
           "updated_at = EXCLUDED.updated_at;";
  }

  std::string conversation_op() {
    if (!conversations_.empty() && chance(45)) {
      auto it = any_of(conversations_);
      const std::string id = it->first;
      if (chance(40)) {
        conversations_.erase(it);
        std::erase_if(messages_, [&](const auto& m) { return m.second == id; });
        contexts_.erase(id);
        reusable_ = id;  // its id comes back later
        return "DELETE FROM public.chatbot_conversations WHERE id = " + q(id) + ";";
      }
      return "UPDATE public.chatbot_conversations SET context = '{\"turn\": " +
             std::to_string(pick(0, 9)) + "}', updated_at = " + time() + " WHERE id = " + q(id) +
             ";";
    }
    std::string id = uuid();
    if (churn_ && !reusable_.empty() && chance(50)) id = std::exchange(reusable_, {});
    conversations_[id] = user();
    const std::string type = chance(4) ? "smalltalk" : "trip_planning";
    return "INSERT INTO public.chatbot_conversations (id, user_id, conversation_type, created_at, "
           "updated_at) VALUES (" +
           q(id) + ", " + q(conversations_[id]) + ", " + q(type) + ", " + time() + ", " + time() +
           ");";
  }

  std::string message_op() {
    if (conversations_.empty()) return conversation_op();
    if (!messages_.empty() && chance(20)) {
      auto it = any_of(messages_);
      const std::string id = it->first;
      if (chance(40)) {
        messages_.erase(it);
        return "DELETE FROM public.chatbot_messages WHERE id = " + q(id) + ";";
      }
      return "UPDATE public.chatbot_messages SET content = 'edited " + std::to_string(pick(0, 9)) +
             "' WHERE id = " + q(id) + ";";
    }
    const std::string id = uuid();
    const std::string conversation = any_of(conversations_)->first;
    messages_[id] = conversation;
    const char* roles[] = {"user", "assistant", "tool", "narrator"};
    return "INSERT INTO public.chatbot_messages (id, conversation_id, role, content, metadata, "
           "created_at) VALUES (" +
           q(id) + ", " + q(conversation) + ", " + q(roles[chance(3) ? 3 : pick(0, 2)]) +
           ", 'hello " + std::to_string(pick(0, 999)) + R"(', '{"latency_ms": )" +
           std::to_string(pick(1, 900)) + "}', " + time(/*in_order=*/true) + ");";
  }

  std::string context_op() {
    if (conversations_.empty()) return conversation_op();
    const std::string conversation = any_of(conversations_)->first;
    if (contexts_.count(conversation) != 0 && chance(30)) {
      contexts_.erase(conversation);
      return "DELETE FROM public.conversation_context WHERE conversation_id = " + q(conversation) +
             ";";
    }
    contexts_.insert(conversation);
    return "INSERT INTO public.conversation_context (conversation_id, summary, updated_at) "
           "VALUES (" +
           q(conversation) + ", 'summary " + std::to_string(pick(0, 99)) + "', " + time() +
           ") ON CONFLICT (conversation_id) DO UPDATE SET summary = EXCLUDED.summary, updated_at "
           "= EXCLUDED.updated_at;";
  }

  std::string delete_user_op() {
    // Everything the user wrote goes with them, in an order the stream does not promise.
    auto it = any_of(users_);
    const std::string u = *it;
    links_.erase(u);
    attributes_.erase(u);
    std::erase_if(feedback_, [&](const auto& f) { return f.second.user == u; });
    std::erase_if(suggestions_, [&](const auto& s) { return s.second.user == u; });
    std::erase_if(offline_, [&](const std::string& k) { return k.rfind(u + "|", 0) == 0; });
    std::set<std::string> gone;
    for (const auto& [id, owner] : conversations_) {
      if (owner == u) gone.insert(id);
    }
    std::erase_if(conversations_, [&](const auto& c) { return gone.count(c.first) != 0; });
    std::erase_if(messages_, [&](const auto& m) { return gone.count(m.second) != 0; });
    std::erase_if(contexts_, [&](const std::string& c) { return gone.count(c) != 0; });
    if (gone.count(reusable_) != 0) reusable_.clear();
    std::string sql = "DELETE FROM auth.users WHERE id = " + q(u) + ";";
    *it = new_user(sql);
    return sql;
  }

  std::mt19937 rng_;
  bool churn_;
  std::string setup_;
  int clock_ = 0;
  long feedback_id_ = 0;
  std::vector<std::string> users_;
  std::map<std::string, Link> links_;
  std::set<std::string> attributes_;
  std::set<std::string> metadata_;
  std::map<long, Feedback> feedback_;
  std::map<std::string, Suggestion> suggestions_;
  std::set<std::string> offline_;
  std::map<std::string, std::string> conversations_;  // id -> user
  std::map<std::string, std::string> messages_;       // id -> conversation
  std::set<std::string> contexts_;
  std::string reusable_;
};

// The first few of a list of differences: enough to name the problem.
std::vector<std::string> first(std::vector<std::string> v) {
  if (v.size() > 6) {
    const auto n = v.size();
    v.resize(6);
    v.push_back("… " + std::to_string(n) + " in all");
  }
  return v;
}

// Dead letters as comparable text: their ids and times differ between two runs.
std::vector<std::string> letters(TestDatabase& db) {
  auto rows = db.rows(
      "SELECT source_table || ' ' || operation || ' ' || reason || ' ' || "
      "coalesce(old_key::text, '') || ' ' || coalesce(new_row::text, '') || ' ' || "
      "(resolved_at IS NOT NULL) FROM dualwrite.dead_letters");
  std::sort(rows.begin(), rows.end());
  return rows;
}

// Applies the workload one source transaction at a time into one database and in groups of up
// to 400 into another, and compares the two.
struct Outcome {
  std::unique_ptr<TestDatabase> grouped, serial;
  apply::ApplyStats* grouped_stats = nullptr;
  std::uint64_t grouped_statements = 0, serial_statements = 0;
};

// `copy_min_rows`: the grouped apply's (ApplyOptions); 1: all its statements that have a staged
// form go by COPY.
void apply_both_ways(std::uint32_t seed, std::uint32_t transactions, bool churn, Outcome& out,
                     std::size_t copy_min_rows = apply::ApplyOptions{}.copy_min_rows) {
  const bool staged = copy_min_rows != apply::ApplyOptions{}.copy_min_rows;
  SCOPED_TRACE("seed " + std::to_string(seed) + (churn ? ", churn" : ", calm") +
               (staged ? ", staged" : ""));
  const std::string name = std::string(churn ? "grouped_c" : "grouped_") + (staged ? "t" : "");
  out.grouped = std::make_unique<TestDatabase>(name + "g");
  out.serial = std::make_unique<TestDatabase>(name + "s");
  TestDatabase& grouped = *out.grouped;
  TestDatabase& serial = *out.serial;
  Workload workload(seed, churn);
  grouped.exec(workload.setup());
  serial.exec(workload.setup());
  Bridge g(grouped), s(serial);
  g.set_copy_min_rows(copy_min_rows);
  // The serial side keeps the default session_replication_role: the database runs the foreign
  // keys' checks and cascades and the triggers. The grouped side runs as the daemon does, with
  // replica, where the statements do what those did (migration 20261206000100): equal results
  // hold the statements to it.
  s.set_replica_role(false);
  // DUALWRITE_GROUPED_DUMP=FILE keeps the workload's SQL, to replay a failure by hand.
  const char* dump_path = std::getenv("DUALWRITE_GROUPED_DUMP");
  std::FILE* dump = dump_path != nullptr ? std::fopen(dump_path, "w") : nullptr;
  if (dump != nullptr) std::fprintf(dump, "%s\n", workload.setup().c_str());
  for (std::uint32_t t = 0; t < transactions; ++t) {
    const std::string sql = workload.transaction();
    grouped.exec(sql);
    serial.exec(sql);
    if (dump != nullptr) std::fprintf(dump, "%s\n", sql.c_str());
  }
  if (dump != nullptr) std::fclose(dump);
  const int serial_commits = s.pump();
  const int grouped_commits = g.pump_grouped(seed, 400);
  EXPECT_LT(grouped_commits * 10, serial_commits) << "the groups are not grouping";
  EXPECT_TRUE(g.replica_role_seen())
      << "the grouped side ran with session_replication_role = replica";
  EXPECT_FALSE(s.replica_role_seen());

  auto serial_rows = target_table_rows(serial);
  auto grouped_rows = target_table_rows(grouped);
  EXPECT_GT(serial_rows.size(), transactions / 2);
  std::sort(serial_rows.begin(), serial_rows.end());
  std::sort(grouped_rows.begin(), grouped_rows.end());
  // Difference by difference: each names its row.
  std::vector<std::string> only_serial, only_grouped;
  std::set_difference(serial_rows.begin(), serial_rows.end(), grouped_rows.begin(),
                      grouped_rows.end(), std::back_inserter(only_serial));
  std::set_difference(grouped_rows.begin(), grouped_rows.end(), serial_rows.begin(),
                      serial_rows.end(), std::back_inserter(only_grouped));
  EXPECT_EQ(first(only_serial), std::vector<std::string>{});
  EXPECT_EQ(first(only_grouped), std::vector<std::string>{});
  auto grouped_letters = letters(grouped), serial_letters = letters(serial);
  std::vector<std::string> letters_only_serial, letters_only_grouped;
  std::set_difference(serial_letters.begin(), serial_letters.end(), grouped_letters.begin(),
                      grouped_letters.end(), std::back_inserter(letters_only_serial));
  std::set_difference(grouped_letters.begin(), grouped_letters.end(), serial_letters.begin(),
                      serial_letters.end(), std::back_inserter(letters_only_grouped));
  EXPECT_EQ(first(letters_only_serial), std::vector<std::string>{});
  EXPECT_EQ(first(letters_only_grouped), std::vector<std::string>{});
  EXPECT_EQ(g.stats().careful_retries.load(), 0u) << "no group was refused";
  // The apply's scratch tables hold nothing between transactions (migrations 20261204000700,
  // 20261205000200).
  for (auto* db : {out.grouped.get(), out.serial.get()}) {
    EXPECT_EQ(db->scalar("SELECT (SELECT count(*) FROM dualwrite.apply_deleted_links) + "
                         "(SELECT count(*) FROM dualwrite.apply_outcome_keys) + "
                         "(SELECT count(*) FROM dualwrite.apply_stage)"),
              "0");
  }
  if (staged) {
    // Every statement that has a staged form (deletes have none: apply/statements.hpp).
    EXPECT_GT(g.stats().staged_statements.load() * 2, g.stats().statements.load())
        << "the statements went by COPY";
  } else {
    EXPECT_EQ(g.stats().staged_statements.load(), 0u);
  }
  EXPECT_GT(g.stats().merged[static_cast<int>(translate::LegacyTable::activity_feedback)].load(),
            0u);
  out.grouped_statements = g.stats().statements.load();
  out.serial_statements = s.stats().statements.load();
}

TEST(GroupedApply, EqualsOneSourceTransactionAtATimeAndTheMapping) {
  const std::uint32_t seed = env_or("DUALWRITE_GROUPED_SEED", 20261204);
  const std::uint32_t transactions = env_or("DUALWRITE_GROUPED_TRANSACTIONS", 1200);
  Outcome out;
  apply_both_ways(seed, transactions, /*churn=*/false, out);
  // Both are what mapping.md computes from the legacy rows (verify's expected state).
  EXPECT_EQ(out.grouped->rows("SELECT table_name || ' ' || key || ' ' || problem "
                              "FROM dualwrite_expected.diff_all(3)"),
            std::vector<std::string>{});
  // The statements really were grouped: far fewer than one per source transaction.
  EXPECT_LT(out.grouped_statements * 3, out.serial_statements);
}

TEST(GroupedApply, EqualsOneSourceTransactionAtATimeUnderChurn) {
  // Links moving and going, users deleted with all they wrote, session ids reused: each forces
  // order (barriers, rule 4 per source transaction), and the result must not tell.
  const std::uint32_t seed = env_or("DUALWRITE_GROUPED_SEED", 20261204) + 1;
  const std::uint32_t transactions = env_or("DUALWRITE_GROUPED_TRANSACTIONS", 1200);
  Outcome out;
  apply_both_ways(seed, transactions, /*churn=*/true, out);
}

TEST(GroupedApply, StagedByCopyEqualsOneSourceTransactionAtATime) {
  // The same churn, every statement of the grouped side going by COPY into
  // dualwrite.apply_stage and the statements' staged forms (apply/statements.hpp).
  const std::uint32_t seed = env_or("DUALWRITE_GROUPED_SEED", 20261204) + 2;
  const std::uint32_t transactions = env_or("DUALWRITE_GROUPED_TRANSACTIONS", 1200);
  Outcome out;
  apply_both_ways(seed, transactions, /*churn=*/true, out, /*copy_min_rows=*/1);
}

}  // namespace
}  // namespace dualwrite::testing

// The decoder on a live PostgreSQL 15: DML on every legacy table arrives decoded with the values
// written (unicode included), an UPDATE that leaves a TOASTed column alone sends it as unchanged,
// TRUNCATE and logical messages decode, and a 100k-row transaction decoded in protocol 2 with
// streaming arrives as Stream Start/Stop blocks, 100k inserts carrying its xid, and one Stream
// Commit. Each test gets its own database cloned from dualwrite_template and its own slot.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "dualwrite/decode/json.hpp"
#include "dualwrite/decode/pgoutput.hpp"
#include "support/pg_test.hpp"

namespace dualwrite::decode {
namespace {

using dualwrite::testing::TestDatabase;

constexpr const char* kLegacyTables =
    "public.account_linkages, public.user_attributes, public.account_metadata, "
    "public.activities, public.activity_feedback, public.ai_suggestions, public.offline_likes, "
    "public.chatbot_conversations, public.chatbot_messages, public.conversation_context";

// The decoded output of one pg_logical_slot_get_binary_changes call. `messages` view `raw`,
// which is sized once and never reallocated.
struct Changes {
  std::vector<std::string> raw;
  std::vector<Message> messages;
  RelationMap relations;
};

void prepare(TestDatabase& db) {
  db.exec(std::string("CREATE PUBLICATION dw_test_pub FOR TABLE ") + kLegacyTables);
  // Slots are cluster-wide and tests run in parallel: the slot is named after the database.
  db.exec("SELECT pg_create_logical_replication_slot('" + db.name() + "', 'pgoutput')");
}

std::unique_ptr<Changes> get_changes(TestDatabase& db, int proto, bool streaming) {
  std::string sql = "SELECT data FROM pg_logical_slot_get_binary_changes('" + db.name() +
                    "', NULL, NULL, "
                    "'proto_version', '" +
                    std::to_string(proto) +
                    "', 'publication_names', 'dw_test_pub', 'messages', 'true'";
  if (streaming) sql += ", 'streaming', 'on'";
  sql += ")";
  // Binary results: the bytes exactly as pgoutput wrote them.
  PGresult* res = PQexecParams(db.conn(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1);
  auto changes = std::make_unique<Changes>();
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "get changes failed: " << PQerrorMessage(db.conn());
    PQclear(res);
    return changes;
  }
  const int n = PQntuples(res);
  changes->raw.reserve(static_cast<std::size_t>(n));
  changes->messages.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    changes->raw.emplace_back(PQgetvalue(res, i, 0),
                              static_cast<std::size_t>(PQgetlength(res, i, 0)));
  }
  PQclear(res);
  Decoder decoder;
  for (const auto& bytes : changes->raw) {
    auto m = decoder.decode(as_bytes(bytes));
    if (!m) {
      ADD_FAILURE() << "message " << changes->messages.size() << ": " << m.error().message;
      break;
    }
    changes->relations.observe(*m);
    changes->messages.push_back(std::move(m).value());
  }
  EXPECT_FALSE(decoder.in_streamed_block());
  return changes;
}

std::string value_text(const TupleValue& v) {
  switch (v.kind) {
    case TupleValue::Kind::null:
      return "<null>";
    case TupleValue::Kind::unchanged_toast:
      return "<unchanged>";
    default:
      return std::string(v.data);
  }
}

// A row change with its relation name and its values by column name.
struct Row {
  char tag;
  std::string table;
  OldTupleKind old_kind = OldTupleKind::none;
  std::map<std::string, std::string> old_values;
  std::map<std::string, std::string> values;
};

std::map<std::string, std::string> named(const Relation& r, const TupleData& t) {
  std::map<std::string, std::string> out;
  EXPECT_EQ(r.columns.size(), t.columns.size()) << r.relation_name;
  for (std::size_t i = 0; i < r.columns.size() && i < t.columns.size(); ++i) {
    out[r.columns[i].name] = value_text(t.columns[i]);
  }
  return out;
}

std::vector<Row> rows_of(const Changes& c) {
  std::vector<Row> rows;
  for (const auto& m : c.messages) {
    if (const auto* i = std::get_if<Insert>(&m)) {
      const Relation* r = c.relations.find(i->relation_id);
      if (r == nullptr) continue;
      rows.push_back({'I', r->relation_name, OldTupleKind::none, {}, named(*r, i->new_tuple)});
    } else if (const auto* u = std::get_if<Update>(&m)) {
      const Relation* r = c.relations.find(u->relation_id);
      if (r == nullptr) continue;
      rows.push_back({'U', r->relation_name, u->old_kind,
                      u->old_kind == OldTupleKind::none ? std::map<std::string, std::string>{}
                                                        : named(*r, u->old_tuple),
                      named(*r, u->new_tuple)});
    } else if (const auto* d = std::get_if<Delete>(&m)) {
      const Relation* r = c.relations.find(d->relation_id);
      if (r == nullptr) continue;
      rows.push_back({'D', r->relation_name, d->old_kind, named(*r, d->old_tuple), {}});
    }
  }
  return rows;
}

const Row* find_row(const std::vector<Row>& rows, char tag, const std::string& table) {
  for (const auto& r : rows) {
    if (r.tag == tag && r.table == table) return &r;
  }
  return nullptr;
}

class DecodeLive : public ::testing::TestWithParam<int> {};

TEST_P(DecodeLive, DmlOnEveryLegacyTable) {
  TestDatabase db("decode_dml");
  prepare(db);
  db.exec(R"SQL(
    INSERT INTO auth.users (id, email) VALUES ('00000000-0000-0000-0000-0000000000a1', 'a@x.io');
    BEGIN;
    INSERT INTO public.account_linkages (user_id, account_id)
      VALUES ('00000000-0000-0000-0000-0000000000a1', 'acc00000-0000-0000-0000-000000000001');
    INSERT INTO public.user_attributes (user_id, display_name, preferences)
      VALUES ('00000000-0000-0000-0000-0000000000a1', 'Zoë 東京 🚀', '{"k": "v"}');
    INSERT INTO public.account_metadata (account_id, status)
      VALUES ('acc00000-0000-0000-0000-000000000001', 'suspended');
    INSERT INTO public.activities (id, slug, title, duration_minutes)
      VALUES ('20000000-0000-0000-0000-000000000001', 'tram-28', 'Tram «28»', 90);
    INSERT INTO public.ai_suggestions (id, user_id, source, suggestions)
      SELECT '30000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a1', 'chat',
             jsonb_agg(jsonb_build_object('slug', 's' || g, 'reason', md5(g::text) || md5((g+1)::text)))
        FROM generate_series(1, 300) g;
    INSERT INTO public.activity_feedback (id, user_id, activity_slug, feedback_type, score)
      VALUES (1, '00000000-0000-0000-0000-0000000000a1', 'tram-28', 'like', 1.5);
    INSERT INTO public.offline_likes (user_id, activity_slug)
      VALUES ('00000000-0000-0000-0000-0000000000a1', 'tram-28');
    INSERT INTO public.chatbot_conversations (id, user_id, conversation_type)
      VALUES ('40000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a1', 'support');
    INSERT INTO public.chatbot_messages (id, conversation_id, role, content)
      VALUES ('50000000-0000-0000-0000-000000000001', '40000000-0000-0000-0000-000000000001',
              'user', E'line1\nline2 — ünïcödé');
    INSERT INTO public.conversation_context (conversation_id, summary)
      VALUES ('40000000-0000-0000-0000-000000000001', 'résumé');
    COMMIT;
  )SQL");
  // One transaction each (a multi-statement exec would be one implicit transaction).
  db.exec(
      "UPDATE public.ai_suggestions SET status = 'completed' "
      "WHERE id = '30000000-0000-0000-0000-000000000001'");
  db.exec("UPDATE public.offline_likes SET activity_slug = 'tram-28-night'");
  db.exec("DELETE FROM public.chatbot_messages");
  db.exec("TRUNCATE public.conversation_context");
  db.exec("SELECT pg_logical_emit_message(true, 'dualwrite-test', 'hello ✓')");

  auto changes = get_changes(db, GetParam(), false);
  const auto rows = rows_of(*changes);

  const std::set<std::string> legacy = {
      "account_linkages",  "user_attributes",     "account_metadata", "activities",
      "activity_feedback", "ai_suggestions",      "offline_likes",    "chatbot_conversations",
      "chatbot_messages",  "conversation_context"};
  std::set<std::string> inserted;
  for (const auto& r : rows) {
    if (r.tag == 'I') inserted.insert(r.table);
  }
  EXPECT_EQ(inserted, legacy);

  const Row* attrs = find_row(rows, 'I', "user_attributes");
  ASSERT_NE(attrs, nullptr);
  EXPECT_EQ(attrs->values.at("display_name"), "Zoë 東京 🚀");
  EXPECT_EQ(attrs->values.at("account_id"), "acc00000-0000-0000-0000-000000000001");
  EXPECT_EQ(attrs->values.at("preferences"), R"({"k": "v"})");
  EXPECT_EQ(find_row(rows, 'I', "account_metadata")->values.at("status"), "suspended");
  EXPECT_EQ(find_row(rows, 'I', "activities")->values.at("title"), "Tram «28»");
  EXPECT_EQ(find_row(rows, 'I', "activities")->values.at("duration_minutes"), "90");
  EXPECT_EQ(find_row(rows, 'I', "activity_feedback")->values.at("score"), "1.500");
  EXPECT_EQ(find_row(rows, 'I', "chatbot_messages")->values.at("content"),
            "line1\nline2 — ünïcödé");
  EXPECT_EQ(find_row(rows, 'I', "conversation_context")->values.at("summary"), "résumé");
  EXPECT_GT(find_row(rows, 'I', "ai_suggestions")->values.at("suggestions").size(), 20'000u);

  const Row* status = find_row(rows, 'U', "ai_suggestions");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->values.at("status"), "completed");
  EXPECT_EQ(status->values.at("suggestions"), "<unchanged>") << "TOASTed and not updated";
  EXPECT_EQ(status->old_kind, OldTupleKind::none);

  const Row* rekey = find_row(rows, 'U', "offline_likes");
  ASSERT_NE(rekey, nullptr);
  EXPECT_EQ(rekey->old_kind, OldTupleKind::key);
  EXPECT_EQ(rekey->old_values.at("activity_slug"), "tram-28");
  EXPECT_EQ(rekey->values.at("activity_slug"), "tram-28-night");

  const Row* deleted = find_row(rows, 'D', "chatbot_messages");
  ASSERT_NE(deleted, nullptr);
  EXPECT_EQ(deleted->old_kind, OldTupleKind::key);
  EXPECT_EQ(deleted->old_values.at("id"), "50000000-0000-0000-0000-000000000001");

  int truncates = 0;
  int messages = 0;
  int begins = 0;
  int commits = 0;
  for (const auto& m : changes->messages) {
    if (const auto* t = std::get_if<Truncate>(&m)) {
      ++truncates;
      ASSERT_EQ(t->relation_ids.size(), 1u);
      EXPECT_EQ(changes->relations.find(t->relation_ids[0])->relation_name, "conversation_context");
    }
    if (const auto* l = std::get_if<LogicalMessage>(&m)) {
      ++messages;
      EXPECT_TRUE(l->transactional());
      EXPECT_EQ(l->prefix, "dualwrite-test");
      EXPECT_EQ(l->content, "hello ✓");
    }
    begins += std::holds_alternative<Begin>(m);
    commits += std::holds_alternative<Commit>(m);
    EXPECT_FALSE(std::holds_alternative<StreamStart>(m));
  }
  EXPECT_EQ(truncates, 1);
  EXPECT_EQ(messages, 1);
  EXPECT_EQ(begins, 6);  // the big insert, 2 updates, delete, truncate, message
  EXPECT_EQ(commits, begins);
}

INSTANTIATE_TEST_SUITE_P(Protocols, DecodeLive, ::testing::Values(1, 2),
                         [](const auto& param_info) {
                           return "proto" + std::to_string(param_info.param);
                         });

TEST(DecodeLiveStreaming, HundredThousandRowTransactionIsStreamed) {
  TestDatabase db("decode_stream");
  prepare(db);
  db.exec(R"SQL(
    INSERT INTO auth.users (id, email) VALUES ('00000000-0000-0000-0000-0000000000a1', 'a@x.io');
    INSERT INTO public.activity_feedback (id, user_id, activity_slug, feedback_type, metadata)
    SELECT g, '00000000-0000-0000-0000-0000000000a1', 'activity-' || (g % 500), 'view',
           jsonb_build_object('position', g)
      FROM generate_series(1, 100000) AS g;
  )SQL");
  // Decoding memory is the decoding session's setting: make it small so the transaction streams.
  db.exec("SET logical_decoding_work_mem = '64kB'");
  auto changes = get_changes(db, 2, true);

  std::map<char, int> tags;
  std::set<TransactionId> stream_xids;
  std::set<TransactionId> change_xids;
  std::vector<StreamCommit> commits;
  long long next_id = 1;
  bool in_order = true;
  for (const auto& m : changes->messages) {
    ++tags[tag_of(m)];
    if (const auto* s = std::get_if<StreamStart>(&m)) stream_xids.insert(s->xid);
    if (const auto* c = std::get_if<StreamCommit>(&m)) commits.push_back(*c);
    if (const auto* i = std::get_if<Insert>(&m)) {
      ASSERT_TRUE(i->xid.has_value());
      change_xids.insert(*i->xid);
      ASSERT_EQ(i->new_tuple.columns.size(),
                changes->relations.find(i->relation_id)->columns.size());
      in_order = in_order && i->new_tuple.columns[0].data == std::to_string(next_id);
      ++next_id;
    }
  }
  EXPECT_EQ(tags['I'], 100'000);
  EXPECT_TRUE(in_order) << "inserts arrive in insertion order, ids 1..100000";
  EXPECT_EQ(tags['B'], 0) << "a streamed transaction has no Begin";
  EXPECT_EQ(tags['C'], 0);
  EXPECT_GT(tags['S'], 10) << "64kB of decoding memory splits 100k rows into many blocks";
  EXPECT_EQ(tags['S'], tags['E']);
  // Other transactions can stream through this slot too, with no changes of ours: ones that
  // only touch shared catalogs (pg_database, pg_replication_origin…), which parallel tests
  // write, are decoded for every database. The one that carries the inserts is what counts.
  ASSERT_EQ(change_xids.size(), 1u);
  std::erase_if(commits, [&](const StreamCommit& c) { return !change_xids.count(c.xid); });
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_TRUE(stream_xids.count(commits[0].xid));
  EXPECT_EQ(change_xids, std::set<TransactionId>{commits[0].xid});
  EXPECT_TRUE(commits[0].commit_lsn.is_valid());
  EXPECT_GT(commits[0].end_lsn, commits[0].commit_lsn);
}

}  // namespace
}  // namespace dualwrite::decode

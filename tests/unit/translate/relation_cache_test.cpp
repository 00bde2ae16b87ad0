#include "dualwrite/translate/relation_cache.hpp"

#include <gtest/gtest.h>

namespace dualwrite::translate {
namespace {

decode::Relation relation(decode::Oid id, const char* schema, const char* name,
                          std::vector<const char*> columns) {
  decode::Relation r;
  r.relation_id = id;
  r.namespace_name = schema;
  r.relation_name = name;
  for (const char* c : columns) r.columns.push_back({0, c, 25, -1});
  return r;
}

decode::TupleValue text(std::string_view s) {
  return {decode::TupleValue::Kind::text, s};
}

TEST(RelationCache, MapsWireColumnsByNameWhateverTheirOrder) {
  RelationCache cache;
  // A source table with the columns in another order and one extra column.
  ASSERT_TRUE(cache.remember(relation(7, "public", "conversation_context",
                                      {"updated_at", "extra", "summary", "conversation_id"})));
  decode::Insert ins;
  ins.relation_id = 7;
  ins.new_tuple.columns = {text("2026-01-01"), text("ignored"), text("hello"), text("c1")};
  auto change = cache.change_of(ins);
  ASSERT_TRUE(change.ok());
  ASSERT_TRUE(change->has_value());
  const auto& row = (*change)->new_row;
  namespace k = col::conversation_context;
  EXPECT_EQ(row[k::conversation_id].text, "c1");
  EXPECT_EQ(row[k::summary].text, "hello");
  EXPECT_EQ(row[k::updated_at].text, "2026-01-01");
}

TEST(RelationCache, OtherRelationsAreIgnoredAndUnknownIdsAreErrors) {
  RelationCache cache;
  ASSERT_TRUE(cache.remember(relation(8, "public", "activities", {"id", "slug"})));
  decode::Insert ins;
  ins.relation_id = 8;
  ins.new_tuple.columns = {text("a"), text("b")};
  auto change = cache.change_of(ins);
  ASSERT_TRUE(change.ok());
  EXPECT_FALSE(change->has_value());
  ins.relation_id = 9;
  EXPECT_FALSE(cache.change_of(ins).ok());
}

TEST(RelationCache, ALegacyTableMissingAColumnIsRefused) {
  RelationCache cache;
  const auto s =
      cache.remember(relation(7, "public", "conversation_context", {"conversation_id", "summary"}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("has no column updated_at"), std::string::npos)
      << s.error().message;
}

TEST(RelationCache, TupleWidthMustMatchTheRelation) {
  RelationCache cache;
  ASSERT_TRUE(cache.remember(
      relation(7, "public", "conversation_context", {"conversation_id", "summary", "updated_at"})));
  decode::Delete del;
  del.relation_id = 7;
  del.old_tuple.columns = {text("c1")};
  EXPECT_FALSE(cache.change_of(del).ok());
}

}  // namespace
}  // namespace dualwrite::translate

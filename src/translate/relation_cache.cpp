#include "dualwrite/translate/relation_cache.hpp"

#include <string>

namespace dualwrite::translate {

Status RelationCache::remember(const decode::Relation& relation) {
  Mapping m;
  m.table = find_legacy_table(relation.namespace_name, relation.relation_name);
  if (m.table) {
    const auto& t = info(*m.table);
    std::vector<bool> seen(t.columns.size(), false);
    m.position_of_wire_column.assign(relation.columns.size(), -1);
    for (std::size_t w = 0; w < relation.columns.size(); ++w) {
      for (std::size_t p = 0; p < t.columns.size(); ++p) {
        if (t.columns[p].name == relation.columns[w].name) {
          m.position_of_wire_column[w] = static_cast<std::int8_t>(p);
          seen[p] = true;
        }
      }
    }
    for (std::size_t p = 0; p < t.columns.size(); ++p) {
      if (!seen[p]) {
        return make_error(ErrorDomain::translate,
                          "source table public." + std::string(t.name) + " has no column " +
                              std::string(t.columns[p].name) +
                              ": the source schema is not the legacy schema dualwrite translates");
      }
    }
  }
  mappings_[relation.relation_id] = std::move(m);
  return Ok{};
}

Result<const RelationCache::Mapping*> RelationCache::find(decode::Oid relation_id) const {
  const auto it = mappings_.find(relation_id);
  if (it == mappings_.end()) {
    return make_error(ErrorDomain::decode, "change for relation " + std::to_string(relation_id) +
                                               " arrived before its Relation message");
  }
  return &it->second;
}

std::optional<LegacyTable> RelationCache::table_of(decode::Oid relation_id) const {
  const auto it = mappings_.find(relation_id);
  return it == mappings_.end() ? std::nullopt : it->second.table;
}

Status RelationCache::fill(const Mapping& m, const decode::TupleData& tuple, Row& row) const {
  if (tuple.columns.size() != m.position_of_wire_column.size()) {
    return make_error(ErrorDomain::decode, "tuple has " + std::to_string(tuple.columns.size()) +
                                               " columns, its Relation message " +
                                               std::to_string(m.position_of_wire_column.size()));
  }
  for (std::size_t w = 0; w < tuple.columns.size(); ++w) {
    const std::int8_t p = m.position_of_wire_column[w];
    if (p < 0) continue;
    const auto& src = tuple.columns[w];
    Value& v = row[static_cast<std::size_t>(p)];
    switch (src.kind) {
      case decode::TupleValue::Kind::null:
        v.state = Value::State::null;
        break;
      case decode::TupleValue::Kind::unchanged_toast:
        v.state = Value::State::unchanged;
        break;
      case decode::TupleValue::Kind::text:
        v = {Value::State::text, src.data};
        break;
      case decode::TupleValue::Kind::binary:
        return make_error(ErrorDomain::decode,
                          "binary tuple data: dualwrite requests the text format");
    }
  }
  return Ok{};
}

Result<std::optional<Change>> RelationCache::change_of(const decode::Insert& msg) const {
  auto m = find(msg.relation_id);
  if (!m) return m.error();
  if (!(*m)->table) return std::optional<Change>{};
  Change c;
  c.table = *(*m)->table;
  c.op = Operation::insert;
  if (auto s = fill(**m, msg.new_tuple, c.new_row); !s) return s.error();
  return std::optional<Change>{c};
}

Result<std::optional<Change>> RelationCache::change_of(const decode::Update& msg) const {
  auto m = find(msg.relation_id);
  if (!m) return m.error();
  if (!(*m)->table) return std::optional<Change>{};
  Change c;
  c.table = *(*m)->table;
  c.op = Operation::update;
  if (auto s = fill(**m, msg.new_tuple, c.new_row); !s) return s.error();
  if (msg.old_kind != decode::OldTupleKind::none) {
    c.has_old_key = true;
    if (auto s = fill(**m, msg.old_tuple, c.old_key); !s) return s.error();
  }
  return std::optional<Change>{c};
}

Result<std::optional<Change>> RelationCache::change_of(const decode::Delete& msg) const {
  auto m = find(msg.relation_id);
  if (!m) return m.error();
  if (!(*m)->table) return std::optional<Change>{};
  Change c;
  c.table = *(*m)->table;
  c.op = Operation::delete_;
  c.has_old_key = true;
  if (auto s = fill(**m, msg.old_tuple, c.old_key); !s) return s.error();
  return std::optional<Change>{c};
}

Result<std::vector<LegacyTable>> RelationCache::tables_of(const decode::Truncate& msg) const {
  std::vector<LegacyTable> out;
  for (auto id : msg.relation_ids) {
    auto m = find(id);
    if (!m) return m.error();
    if ((*m)->table) out.push_back(*(*m)->table);
  }
  return out;
}

}  // namespace dualwrite::translate

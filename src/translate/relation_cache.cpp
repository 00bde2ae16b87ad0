#include "dualwrite/translate/relation_cache.hpp"

#include <string>

#include "dualwrite/decode/json.hpp"

namespace dualwrite::translate {

namespace {

std::string qualified(const decode::Relation& r) {
  return (r.namespace_name.empty() ? std::string("pg_catalog") : r.namespace_name) + "." +
         r.relation_name;
}

// Maps the wire columns of a legacy table onto its fixed positions. Returns what does not match
// (empty when every column the mapping reads is there, with its type).
std::string map_columns(const decode::Relation& relation, const LegacyTableInfo& t,
                        std::vector<std::int8_t>& position_of_wire_column) {
  std::vector<bool> seen(t.columns.size(), false);
  std::string missing, retyped;
  position_of_wire_column.assign(relation.columns.size(), -1);
  for (std::size_t w = 0; w < relation.columns.size(); ++w) {
    for (std::size_t p = 0; p < t.columns.size(); ++p) {
      const LegacyColumn& column = t.columns[p];
      if (column.name != relation.columns[w].name) continue;
      seen[p] = true;
      if (relation.columns[w].type_oid == oid_of(column.type)) {
        position_of_wire_column[w] = static_cast<std::int8_t>(p);
      } else if (column.read) {
        // A column that is only carried into letters is left out when retyped: its text may
        // no longer be what its JSON kind expects.
        if (!retyped.empty()) retyped += "; ";
        retyped += std::string(t.name) + "." + std::string(column.name) + " has type " +
                   type_name_of_oid(relation.columns[w].type_oid) + ", the mapping reads " +
                   type_name_of_oid(oid_of(column.type));
      }
    }
  }
  std::size_t missing_count = 0;
  for (std::size_t p = 0; p < t.columns.size(); ++p) {
    if (seen[p] || !t.columns[p].read) continue;
    if (missing_count++ > 0) missing += ", ";
    missing += t.columns[p].name;
  }
  std::string out;
  if (missing_count > 0) {
    out = std::string(t.name) + (missing_count == 1 ? " has no column " : " has no columns ") +
          missing + " (the mapping reads " + (missing_count == 1 ? "it" : "them") +
          "; renamed or dropped on the source?)";
  }
  if (!retyped.empty()) {
    if (!out.empty()) out += "; ";
    out += retyped + " (ALTER COLUMN ... TYPE on the source?)";
  }
  return out;
}

// JSON numbers as RFC 8259 writes them; numeric and float text may also be NaN or Infinity.
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

void append_wire_value(std::string& out, decode::Oid type, std::string_view text) {
  switch (type) {
    case 114:   // json
    case 3802:  // jsonb
      out += text;
      return;
    case 16:  // boolean
      out += text == "t" ? "true" : "false";
      return;
    case 20:    // bigint
    case 21:    // smallint
    case 23:    // integer
    case 700:   // real
    case 701:   // double precision
    case 1700:  // numeric
      if (is_json_number(text)) {
        out += text;
        return;
      }
      break;
    default:
      break;
  }
  decode::append_json_string(text, out);
}

}  // namespace

Result<std::string> wire_row_json(const decode::Relation& relation, const decode::TupleData& tuple,
                                  bool key_only) {
  if (tuple.columns.size() != relation.columns.size()) {
    return make_error(ErrorDomain::decode, "tuple has " + std::to_string(tuple.columns.size()) +
                                               " columns, its Relation message " +
                                               std::to_string(relation.columns.size()));
  }
  std::string out = "{";
  for (std::size_t w = 0; w < tuple.columns.size(); ++w) {
    const auto& column = relation.columns[w];
    const auto& value = tuple.columns[w];
    if (key_only && !column.is_key()) continue;
    if (value.kind == decode::TupleValue::Kind::unchanged_toast) continue;
    if (value.kind == decode::TupleValue::Kind::binary) {
      return make_error(ErrorDomain::decode,
                        "binary tuple data: dualwrite requests the text format");
    }
    if (out.size() > 1) out += ',';
    decode::append_json_string(column.name, out);
    out += ':';
    if (value.kind == decode::TupleValue::Kind::null) {
      out += "null";
    } else {
      append_wire_value(out, column.type_oid, value.data);
    }
  }
  out += '}';
  return out;
}

std::optional<RelationNotice> RelationCache::remember(const decode::Relation& relation) {
  Mapping m;
  m.relation = relation;
  m.relation.xid.reset();
  m.kind = classify_relation(relation.namespace_name, relation.relation_name);
  if (m.kind.role == RelationRole::legacy) {
    m.mismatch = map_columns(relation, info(*m.kind.table), m.position_of_wire_column);
  } else if (m.kind.role == RelationRole::unknown) {
    m.mismatch = qualified(relation) +
                 " is not a table dualwrite follows (a legacy table renamed on the source? the "
                 "publication follows a table whatever its name)";
  }

  const auto it = mappings_.find(relation.relation_id);
  const Mapping* before = it == mappings_.end() ? nullptr : &it->second;
  std::optional<RelationNotice> notice;
  if (before == nullptr || !(before->relation == m.relation)) {
    const std::string name =
        "relation " + qualified(relation) + " (oid " + std::to_string(relation.relation_id) + ")";
    const std::string letters =
        "its changes become schema_mismatch dead letters (dualwrite dead-letters list --reason "
        "schema_mismatch; docs/cutover.md, \"DDL on legacy tables\")";
    if (m.kind.role == RelationRole::unknown) {
      notice = RelationNotice{true, name +
                                        " is not a table dualwrite follows (a legacy table "
                                        "renamed on the source?): " +
                                        letters};
    } else if (!m.mismatch.empty()) {
      notice = RelationNotice{true, name + ": " + m.mismatch + "; " + letters +
                                        " until a Relation message has the legacy columns again"};
    } else if (m.kind.role == RelationRole::legacy && before != nullptr &&
               !before->mismatch.empty()) {
      notice =
          RelationNotice{false, name + " matches the legacy schema again: translation resumes"};
    } else if (m.kind.role == RelationRole::switched &&
               (before == nullptr || before->kind.role != RelationRole::switched)) {
      notice = RelationNotice{false, name +
                                         " is a legacy table moved aside by the Phase 2 switch: "
                                         "its changes are not translated"};
    }
  }
  mappings_[relation.relation_id] = std::move(m);
  return notice;
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
  return it == mappings_.end() ? std::nullopt : it->second.kind.table;
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

Result<Mapped> RelationCache::unmapped(const Mapping& m, Operation op,
                                       const decode::TupleData* old_tuple, bool old_is_key,
                                       const decode::TupleData* new_tuple) const {
  Unmapped u;
  u.source_table = m.relation.relation_name;
  u.table = m.kind.table;
  u.op = op;
  u.detail = m.mismatch;
  if (old_tuple != nullptr) {
    auto json = wire_row_json(m.relation, *old_tuple, old_is_key);
    if (!json) return json.error();
    u.old_key_json = std::move(*json);
  }
  if (new_tuple != nullptr) {
    auto json = wire_row_json(m.relation, *new_tuple, false);
    if (!json) return json.error();
    u.new_row_json = std::move(*json);
  }
  const decode::TupleData* key_source = old_tuple != nullptr ? old_tuple : new_tuple;
  if (key_source != nullptr) {
    for (std::size_t w = 0; w < m.relation.columns.size(); ++w) {
      if (!m.relation.columns[w].is_key()) continue;
      const auto& v = key_source->columns[w];
      u.key.emplace_back(m.relation.columns[w].name,
                         v.kind == decode::TupleValue::Kind::text   ? std::string(v.data)
                         : v.kind == decode::TupleValue::Kind::null ? std::string("NULL")
                                                                    : std::string("?"));
    }
  }
  return Mapped{std::move(u)};
}

Result<Mapped> RelationCache::map(const decode::Insert& msg) const {
  auto m = find(msg.relation_id);
  if (!m) return m.error();
  if ((*m)->kind.role == RelationRole::switched) return Mapped{};
  if (!(*m)->mismatch.empty()) {
    return unmapped(**m, Operation::insert, nullptr, false, &msg.new_tuple);
  }
  Change c;
  c.table = *(*m)->kind.table;
  c.op = Operation::insert;
  if (auto s = fill(**m, msg.new_tuple, c.new_row); !s) return s.error();
  return Mapped{c};
}

Result<Mapped> RelationCache::map(const decode::Update& msg) const {
  auto m = find(msg.relation_id);
  if (!m) return m.error();
  if ((*m)->kind.role == RelationRole::switched) return Mapped{};
  const bool has_old = msg.old_kind != decode::OldTupleKind::none;
  if (!(*m)->mismatch.empty()) {
    return unmapped(**m, Operation::update, has_old ? &msg.old_tuple : nullptr,
                    msg.old_kind == decode::OldTupleKind::key, &msg.new_tuple);
  }
  Change c;
  c.table = *(*m)->kind.table;
  c.op = Operation::update;
  if (auto s = fill(**m, msg.new_tuple, c.new_row); !s) return s.error();
  if (has_old) {
    c.has_old_key = true;
    if (auto s = fill(**m, msg.old_tuple, c.old_key); !s) return s.error();
  }
  return Mapped{c};
}

Result<Mapped> RelationCache::map(const decode::Delete& msg) const {
  auto m = find(msg.relation_id);
  if (!m) return m.error();
  if ((*m)->kind.role == RelationRole::switched) return Mapped{};
  if (!(*m)->mismatch.empty()) {
    return unmapped(**m, Operation::delete_, &msg.old_tuple,
                    msg.old_kind == decode::OldTupleKind::key, nullptr);
  }
  Change c;
  c.table = *(*m)->kind.table;
  c.op = Operation::delete_;
  c.has_old_key = true;
  if (auto s = fill(**m, msg.old_tuple, c.old_key); !s) return s.error();
  return Mapped{c};
}

Result<std::vector<Mapped>> RelationCache::map(const decode::Truncate& msg) const {
  std::vector<Mapped> out;
  for (auto id : msg.relation_ids) {
    auto m = find(id);
    if (!m) return m.error();
    switch ((*m)->kind.role) {
      case RelationRole::legacy: {
        Change c;
        c.table = *(*m)->kind.table;
        c.op = Operation::truncate;
        out.emplace_back(c);
        break;
      }
      case RelationRole::unknown: {
        auto u = unmapped(**m, Operation::truncate, nullptr, false, nullptr);
        if (!u) return u.error();
        out.push_back(std::move(*u));
        break;
      }
      case RelationRole::switched:
        break;
    }
  }
  return out;
}

}  // namespace dualwrite::translate

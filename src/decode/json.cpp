// JSON rendering of pgoutput messages: see include/dualwrite/decode/json.hpp.
#include "dualwrite/decode/json.hpp"

#include <cstdint>
#include <cstdio>

namespace dualwrite::decode {

void RelationMap::remember(const Relation& relation) {
  relations_.insert_or_assign(relation.relation_id, relation);
}

void RelationMap::observe(const Message& message) {
  if (const auto* relation = std::get_if<Relation>(&message)) remember(*relation);
}

const Relation* RelationMap::find(Oid relation_id) const {
  auto it = relations_.find(relation_id);
  return it == relations_.end() ? nullptr : &it->second;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

void key(std::string& out, const char* name) {
  if (out.back() != '{') out += ',';
  out += '"';
  out += name;
  out += "\":";
}

void field(std::string& out, const char* name, std::uint64_t v) {
  key(out, name);
  out += std::to_string(v);
}
void field_signed(std::string& out, const char* name, std::int64_t v) {
  key(out, name);
  out += std::to_string(v);
}
void field(std::string& out, const char* name, bool v) {
  key(out, name);
  out += v ? "true" : "false";
}
void field(std::string& out, const char* name, std::string_view v) {
  key(out, name);
  append_json_string(v, out);
}
void field(std::string& out, const char* name, Lsn v) {
  field(out, name, v.to_string());
}
void field(std::string& out, const char* name, PgTimestamp v) {
  field(out, name, v.to_iso8601());
}
void xid_field(std::string& out, const std::optional<TransactionId>& xid) {
  if (xid) field(out, "xid", std::uint64_t{*xid});
}

void append_value(const TupleValue& v, std::string& out) {
  switch (v.kind) {
    case TupleValue::Kind::null:
      out += "null";
      break;
    case TupleValue::Kind::unchanged_toast:
      out += "{\"unchanged_toast\":true}";
      break;
    case TupleValue::Kind::text:
      append_json_string(v.data, out);
      break;
    case TupleValue::Kind::binary:
      out += "{\"binary\":\"";
      for (char c : v.data) {
        const auto b = static_cast<unsigned char>(c);
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
      }
      out += "\"}";
      break;
  }
}

void tuple_field(std::string& out, const char* name, const TupleData& tuple,
                 const Relation* relation) {
  key(out, name);
  if (relation != nullptr && relation->columns.size() == tuple.columns.size()) {
    out += '{';
    for (std::size_t i = 0; i < tuple.columns.size(); ++i) {
      if (i) out += ',';
      append_json_string(relation->columns[i].name, out);
      out += ':';
      append_value(tuple.columns[i], out);
    }
    out += '}';
  } else {
    out += '[';
    for (std::size_t i = 0; i < tuple.columns.size(); ++i) {
      if (i) out += ',';
      append_value(tuple.columns[i], out);
    }
    out += ']';
  }
}

const Relation* relation_fields(std::string& out, Oid relation_id, const RelationMap& relations) {
  field(out, "relation_id", std::uint64_t{relation_id});
  const Relation* relation = relations.find(relation_id);
  if (relation != nullptr) {
    field(out, "namespace", relation->namespace_name);
    field(out, "relation_name", relation->relation_name);
  }
  return relation;
}

const char* old_kind_name(OldTupleKind kind) {
  switch (kind) {
    case OldTupleKind::key:
      return "key";
    case OldTupleKind::old:
      return "old";
    case OldTupleKind::none:
      break;
  }
  return "none";
}

struct Renderer {
  const RelationMap& relations;
  std::string& out;

  void operator()(const Begin& m) {
    field(out, "final_lsn", m.final_lsn);
    field(out, "commit_time", m.commit_time);
    field(out, "xid", std::uint64_t{m.xid});
  }
  void operator()(const Commit& m) {
    field(out, "flags", std::uint64_t{m.flags});
    field(out, "commit_lsn", m.commit_lsn);
    field(out, "end_lsn", m.end_lsn);
    field(out, "commit_time", m.commit_time);
  }
  void operator()(const Origin& m) {
    field(out, "commit_lsn", m.commit_lsn);
    field(out, "name", std::string_view{m.name});
  }
  void operator()(const Relation& m) {
    xid_field(out, m.xid);
    field(out, "relation_id", std::uint64_t{m.relation_id});
    field(out, "namespace", std::string_view{m.namespace_name});
    field(out, "relation_name", std::string_view{m.relation_name});
    const char identity = static_cast<char>(m.replica_identity);
    field(out, "replica_identity", std::string_view{&identity, 1});
    key(out, "columns");
    out += '[';
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
      if (i) out += ',';
      out += '{';
      const RelationColumn& c = m.columns[i];
      field(out, "name", std::string_view{c.name});
      field(out, "flags", std::uint64_t{c.flags});
      field(out, "type_oid", std::uint64_t{c.type_oid});
      field_signed(out, "type_modifier", c.type_modifier);
      out += '}';
    }
    out += ']';
  }
  void operator()(const Type& m) {
    xid_field(out, m.xid);
    field(out, "type_oid", std::uint64_t{m.type_oid});
    field(out, "namespace", std::string_view{m.namespace_name});
    field(out, "type_name", std::string_view{m.type_name});
  }
  void operator()(const Insert& m) {
    xid_field(out, m.xid);
    const Relation* r = relation_fields(out, m.relation_id, relations);
    tuple_field(out, "new_tuple", m.new_tuple, r);
  }
  void operator()(const Update& m) {
    xid_field(out, m.xid);
    const Relation* r = relation_fields(out, m.relation_id, relations);
    field(out, "old_kind", std::string_view{old_kind_name(m.old_kind)});
    if (m.old_kind != OldTupleKind::none) tuple_field(out, "old_tuple", m.old_tuple, r);
    tuple_field(out, "new_tuple", m.new_tuple, r);
  }
  void operator()(const Delete& m) {
    xid_field(out, m.xid);
    const Relation* r = relation_fields(out, m.relation_id, relations);
    field(out, "old_kind", std::string_view{old_kind_name(m.old_kind)});
    tuple_field(out, "old_tuple", m.old_tuple, r);
  }
  void operator()(const Truncate& m) {
    xid_field(out, m.xid);
    field(out, "options", std::uint64_t{m.options});
    field(out, "cascade", (m.options & Truncate::kOptionCascade) != 0);
    field(out, "restart_identity", (m.options & Truncate::kOptionRestartIdentity) != 0);
    key(out, "relation_ids");
    out += '[';
    for (std::size_t i = 0; i < m.relation_ids.size(); ++i) {
      if (i) out += ',';
      out += std::to_string(m.relation_ids[i]);
    }
    out += ']';
    key(out, "relations");
    out += '[';
    for (std::size_t i = 0; i < m.relation_ids.size(); ++i) {
      if (i) out += ',';
      const Relation* r = relations.find(m.relation_ids[i]);
      if (r == nullptr) {
        out += "null";
      } else {
        append_json_string(r->namespace_name + "." + r->relation_name, out);
      }
    }
    out += ']';
  }
  void operator()(const LogicalMessage& m) {
    xid_field(out, m.xid);
    field(out, "flags", std::uint64_t{m.flags});
    field(out, "transactional", m.transactional());
    field(out, "lsn", m.lsn);
    field(out, "prefix", m.prefix);
    field(out, "content", m.content);
  }
  void operator()(const StreamStart& m) {
    field(out, "xid", std::uint64_t{m.xid});
    field(out, "first_segment", m.first_segment);
  }
  void operator()(const StreamStop&) {}
  void operator()(const StreamCommit& m) {
    field(out, "xid", std::uint64_t{m.xid});
    field(out, "flags", std::uint64_t{m.flags});
    field(out, "commit_lsn", m.commit_lsn);
    field(out, "end_lsn", m.end_lsn);
    field(out, "commit_time", m.commit_time);
  }
  void operator()(const StreamAbort& m) {
    field(out, "xid", std::uint64_t{m.xid});
    field(out, "subxid", std::uint64_t{m.subxid});
  }
};

}  // namespace

void append_json(const Message& message, const RelationMap& relations, std::string& out) {
  out += "{\"tag\":";
  append_json_string(name_of(message), out);
  std::visit(Renderer{relations, out}, message);
  out += '}';
}

std::string to_json(const Message& message, const RelationMap& relations) {
  std::string out;
  append_json(message, relations, out);
  return out;
}

}  // namespace dualwrite::decode

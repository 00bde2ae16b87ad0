// Test-only pgoutput encoder: the inverse of decode::decode, written from the wire grammar in
// include/dualwrite/decode/pgoutput.hpp (as PostgreSQL's proto.c pairs each logicalrep_write_*
// with a logicalrep_read_*).
//
// For: round-trip tests, malformed-input tests (encode, then cut or corrupt) and the synthetic
// benchmark corpus. Not for: production; it trusts its input (an xid is written exactly when the
// message's optional xid is set, i.e. when it is meant for a streamed block).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "dualwrite/decode/pgoutput.hpp"

namespace dualwrite::decode::testing {

class Encoder {
 public:
  Encoder& u8(std::uint8_t v) {
    out_ += static_cast<char>(v);
    return *this;
  }
  Encoder& u16(std::uint16_t v) {
    return u8(static_cast<std::uint8_t>(v >> 8)).u8(static_cast<std::uint8_t>(v));
  }
  Encoder& u32(std::uint32_t v) {
    return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v));
  }
  Encoder& u64(std::uint64_t v) {
    return u32(static_cast<std::uint32_t>(v >> 32)).u32(static_cast<std::uint32_t>(v));
  }
  Encoder& cstring(std::string_view s) {
    out_.append(s);
    return u8(0);
  }
  Encoder& counted(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
    return *this;
  }
  Encoder& raw(std::string_view s) {
    out_.append(s);
    return *this;
  }
  Encoder& xid(const std::optional<TransactionId>& x) {
    if (x) u32(*x);
    return *this;
  }
  Encoder& tuple(const TupleData& t) {
    u16(static_cast<std::uint16_t>(t.columns.size()));
    for (const auto& c : t.columns) {
      u8(static_cast<std::uint8_t>(c.kind));
      if (c.kind == TupleValue::Kind::text || c.kind == TupleValue::Kind::binary) counted(c.data);
    }
    return *this;
  }

  Encoder& message(const Message& m) {
    u8(static_cast<std::uint8_t>(tag_of(m)));
    std::visit([this](const auto& v) { body(v); }, m);
    return *this;
  }

  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void body(const Begin& m) {
    u64(m.final_lsn.value())
        .u64(static_cast<std::uint64_t>(m.commit_time.micros_since_2000))
        .u32(m.xid);
  }
  void body(const Commit& m) {
    u8(m.flags).u64(m.commit_lsn.value()).u64(m.end_lsn.value());
    u64(static_cast<std::uint64_t>(m.commit_time.micros_since_2000));
  }
  void body(const Origin& m) { u64(m.commit_lsn.value()).cstring(m.name); }
  void body(const Relation& m) {
    xid(m.xid).u32(m.relation_id).cstring(m.namespace_name).cstring(m.relation_name);
    u8(static_cast<std::uint8_t>(m.replica_identity))
        .u16(static_cast<std::uint16_t>(m.columns.size()));
    for (const auto& c : m.columns) {
      u8(c.flags).cstring(c.name).u32(c.type_oid).u32(static_cast<std::uint32_t>(c.type_modifier));
    }
  }
  void body(const Type& m) {
    xid(m.xid).u32(m.type_oid).cstring(m.namespace_name).cstring(m.type_name);
  }
  void body(const Insert& m) { xid(m.xid).u32(m.relation_id).u8('N').tuple(m.new_tuple); }
  void body(const Update& m) {
    xid(m.xid).u32(m.relation_id);
    if (m.old_kind != OldTupleKind::none)
      u8(static_cast<std::uint8_t>(m.old_kind)).tuple(m.old_tuple);
    u8('N').tuple(m.new_tuple);
  }
  void body(const Delete& m) {
    xid(m.xid).u32(m.relation_id).u8(static_cast<std::uint8_t>(m.old_kind)).tuple(m.old_tuple);
  }
  void body(const Truncate& m) {
    xid(m.xid).u32(static_cast<std::uint32_t>(m.relation_ids.size())).u8(m.options);
    for (auto id : m.relation_ids) u32(id);
  }
  void body(const LogicalMessage& m) {
    xid(m.xid).u8(m.flags).u64(m.lsn.value()).cstring(m.prefix).counted(m.content);
  }
  void body(const StreamStart& m) { u32(m.xid).u8(m.first_segment ? 1 : 0); }
  void body(const StreamStop&) {}
  void body(const StreamCommit& m) {
    u32(m.xid).u8(m.flags).u64(m.commit_lsn.value()).u64(m.end_lsn.value());
    u64(static_cast<std::uint64_t>(m.commit_time.micros_since_2000));
  }
  void body(const StreamAbort& m) { u32(m.xid).u32(m.subxid); }

  std::string out_;
};

inline std::string encode(const Message& m) {
  return Encoder{}.message(m).take();
}

// A text value viewing `s` (which must outlive the TupleValue).
inline TupleValue text(std::string_view s) {
  return {TupleValue::Kind::text, s};
}
inline TupleValue null_value() {
  return {TupleValue::Kind::null, {}};
}
inline TupleValue unchanged_toast() {
  return {TupleValue::Kind::unchanged_toast, {}};
}

}  // namespace dualwrite::decode::testing

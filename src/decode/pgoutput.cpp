// pgoutput decoder: see include/dualwrite/decode/pgoutput.hpp for the wire grammar.
//
// Every read goes through Reader, the one bounds-checked big-endian cursor. Its read functions
// return false on failure and remember what was being read and where; the message parser then
// returns reader.error(), so a failure is never a silent zero that callers carry on with. The
// error text is only built on the failure path, which keeps the hot path to loads and compares.
#include "dualwrite/decode/pgoutput.hpp"

#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

namespace dualwrite::decode {

namespace {

class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes)
      : begin_(reinterpret_cast<const char*>(bytes.data())),
        pos_(begin_),
        end_(begin_ + bytes.size()) {}

  std::size_t offset() const { return static_cast<std::size_t>(pos_ - begin_); }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }

  bool u8(const char* field, std::uint8_t& out) {
    if (!need(field, 1)) return false;
    out = static_cast<std::uint8_t>(*pos_++);
    return true;
  }
  bool u16(const char* field, std::uint16_t& out) {
    if (!need(field, 2)) return false;
    std::uint16_t v;
    std::memcpy(&v, pos_, 2);
    out = __builtin_bswap16(v);
    pos_ += 2;
    return true;
  }
  bool u32(const char* field, std::uint32_t& out) {
    if (!need(field, 4)) return false;
    std::uint32_t v;
    std::memcpy(&v, pos_, 4);
    out = __builtin_bswap32(v);
    pos_ += 4;
    return true;
  }
  bool i32(const char* field, std::int32_t& out) {
    std::uint32_t v = 0;
    if (!u32(field, v)) return false;
    out = static_cast<std::int32_t>(v);
    return true;
  }
  bool u64(const char* field, std::uint64_t& out) {
    if (!need(field, 8)) return false;
    std::uint64_t v;
    std::memcpy(&v, pos_, 8);
    out = __builtin_bswap64(v);
    pos_ += 8;
    return true;
  }
  bool lsn(const char* field, Lsn& out) {
    std::uint64_t v = 0;
    if (!u64(field, v)) return false;
    out = Lsn{v};
    return true;
  }
  bool timestamp(const char* field, PgTimestamp& out) {
    std::uint64_t v = 0;
    if (!u64(field, v)) return false;
    out.micros_since_2000 = static_cast<std::int64_t>(v);
    return true;
  }
  // A NUL-terminated String; `out` excludes the terminator.
  bool cstring(const char* field, std::string_view& out) {
    const void* nul = std::memchr(pos_, 0, remaining());
    if (nul == nullptr) {
      fail(field, Failure::unterminated, remaining() + 1);
      return false;
    }
    const auto* n = static_cast<const char*>(nul);
    out = std::string_view(pos_, static_cast<std::size_t>(n - pos_));
    pos_ = n + 1;
    return true;
  }
  bool cstring(const char* field, std::string& out) {
    std::string_view v;
    if (!cstring(field, v)) return false;
    out.assign(v);
    return true;
  }
  // An Int32 length (must not be negative) followed by that many bytes.
  bool counted(const char* field, std::string_view& out) {
    const std::size_t at = offset();
    std::int32_t len = 0;
    if (!i32(field, len)) return false;
    if (len < 0) {
      pos_ = begin_ + at;
      fail(field, Failure::negative_length, 0);
      negative_ = len;
      return false;
    }
    const auto n = static_cast<std::size_t>(len);
    if (!need(field, n)) return false;
    out = std::string_view(pos_, n);
    pos_ += n;
    return true;
  }

  // The failure of the last read, as an Error; `where` (e.g. "column 3 of new_tuple") is
  // appended when given. Only valid after a read returned false.
  Error error(const char* message_name, const std::string& where = {}) const {
    std::string text = std::string(message_name) + " message: ";
    char buf[160];
    switch (failure_) {
      case Failure::truncated:
        std::snprintf(buf, sizeof buf,
                      "truncated at offset %zu reading %s (need %zu bytes, %zu left)", fail_offset_,
                      fail_field_, fail_need_, fail_have_);
        break;
      case Failure::unterminated:
        std::snprintf(buf, sizeof buf,
                      "truncated at offset %zu reading %s (string not NUL-terminated)",
                      fail_offset_, fail_field_);
        break;
      case Failure::negative_length:
        std::snprintf(buf, sizeof buf, "negative length %d at offset %zu reading %s",
                      static_cast<int>(negative_), fail_offset_, fail_field_);
        break;
    }
    text += buf;
    if (!where.empty()) text += " (" + where + ")";
    return make_error(ErrorDomain::decode, std::move(text));
  }

 private:
  enum class Failure : std::uint8_t { truncated, unterminated, negative_length };

  bool need(const char* field, std::size_t n) {
    if (remaining() >= n) [[likely]]
      return true;
    fail(field, Failure::truncated, n);
    return false;
  }
  void fail(const char* field, Failure failure, std::size_t need) {
    failure_ = failure;
    fail_field_ = field;
    fail_offset_ = offset();
    fail_need_ = need;
    fail_have_ = remaining();
  }

  const char* begin_;
  const char* pos_;
  const char* end_;
  Failure failure_ = Failure::truncated;
  const char* fail_field_ = "";
  std::size_t fail_offset_ = 0;
  std::size_t fail_need_ = 0;
  std::size_t fail_have_ = 0;
  std::int32_t negative_ = 0;
};

Error invalid(const char* message_name, const std::string& what) {
  return make_error(ErrorDomain::decode, std::string(message_name) + " message: " + what);
}

std::string char_text(std::uint8_t c) {
  char buf[16];
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", static_cast<char>(c));
  } else {
    std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(c));
  }
  return buf;
}

// Returns the alternative T of `out`, reusing it (and its vectors' capacity) when present.
template <typename T>
T& reuse(Message& out) {
  if (auto* existing = std::get_if<T>(&out)) return *existing;
  return out.emplace<T>();
}

Status read_xid_if_streaming(Reader& r, const DecodeContext& ctx, const char* name,
                             std::optional<TransactionId>& xid) {
  if (!ctx.in_streamed_block) {
    xid.reset();
    return Ok{};
  }
  TransactionId v = 0;
  if (!r.u32("xid", v)) return r.error(name);
  xid = v;
  return Ok{};
}

// TupleData into `out`, reusing its capacity.
Status read_tuple(Reader& r, const char* name, const char* which, TupleData& out) {
  std::uint16_t ncolumns = 0;
  if (!r.u16("ncolumns", ncolumns)) return r.error(name, which);
  // Each column takes at least one byte: refuse a forged count before allocating for it.
  if (r.remaining() < ncolumns) {
    return invalid(name, "truncated at offset " + std::to_string(r.offset()) + " reading " + which +
                             " (" + std::to_string(ncolumns) + " columns announced, " +
                             std::to_string(r.remaining()) + " bytes left)");
  }
  out.columns.resize(ncolumns);
  for (std::uint16_t i = 0; i < ncolumns; ++i) {
    TupleValue& value = out.columns[i];
    const std::size_t at = r.offset();
    std::uint8_t kind = 0;
    if (!r.u8("column kind", kind)) {
      return r.error(name, "column " + std::to_string(i) + " of " + which);
    }
    switch (kind) {
      case 'n':
        value.kind = TupleValue::Kind::null;
        value.data = {};
        break;
      case 'u':
        value.kind = TupleValue::Kind::unchanged_toast;
        value.data = {};
        break;
      case 't':
      case 'b':
        value.kind = kind == 't' ? TupleValue::Kind::text : TupleValue::Kind::binary;
        if (!r.counted("column value", value.data)) {
          return r.error(name, "column " + std::to_string(i) + " of " + which);
        }
        break;
      default:
        return invalid(name, "unknown column kind " + char_text(kind) + " at offset " +
                                 std::to_string(at) + " in column " + std::to_string(i) + " of " +
                                 which);
    }
  }
  return Ok{};
}

Status read_begin(Reader& r, Begin& m) {
  if (!r.lsn("final_lsn", m.final_lsn) || !r.timestamp("commit_time", m.commit_time) ||
      !r.u32("xid", m.xid)) {
    return r.error("begin");
  }
  return Ok{};
}

Status read_commit(Reader& r, Commit& m) {
  if (!r.u8("flags", m.flags)) return r.error("commit");
  if (m.flags != 0) {
    return invalid("commit",
                   "unrecognized flags " + std::to_string(m.flags) + " in commit message");
  }
  if (!r.lsn("commit_lsn", m.commit_lsn) || !r.lsn("end_lsn", m.end_lsn) ||
      !r.timestamp("commit_time", m.commit_time)) {
    return r.error("commit");
  }
  return Ok{};
}

Status read_origin(Reader& r, Origin& m) {
  if (!r.lsn("commit_lsn", m.commit_lsn) || !r.cstring("name", m.name)) return r.error("origin");
  return Ok{};
}

Status read_relation(Reader& r, const DecodeContext& ctx, Relation& m) {
  if (auto s = read_xid_if_streaming(r, ctx, "relation", m.xid); !s) return s;
  std::uint8_t identity = 0;
  if (!r.u32("relation_id", m.relation_id) || !r.cstring("namespace", m.namespace_name) ||
      !r.cstring("relation_name", m.relation_name)) {
    return r.error("relation");
  }
  const std::size_t identity_at = r.offset();
  if (!r.u8("replica_identity", identity)) return r.error("relation");
  switch (identity) {
    case 'd':
    case 'n':
    case 'f':
    case 'i':
      m.replica_identity = static_cast<ReplicaIdentity>(identity);
      break;
    default:
      return invalid("relation", "unknown replica_identity " + char_text(identity) + " at offset " +
                                     std::to_string(identity_at));
  }
  std::uint16_t ncolumns = 0;
  if (!r.u16("ncolumns", ncolumns)) return r.error("relation");
  // A column takes at least 10 bytes (flags, empty name, type_oid, type_modifier).
  if (r.remaining() / 10 < ncolumns) {
    return invalid("relation", "truncated at offset " + std::to_string(r.offset()) +
                                   " reading columns (" + std::to_string(ncolumns) +
                                   " announced, " + std::to_string(r.remaining()) + " bytes left)");
  }
  m.columns.resize(ncolumns);
  for (std::uint16_t i = 0; i < ncolumns; ++i) {
    RelationColumn& c = m.columns[i];
    if (!r.u8("column flags", c.flags) || !r.cstring("column name", c.name) ||
        !r.u32("column type_oid", c.type_oid) || !r.i32("column type_modifier", c.type_modifier)) {
      return r.error("relation", "column " + std::to_string(i));
    }
    if ((c.flags & ~RelationColumn::kFlagKey) != 0) {
      return invalid("relation", "unrecognized flags " + std::to_string(c.flags) + " in column " +
                                     std::to_string(i) + " of relation message");
    }
  }
  return Ok{};
}

Status read_type(Reader& r, const DecodeContext& ctx, Type& m) {
  if (auto s = read_xid_if_streaming(r, ctx, "type", m.xid); !s) return s;
  if (!r.u32("type_oid", m.type_oid) || !r.cstring("namespace", m.namespace_name) ||
      !r.cstring("type_name", m.type_name)) {
    return r.error("type");
  }
  return Ok{};
}

// Expects the byte `expected` (e.g. 'N') naming the tuple that follows.
Status expect_tuple_tag(Reader& r, const char* name, const char* field, char expected) {
  const std::size_t at = r.offset();
  std::uint8_t tag = 0;
  if (!r.u8(field, tag)) return r.error(name);
  if (tag != static_cast<std::uint8_t>(expected)) {
    return invalid(name, "expected " + char_text(static_cast<std::uint8_t>(expected)) +
                             " at offset " + std::to_string(at) + " reading " + field + ", got " +
                             char_text(tag));
  }
  return Ok{};
}

Status read_insert(Reader& r, const DecodeContext& ctx, Insert& m) {
  if (auto s = read_xid_if_streaming(r, ctx, "insert", m.xid); !s) return s;
  if (!r.u32("relation_id", m.relation_id)) return r.error("insert");
  if (auto s = expect_tuple_tag(r, "insert", "new tuple tag", 'N'); !s) return s;
  return read_tuple(r, "insert", "new_tuple", m.new_tuple);
}

Status read_update(Reader& r, const DecodeContext& ctx, Update& m) {
  if (auto s = read_xid_if_streaming(r, ctx, "update", m.xid); !s) return s;
  if (!r.u32("relation_id", m.relation_id)) return r.error("update");
  const std::size_t at = r.offset();
  std::uint8_t tag = 0;
  if (!r.u8("tuple tag", tag)) return r.error("update");
  if (tag == 'K' || tag == 'O') {
    m.old_kind = static_cast<OldTupleKind>(tag);
    if (auto s = read_tuple(r, "update", "old_tuple", m.old_tuple); !s) return s;
    if (auto s = expect_tuple_tag(r, "update", "new tuple tag", 'N'); !s) return s;
  } else if (tag == 'N') {
    m.old_kind = OldTupleKind::none;
    m.old_tuple.columns.clear();
  } else {
    return invalid("update", "expected 'K', 'O' or 'N' at offset " + std::to_string(at) +
                                 " reading tuple tag, got " + char_text(tag));
  }
  return read_tuple(r, "update", "new_tuple", m.new_tuple);
}

Status read_delete(Reader& r, const DecodeContext& ctx, Delete& m) {
  if (auto s = read_xid_if_streaming(r, ctx, "delete", m.xid); !s) return s;
  if (!r.u32("relation_id", m.relation_id)) return r.error("delete");
  const std::size_t at = r.offset();
  std::uint8_t tag = 0;
  if (!r.u8("tuple tag", tag)) return r.error("delete");
  if (tag != 'K' && tag != 'O') {
    return invalid("delete", "expected 'K' or 'O' at offset " + std::to_string(at) +
                                 " reading tuple tag, got " + char_text(tag));
  }
  m.old_kind = static_cast<OldTupleKind>(tag);
  return read_tuple(r, "delete", "old_tuple", m.old_tuple);
}

Status read_truncate(Reader& r, const DecodeContext& ctx, Truncate& m) {
  if (auto s = read_xid_if_streaming(r, ctx, "truncate", m.xid); !s) return s;
  std::uint32_t nrelations = 0;
  if (!r.u32("nrelations", nrelations) || !r.u8("options", m.options)) return r.error("truncate");
  if ((m.options & ~(Truncate::kOptionCascade | Truncate::kOptionRestartIdentity)) != 0) {
    return invalid("truncate",
                   "unrecognized options " + std::to_string(m.options) + " in truncate message");
  }
  // Checked before resizing so that a forged count cannot make us allocate gigabytes.
  if (r.remaining() / 4 < nrelations) {
    return invalid("truncate", "truncated at offset " + std::to_string(r.offset()) +
                                   " reading relation_ids (" + std::to_string(nrelations) +
                                   " announced, room for " + std::to_string(r.remaining() / 4) +
                                   ")");
  }
  m.relation_ids.resize(nrelations);
  for (std::uint32_t i = 0; i < nrelations; ++i) {
    if (!r.u32("relation_id", m.relation_ids[i])) return r.error("truncate");
  }
  return Ok{};
}

Status read_message(Reader& r, const DecodeContext& ctx, LogicalMessage& m) {
  if (auto s = read_xid_if_streaming(r, ctx, "logical", m.xid); !s) return s;
  if (!r.u8("flags", m.flags)) return r.error("logical");
  if ((m.flags & ~LogicalMessage::kFlagTransactional) != 0) {
    return invalid("logical",
                   "unrecognized flags " + std::to_string(m.flags) + " in logical message");
  }
  if (!r.lsn("lsn", m.lsn) || !r.cstring("prefix", m.prefix) || !r.counted("content", m.content)) {
    return r.error("logical");
  }
  return Ok{};
}

Status read_stream_start(Reader& r, StreamStart& m) {
  std::uint8_t first = 0;
  if (!r.u32("xid", m.xid) || !r.u8("first_segment", first)) return r.error("stream start");
  if (first > 1) {
    return invalid("stream start", "first_segment must be 0 or 1, got " + std::to_string(first));
  }
  m.first_segment = first == 1;
  return Ok{};
}

Status read_stream_commit(Reader& r, StreamCommit& m) {
  if (!r.u32("xid", m.xid) || !r.u8("flags", m.flags)) return r.error("stream commit");
  if (m.flags != 0) {
    return invalid("stream commit",
                   "unrecognized flags " + std::to_string(m.flags) + " in stream commit message");
  }
  if (!r.lsn("commit_lsn", m.commit_lsn) || !r.lsn("end_lsn", m.end_lsn) ||
      !r.timestamp("commit_time", m.commit_time)) {
    return r.error("stream commit");
  }
  return Ok{};
}

Status read_stream_abort(Reader& r, StreamAbort& m) {
  if (!r.u32("xid", m.xid) || !r.u32("subxid", m.subxid)) return r.error("stream abort");
  return Ok{};
}

Status dispatch(Reader& r, std::uint8_t tag, const DecodeContext& ctx, Message& out) {
  switch (tag) {
    case 'B':
      return read_begin(r, reuse<Begin>(out));
    case 'C':
      return read_commit(r, reuse<Commit>(out));
    case 'O':
      return read_origin(r, reuse<Origin>(out));
    case 'R':
      return read_relation(r, ctx, reuse<Relation>(out));
    case 'Y':
      return read_type(r, ctx, reuse<Type>(out));
    case 'I':
      return read_insert(r, ctx, reuse<Insert>(out));
    case 'U':
      return read_update(r, ctx, reuse<Update>(out));
    case 'D':
      return read_delete(r, ctx, reuse<Delete>(out));
    case 'T':
      return read_truncate(r, ctx, reuse<Truncate>(out));
    case 'M':
      return read_message(r, ctx, reuse<LogicalMessage>(out));
    case 'S':
      return read_stream_start(r, reuse<StreamStart>(out));
    case 'E':
      reuse<StreamStop>(out);
      return Ok{};
    case 'c':
      return read_stream_commit(r, reuse<StreamCommit>(out));
    case 'A':
      return read_stream_abort(r, reuse<StreamAbort>(out));
    case 'b':
    case 'P':
    case 'K':
    case 'r':
    case 'p':
      return make_error(ErrorDomain::decode,
                        "unsupported two-phase message tag " + char_text(tag) +
                            " at offset 0 (protocol version 3 is not supported)");
    default:
      return make_error(ErrorDomain::decode,
                        "unknown message tag " + char_text(tag) + " at offset 0");
  }
}

// The name used in error texts: "stream commit", "logical" (as in "logical message: ...").
std::string error_label(const Message& m) {
  if (std::holds_alternative<LogicalMessage>(m)) return "logical";
  std::string label = name_of(m);
  for (auto& c : label) {
    if (c == '_') c = ' ';
  }
  return label;
}

}  // namespace

Status decode_into(std::span<const std::byte> bytes, DecodeContext context, Message& out) {
  Reader r(bytes);
  std::uint8_t tag = 0;
  if (!r.u8("tag", tag)) return r.error("empty");
  if (auto s = dispatch(r, tag, context, out); !s) return s;
  if (!r.at_end()) [[unlikely]] {
    return make_error(ErrorDomain::decode,
                      error_label(out) + " message: " + std::to_string(r.remaining()) +
                          " trailing bytes at offset " + std::to_string(r.offset()) +
                          " after a complete message");
  }
  return Ok{};
}

Result<Message> decode(std::span<const std::byte> bytes, DecodeContext context) {
  Message m;
  if (auto s = decode_into(bytes, context, m); !s) return s.error();
  return m;
}

char tag_of(const Message& message) {
  static constexpr char kTags[] = {'B', 'C', 'O', 'R', 'Y', 'I', 'U',
                                   'D', 'T', 'M', 'S', 'E', 'c', 'A'};
  static_assert(sizeof kTags == std::variant_size_v<Message>);
  return kTags[message.index()];
}

const char* name_of(const Message& message) {
  static constexpr const char* kNames[] = {
      "begin",        "commit",      "origin",        "relation",    "type",
      "insert",       "update",      "delete",        "truncate",    "logical_message",
      "stream_start", "stream_stop", "stream_commit", "stream_abort"};
  static_assert(sizeof kNames / sizeof kNames[0] == std::variant_size_v<Message>);
  return kNames[message.index()];
}

Status Decoder::advance(const Message& message) {
  const bool in_block = context_.in_streamed_block;
  if (const auto* start = std::get_if<StreamStart>(&message)) {
    if (in_block) {
      return make_error(ErrorDomain::decode, "stream start for xid " + std::to_string(start->xid) +
                                                 " while the streamed block of xid " +
                                                 std::to_string(*stream_xid_) + " is still open");
    }
    context_.in_streamed_block = true;
    stream_xid_ = start->xid;
  } else if (std::holds_alternative<StreamStop>(message)) {
    if (!in_block) return make_error(ErrorDomain::decode, "stream stop outside a streamed block");
    context_.in_streamed_block = false;
    stream_xid_.reset();
  } else if (in_block &&
             (std::holds_alternative<Begin>(message) || std::holds_alternative<Commit>(message) ||
              std::holds_alternative<StreamCommit>(message) ||
              std::holds_alternative<StreamAbort>(message))) {
    return make_error(ErrorDomain::decode, error_label(message) +
                                               " message inside the streamed block of xid " +
                                               std::to_string(*stream_xid_));
  }
  return Ok{};
}

Status Decoder::decode_into(std::span<const std::byte> bytes, Message& out) {
  if (auto s = decode::decode_into(bytes, context_, out); !s) return s;
  return advance(out);
}

Result<Message> Decoder::decode(std::span<const std::byte> bytes) {
  Message m;
  if (auto s = decode_into(bytes, m); !s) return s.error();
  return m;
}

std::string PgTimestamp::to_iso8601() const {
  using namespace std::chrono;
  // PostgreSQL's DT_NOEND / DT_NOBEGIN.
  if (micros_since_2000 == INT64_MAX) return "infinity";
  if (micros_since_2000 == INT64_MIN) return "-infinity";
  // Outside years 1..9999 ISO 8601 needs an expanded form; such a commit time means a broken
  // clock or broken bytes, so show the raw value rather than a misleading date.
  constexpr std::int64_t kMin = -63'082'281'600'000'000;  // 0001-01-01 minus the PG epoch
  constexpr std::int64_t kMax = 252'455'615'999'999'999;  // 9999-12-31T23:59:59.999999
  if (micros_since_2000 < kMin || micros_since_2000 > kMax) {
    return "pg-timestamp(" + std::to_string(micros_since_2000) + ")";
  }
  const sys_time<microseconds> t = to_sys_time();
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const auto in_day = t - day;  // non-negative: floor rounds towards the past
  const auto h = duration_cast<hours>(in_day);
  const auto mi = duration_cast<minutes>(in_day - h);
  const auto s = duration_cast<seconds>(in_day - h - mi);
  const auto us = in_day - h - mi - s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                static_cast<int>(mi.count()), static_cast<int>(s.count()),
                static_cast<long long>(us.count()));
  return buf;
}

}  // namespace dualwrite::decode

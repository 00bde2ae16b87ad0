// pgoutput decoding: the bytes of one logical replication message in, one typed message out.
//
// For: turning what the `pgoutput` plugin emits (protocol versions 1 and 2, PostgreSQL 15) into
// plain structs, refusing anything malformed with an error that names the field and the byte
// offset. The stream stage hands each XLogData payload here; `dualwrite decode` does the same
// with hex lines. Not for: sockets, framing of CopyData ('w'/'k'), the relation cache (the
// translate stage owns it), type conversion of column values (they stay in PostgreSQL's text
// output form), or the two-phase messages of protocol 3, which are refused as unsupported.
//
// Wire grammar (Byte1/IntN are big-endian; String is NUL-terminated; [xid] is an Int32 present
// only inside a streamed block, i.e. between Stream Start and Stream Stop, protocol >= 2):
//
//   Begin         'B' Int64 final_lsn, Int64 commit_time, Int32 xid
//   Commit        'C' Int8 flags (0), Int64 commit_lsn, Int64 end_lsn, Int64 commit_time
//   Origin        'O' Int64 commit_lsn, String name
//   Relation      'R' [xid] Int32 relation_id, String namespace ("" = pg_catalog),
//                     String relation_name, Int8 replica_identity ('d','n','f','i'),
//                     Int16 ncolumns, ncolumns x { Int8 flags (1 = part of the key),
//                     String name, Int32 type_oid, Int32 type_modifier }
//   Type          'Y' [xid] Int32 type_oid, String namespace, String type_name
//   Insert        'I' [xid] Int32 relation_id, 'N' TupleData
//   Update        'U' [xid] Int32 relation_id, [ 'K' TupleData | 'O' TupleData ], 'N' TupleData
//   Delete        'D' [xid] Int32 relation_id, ( 'K' TupleData | 'O' TupleData )
//   Truncate      'T' [xid] Int32 nrelations, Int8 options (1 CASCADE, 2 RESTART IDENTITY),
//                     nrelations x Int32 relation_id
//   Message       'M' [xid] Int8 flags (1 = transactional), Int64 lsn, String prefix,
//                     Int32 length, Byte(length) content
//   Stream Start  'S' Int32 xid, Int8 first_segment (0 or 1)
//   Stream Stop   'E'
//   Stream Commit 'c' Int32 xid, Int8 flags (0), Int64 commit_lsn, Int64 end_lsn,
//                     Int64 commit_time
//   Stream Abort  'A' Int32 xid, Int32 subxid
//
//   TupleData     Int16 ncolumns, ncolumns x one of
//                   'n'                          NULL
//                   'u'                          unchanged TOASTed value (not sent)
//                   't' Int32 length, Byte(length)  value in text output form
//                   'b' Int32 length, Byte(length)  value in binary form (binary mode only)
//
// Inside a streamed block the [xid] of a change is that of the (sub)transaction that made it:
// changes made under a savepoint carry the subtransaction's xid, which is what a later Stream
// Abort names in `subxid` when the savepoint is rolled back (seen in the PG15 fixtures).
//
// A message is exactly one buffer: bytes left over after a complete message are an error, as
// are unknown tags, unknown flag bits, negative lengths and anything past the end.
//
// Ownership: the schema messages (Relation, Type, Origin) own their strings, because callers
// keep them in caches. The row messages (Insert, Update, Delete, LogicalMessage) hold
// std::string_views into the decoded buffer, so that a change costs no copy of its values:
// they are valid only while that buffer is alive and unchanged. Copy what must outlive it.
//
// Thread-safety: decode() and the structs are plain values and functions; a Decoder object
// carries the streamed-block state of one replication stream and must not be shared between
// threads without external locking.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"
#include "dualwrite/core/pg_time.hpp"

namespace dualwrite::decode {

using TransactionId = std::uint32_t;
using Oid = std::uint32_t;

// A PostgreSQL TimestampTz: microseconds since 2000-01-01 00:00:00 UTC.
struct PgTimestamp {
  std::int64_t micros_since_2000 = 0;

  // The offset from the Unix epoch (core/pg_time.hpp).
  static constexpr std::int64_t kUnixToPgEpochMicros = kPgEpochUnixMicros;

  // Saturates at the ends of the range (PostgreSQL's +/-infinity are INT64_MAX/INT64_MIN).
  std::chrono::sys_time<std::chrono::microseconds> to_sys_time() const {
    const std::int64_t unix_micros = micros_since_2000 > INT64_MAX - kUnixToPgEpochMicros
                                         ? INT64_MAX
                                         : micros_since_2000 + kUnixToPgEpochMicros;
    return std::chrono::sys_time<std::chrono::microseconds>{std::chrono::microseconds{unix_micros}};
  }
  static PgTimestamp from_sys_time(std::chrono::sys_time<std::chrono::microseconds> t) {
    const std::int64_t unix_micros = t.time_since_epoch().count();
    return PgTimestamp{unix_micros < INT64_MIN + kUnixToPgEpochMicros
                           ? INT64_MIN
                           : unix_micros - kUnixToPgEpochMicros};
  }
  // ISO 8601 in UTC with microseconds: "2026-11-25T18:59:49.123456Z".
  std::string to_iso8601() const;

  constexpr auto operator<=>(const PgTimestamp&) const = default;
};

struct Begin {
  Lsn final_lsn;
  PgTimestamp commit_time;
  TransactionId xid = 0;

  bool operator==(const Begin&) const = default;
};

struct Commit {
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time;

  bool operator==(const Commit&) const = default;
};

// The transaction came from another node through replication origin `name`.
struct Origin {
  Lsn commit_lsn;
  std::string name;

  bool operator==(const Origin&) const = default;
};

enum class ReplicaIdentity : char {
  default_ = 'd',  // the primary key
  nothing = 'n',
  full = 'f',
  index = 'i',
};

struct RelationColumn {
  static constexpr std::uint8_t kFlagKey = 1;
  std::uint8_t flags = 0;
  std::string name;
  Oid type_oid = 0;
  std::int32_t type_modifier = -1;

  bool is_key() const { return (flags & kFlagKey) != 0; }

  bool operator==(const RelationColumn&) const = default;
};

struct Relation {
  std::optional<TransactionId> xid;  // only inside a streamed block
  Oid relation_id = 0;
  std::string namespace_name;  // "" means pg_catalog
  std::string relation_name;
  ReplicaIdentity replica_identity = ReplicaIdentity::default_;
  std::vector<RelationColumn> columns;

  bool operator==(const Relation&) const = default;
};

struct Type {
  std::optional<TransactionId> xid;
  Oid type_oid = 0;
  std::string namespace_name;
  std::string type_name;

  bool operator==(const Type&) const = default;
};

// One column of a TupleData. `data` views the decoded buffer (see Ownership above) and is
// empty unless kind is text or binary.
struct TupleValue {
  enum class Kind : char { null = 'n', unchanged_toast = 'u', text = 't', binary = 'b' };
  Kind kind = Kind::null;
  std::string_view data;

  bool operator==(const TupleValue&) const = default;
};

struct TupleData {
  std::vector<TupleValue> columns;

  bool operator==(const TupleData&) const = default;
};

struct Insert {
  std::optional<TransactionId> xid;
  Oid relation_id = 0;
  TupleData new_tuple;

  bool operator==(const Insert&) const = default;
};

// Which old row image an Update or Delete carries.
enum class OldTupleKind : char {
  none = 0,   // Update only: no old image (the key did not change)
  key = 'K',  // only the replica identity columns (others are null)
  old = 'O',  // the whole old row (REPLICA IDENTITY FULL)
};

struct Update {
  std::optional<TransactionId> xid;
  Oid relation_id = 0;
  OldTupleKind old_kind = OldTupleKind::none;
  TupleData old_tuple;  // empty when old_kind is none
  TupleData new_tuple;

  bool operator==(const Update&) const = default;
};

struct Delete {
  std::optional<TransactionId> xid;
  Oid relation_id = 0;
  OldTupleKind old_kind = OldTupleKind::key;  // key or old, never none
  TupleData old_tuple;

  bool operator==(const Delete&) const = default;
};

struct Truncate {
  static constexpr std::uint8_t kOptionCascade = 1;
  static constexpr std::uint8_t kOptionRestartIdentity = 2;
  std::optional<TransactionId> xid;
  std::uint8_t options = 0;
  std::vector<Oid> relation_ids;

  bool operator==(const Truncate&) const = default;
};

// pg_logical_emit_message(); `prefix` and `content` view the decoded buffer.
struct LogicalMessage {
  static constexpr std::uint8_t kFlagTransactional = 1;
  std::optional<TransactionId> xid;
  std::uint8_t flags = 0;
  Lsn lsn;
  std::string_view prefix;
  std::string_view content;

  bool transactional() const { return (flags & kFlagTransactional) != 0; }

  bool operator==(const LogicalMessage&) const = default;
};

struct StreamStart {
  TransactionId xid = 0;
  bool first_segment = false;

  bool operator==(const StreamStart&) const = default;
};

struct StreamStop {
  bool operator==(const StreamStop&) const = default;
};

struct StreamCommit {
  TransactionId xid = 0;
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time;

  bool operator==(const StreamCommit&) const = default;
};

struct StreamAbort {
  TransactionId xid = 0;
  TransactionId subxid = 0;  // equals xid when the whole transaction aborted

  bool operator==(const StreamAbort&) const = default;
};

using Message =
    std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate,
                 LogicalMessage, StreamStart, StreamStop, StreamCommit, StreamAbort>;

// What the byte-level parse needs to know beyond the bytes: whether the message sits inside a
// streamed block, where Relation/Type/Insert/Update/Delete/Truncate/Message carry an xid.
struct DecodeContext {
  bool in_streamed_block = false;
};

// Decodes exactly one message. Pure: same bytes and context, same result. Errors have domain
// ErrorDomain::decode and a message naming the message kind, the field and the byte offset:
// "commit message: truncated at offset 2 reading commit_lsn (need 8 bytes, 3 left)",
// "unknown message tag 'Z' at offset 0", "commit message: unrecognized flags 3 in commit
// message", "insert message: 5 trailing bytes at offset 40 after a complete message".
Result<Message> decode(std::span<const std::byte> bytes, DecodeContext context = {});

// The same, into an existing Message: when `out` already holds the alternative being decoded,
// its vectors keep their capacity, so a loop over changes allocates nothing once warm. On
// error `out` holds a valid but unspecified message.
Status decode_into(std::span<const std::byte> bytes, DecodeContext context, Message& out);

// The one-letter tag of a message kind ('B', 'C', …) and its name ("begin", "commit", …).
char tag_of(const Message& message);
const char* name_of(const Message& message);

// Decodes the messages of one replication stream in order, tracking the streamed-block state
// (Stream Start opens a block, Stream Stop closes it) so that callers need not know the
// protocol version. It also refuses a Stream Start inside a block, a Stream Stop outside one
// and Begin/Commit/Stream Commit/Stream Abort inside one. A failed decode leaves the state
// unchanged.
class Decoder {
 public:
  Result<Message> decode(std::span<const std::byte> bytes);
  Status decode_into(std::span<const std::byte> bytes, Message& out);

  bool in_streamed_block() const { return context_.in_streamed_block; }
  // The xid of the open streamed block, if any.
  std::optional<TransactionId> stream_xid() const { return stream_xid_; }

 private:
  Status advance(const Message& message);

  DecodeContext context_;
  std::optional<TransactionId> stream_xid_;
};

// Convenience for callers holding text or a vector of char.
inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace dualwrite::decode

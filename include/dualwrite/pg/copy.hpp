// COPY FROM STDIN on a connection, and the pieces of PostgreSQL's binary COPY format.
//
// For: bulk rows into one table in one round trip: the apply's stage for large statements
// (apply/batch.hpp, sql/migrations/20261205000100_apply_stage.sql) and the backfill's writer.
// Binary format: a 19-byte header, then per tuple a 16-bit field count and per field a 32-bit
// length (-1: NULL) and that many bytes of the type's binary form, then a 16-bit -1 trailer
// (PostgreSQL's "COPY" reference, "Binary Format"). A text field's binary form is its bytes.
// Not for: pipeline mode (PostgreSQL refuses COPY there: leave it first, pg/pipeline.hpp), or
// COPY TO (the backfill's reader reads with PQgetCopyData itself).
// Thread-safety: one thread per connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dualwrite/pg/connection.hpp"

namespace dualwrite::pg {

namespace copy_binary {
// What a binary COPY stream starts and ends with.
inline constexpr std::string_view kHeader{"PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19};
inline constexpr std::string_view kTrailer{"\377\377", 2};

// A tuple of `fields` fields starts.
void append_tuple_start(std::string& out, std::uint16_t fields);
// One field: a value's binary form (for text: its bytes), or NULL.
void append_field(std::string& out, std::string_view value);
void append_null(std::string& out);
// A bigint field.
void append_int8(std::string& out, std::int64_t value);
}  // namespace copy_binary

// One COPY … FROM STDIN, from start to the server's result.
class CopyIn {
 public:
  // Starts `copy_sql` (a COPY … FROM STDIN). `what` names it in errors. Throws DbError (with
  // the server's SQLSTATE) when the server refuses it.
  CopyIn(Connection& connection, const std::string& copy_sql, std::string what);
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;
  // Ends a COPY that was not finished, making the server fail it (nothing is written).
  ~CopyIn();

  // Sends data (any split of the stream). Throws DbError when the connection broke.
  void put(std::string_view data);
  // Ends the data and reads the server's result. Returns the rows copied. Throws DbError with
  // the server's SQLSTATE (e.g. a value its type refuses) or a lost connection.
  std::uint64_t finish();
  // Ends the COPY as failed, with `reason` as the server's error; the result is read and dropped.
  void abort(const std::string& reason) noexcept;

 private:
  void drain() noexcept;

  Connection& conn_;
  std::string what_;
  bool open_ = false;
};

}  // namespace dualwrite::pg

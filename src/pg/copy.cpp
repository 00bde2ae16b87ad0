#include "dualwrite/pg/copy.hpp"

#include <array>
#include <cstdlib>

namespace dualwrite::pg {

namespace copy_binary {

namespace {
template <typename T>
void append_big_endian(std::string& out, T value) {
  std::array<char, sizeof(T)> bytes{};
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[sizeof(T) - 1 - i] = static_cast<char>(static_cast<std::uint64_t>(value) >> (8 * i));
  }
  out.append(bytes.data(), bytes.size());
}
}  // namespace

void append_tuple_start(std::string& out, std::uint16_t fields) {
  append_big_endian(out, fields);
}

void append_field(std::string& out, std::string_view value) {
  append_big_endian(out, static_cast<std::uint32_t>(value.size()));
  out.append(value);
}

void append_null(std::string& out) {
  append_big_endian(out, std::uint32_t{0xffffffff});
}

void append_int8(std::string& out, std::int64_t value) {
  append_big_endian(out, std::uint32_t{8});
  append_big_endian(out, static_cast<std::uint64_t>(value));
}

}  // namespace copy_binary

CopyIn::CopyIn(Connection& connection, const std::string& copy_sql, std::string what)
    : conn_(connection), what_(std::move(what)) {
  ResultPtr r(PQexec(conn_.get(), copy_sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
    const DbError e = conn_.error_of(r.get());
    drain();
    throw DbError(what_ + ": " + e.what(), e.sqlstate(), e.connection_lost());
  }
  open_ = true;
}

CopyIn::~CopyIn() {
  if (open_) abort("the COPY was not finished");
}

void CopyIn::put(std::string_view data) {
  // libpq queues what the socket does not take at once (blocking connection: it waits).
  if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1) {
    open_ = false;
    throw DbError(what_ + ": " + PQerrorMessage(conn_.get()), "", true);
  }
}

std::uint64_t CopyIn::finish() {
  open_ = false;
  if (PQputCopyEnd(conn_.get(), nullptr) != 1) {
    throw DbError(what_ + ": " + PQerrorMessage(conn_.get()), "", true);
  }
  ResultPtr done(PQgetResult(conn_.get()));
  if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
    const DbError e = conn_.error_of(done.get());
    drain();
    throw DbError(what_ + ": " + e.what(), e.sqlstate(), e.connection_lost());
  }
  const std::uint64_t rows = std::strtoull(PQcmdTuples(done.get()), nullptr, 10);
  drain();
  return rows;
}

void CopyIn::abort(const std::string& reason) noexcept {
  open_ = false;
  PQputCopyEnd(conn_.get(), reason.c_str());
  drain();
}

void CopyIn::drain() noexcept {
  while (PGresult* r = PQgetResult(conn_.get())) PQclear(r);
}

}  // namespace dualwrite::pg

#include "dualwrite/admin/slot_reader.hpp"

#include <cstdlib>
#include <cstring>

#include "dualwrite/core/identifier.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/admin.hpp"

namespace dualwrite::admin {

namespace {

constexpr const char* kCursor = "dw_slot_rows";

// A running peek must not be cut by the role's timeouts: the first FETCH decodes the whole
// range, and between FETCHes the session waits for the target, idle in its transaction.
constexpr const char* kNoTimeouts =
    "SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0";

std::uint64_t big_endian(const char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string in_use_message(const std::string& slot, int pid, std::string_view application) {
  const std::string who = application == "dualwrite" || application.empty()
                              ? "the running daemon (walsender pid " + std::to_string(pid) + ")"
                              : "another session (pid " + std::to_string(pid) +
                                    ", application_name '" + std::string(application) + "')";
  return "slot " + slot + " is in use by " + who +
         ": stop it (systemctl stop dualwrite) to peek/replay";
}

}  // namespace

std::string publication_names_option(std::string_view publication) {
  return quote_identifier(publication);
}

Result<SlotState> check_idle_slot(apply::Connection& source, const std::string& slot,
                                  std::string_view command) {
  auto r = source.query(sql::admin::idle_slot, {slot.c_str()});
  if (PQntuples(r.get()) == 0) {
    return make_error(ErrorDomain::slot_lost,
                      "replication slot " + slot + " does not exist: there is nothing to " +
                          std::string(command) + " (dualwrite run or bootstrap creates it)");
  }
  const auto* res = r.get();
  if (std::string_view(PQgetvalue(res, 0, 5)) != "logical" ||
      std::string_view(PQgetvalue(res, 0, 6)) != "pgoutput") {
    return make_error(ErrorDomain::usage, "replication slot " + slot +
                                              " is not a logical slot of plugin pgoutput; "
                                              "[source] slot names the bridge's slot");
  }
  SlotState s;
  s.name = slot;
  s.wal_status = PQgetvalue(res, 0, 2);
  if (s.wal_status == "lost") {
    return make_error(ErrorDomain::slot_lost,
                      "replication slot " + slot +
                          " is invalidated (wal_status = lost): the WAL it needed was removed, "
                          "nothing can be read from it");
  }
  if (*PQgetvalue(res, 0, 0) == 't') {
    return make_error(ErrorDomain::usage, in_use_message(slot, std::atoi(PQgetvalue(res, 0, 1)),
                                                         PQgetvalue(res, 0, 7)));
  }
  s.confirmed_flush = Lsn::parse(PQgetvalue(res, 0, 3)).value_or(Lsn::invalid());
  s.restart_lsn = Lsn::parse(PQgetvalue(res, 0, 4)).value_or(Lsn::invalid());
  return s;
}

Error slot_read_error(const Error& e, const std::string& slot, std::string_view command,
                      ErrorDomain domain) {
  const std::string_view message = e.message;
  if (e.sqlstate == "55006") {  // object_in_use: "replication slot "x" is active for PID n"
    const auto at = message.find("PID ");
    const int pid = at == std::string_view::npos ? 0 : std::atoi(message.data() + at + 4);
    return make_error(ErrorDomain::usage, in_use_message(slot, pid, ""));
  }
  if (e.sqlstate == "42704" ||
      message.find("can no longer get changes from replication slot") != std::string_view::npos) {
    return make_error(ErrorDomain::slot_lost,
                      "replication slot " + slot + " cannot be read: " + std::string(message));
  }
  return make_error(domain, "source: " + std::string(command) + ": " + std::string(message));
}

SlotReader::SlotReader(apply::Connection& source, SlotReaderOptions options)
    : source_(source), options_(std::move(options)) {}

SlotReader::~SlotReader() {
  close();
}

void SlotReader::close() {
  if (!open_) return;
  open_ = false;
  batch_.reset();
  // Nothing was written: ROLLBACK ends the transaction whatever state an error left it in.
  if (source_.ok()) apply::ResultPtr(PQexec(source_.get(), "ROLLBACK"));
}

Status SlotReader::fetch() {
  auto fetched = pg::attempt(ErrorDomain::source, [&] {
    if (!open_) {
      source_.exec("BEGIN");
      open_ = true;
      source_.exec(kNoTimeouts);
      const std::string upto = options_.upto_lsn.to_string();
      const std::string rows = std::to_string(options_.upto_rows);
      const std::string names = publication_names_option(options_.publication);
      source_.query(std::string("DECLARE ") + kCursor + " NO SCROLL CURSOR FOR " +
                        std::string(sql::admin::slot_rows),
                    {options_.slot.c_str(), options_.upto_lsn.is_valid() ? upto.c_str() : nullptr,
                     options_.upto_rows > 0 ? rows.c_str() : nullptr, names.c_str()});
    }
    const std::string sql =
        "FETCH " + std::to_string(options_.fetch_rows) + " FROM " + std::string(kCursor);
    // Binary results: the bytea arrives as is (no hex to undo), pg_lsn and xid as integers.
    apply::ResultPtr r(
        PQexecParams(source_.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) throw source_.error_of(r.get());
    batch_ = std::move(r);
    batch_row_ = 0;
    if (PQntuples(batch_.get()) == 0) exhausted_ = true;
  });
  if (fetched) return Ok{};
  close();
  exhausted_ = true;
  return slot_read_error(fetched.error(), options_.slot, "reading the slot");
}

Result<std::optional<SlotRow>> SlotReader::next() {
  if (exhausted_) return std::optional<SlotRow>{};
  if (!batch_ || batch_row_ >= PQntuples(batch_.get())) {
    if (auto s = fetch(); !s) return s.error();
    if (exhausted_) return std::optional<SlotRow>{};
  }
  const PGresult* r = batch_.get();
  const int i = batch_row_++;
  if (PQgetlength(r, i, 0) != 8 || PQgetlength(r, i, 1) != 4 || PQgetisnull(r, i, 2)) {
    return make_error(ErrorDomain::source,
                      "reading the slot: unexpected row layout from the server");
  }
  SlotRow row;
  row.lsn = Lsn{big_endian(PQgetvalue(r, i, 0), 8)};
  row.xid = static_cast<std::uint32_t>(big_endian(PQgetvalue(r, i, 1), 4));
  row.data = {reinterpret_cast<const std::byte*>(PQgetvalue(r, i, 2)),
              static_cast<std::size_t>(PQgetlength(r, i, 2))};
  ++rows_read_;
  return std::optional<SlotRow>{row};
}

Result<TransactionSpan> transactions_ending_in(apply::Connection& source,
                                               const SlotReaderOptions& slot, Lsn from, Lsn to) {
  // Commit messages (tag 'C' = 67): flags at byte 1, commit_lsn at 2..9, end_lsn at 10..17
  // (substring counts from 1). Only one summary row leaves the server.
  const std::string upto = to.to_string();
  const std::string start = from.to_string();
  const std::string names = publication_names_option(slot.publication);
  auto counted = pg::attempt(ErrorDomain::source, [&] {
    source.exec("BEGIN");
    source.exec(kNoTimeouts);
    auto r = source.query(sql::admin::transactions_ending_in,
                          {slot.slot.c_str(), upto.c_str(), nullptr, names.c_str(), start.c_str()});
    source.exec("ROLLBACK");
    TransactionSpan span;
    span.transactions = std::strtoull(PQgetvalue(r.get(), 0, 0), nullptr, 10);
    if (span.transactions > 0) {
      span.first_commit = Lsn::parse(PQgetvalue(r.get(), 0, 1)).value_or(Lsn::invalid());
      span.last_commit = Lsn::parse(PQgetvalue(r.get(), 0, 2)).value_or(Lsn::invalid());
      span.first_end = Lsn::parse(PQgetvalue(r.get(), 0, 3)).value_or(Lsn::invalid());
      span.last_end = Lsn::parse(PQgetvalue(r.get(), 0, 4)).value_or(Lsn::invalid());
    }
    return span;
  });
  if (counted) return *counted;
  if (source.ok()) apply::ResultPtr(PQexec(source.get(), "ROLLBACK"));
  return slot_read_error(counted.error(), slot.slot, "reading the slot");
}

}  // namespace dualwrite::admin

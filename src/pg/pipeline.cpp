#include "dualwrite/pg/pipeline.hpp"

#include <string>

namespace dualwrite::pg {

void Pipeline::lost(std::string_view doing) const {
  std::string message = PQerrorMessage(conn_.get());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  throw DbError(std::string(doing) + ": " + (message.empty() ? "connection lost" : message), "",
                true);
}

void Pipeline::enter() {
  if (PQpipelineStatus(conn_.get()) == PQ_PIPELINE_ON) return;
  if (PQenterPipelineMode(conn_.get()) != 1) lost("cannot enter pipeline mode");
}

void Pipeline::leave() {
  if (PQpipelineStatus(conn_.get()) == PQ_PIPELINE_OFF) return;
  if (PQexitPipelineMode(conn_.get()) != 1) lost("cannot leave pipeline mode");
}

bool Pipeline::active() const {
  return PQpipelineStatus(conn_.get()) != PQ_PIPELINE_OFF;
}

void Pipeline::send_prepared(std::string_view name, std::span<const char* const> values,
                             std::string what, Handler on_result) {
  const std::string statement(name);
  if (PQsendQueryPrepared(conn_.get(), statement.c_str(), static_cast<int>(values.size()),
                          values.data(), nullptr, nullptr, 0) != 1) {
    lost("cannot send " + what);
  }
  sent_.push_back({std::move(what), std::move(on_result)});
}

void Pipeline::send(std::string_view sql, std::string what, Handler on_result) {
  const std::string text(sql);
  if (PQsendQueryParams(conn_.get(), text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
    lost("cannot send " + (what.empty() ? text : what));
  }
  sent_.push_back({what.empty() ? text : std::move(what), std::move(on_result)});
}

std::optional<DbError> Pipeline::sync() {
  if (sent_.empty()) return std::nullopt;
  if (PQpipelineSync(conn_.get()) != 1) lost("cannot sync the pipeline");
  std::optional<DbError> first_error;
  std::deque<Sent> sent;
  sent.swap(sent_);
  for (auto& s : sent) {
    // Each statement's results end with a NULL; an error can come with no result at all when
    // the connection broke.
    while (PGresult* raw = PQgetResult(conn_.get())) {
      ResultPtr r(raw);
      const auto status = PQresultStatus(raw);
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        if (s.on_result && !first_error) s.on_result(raw);
      } else if (status == PGRES_FATAL_ERROR) {
        const DbError e = conn_.error_of(raw);
        if (e.connection_lost()) throw DbError(s.what + ": " + e.what(), e.sqlstate(), true);
        if (!first_error) first_error.emplace(s.what + ": " + e.what(), e.sqlstate(), false);
      }
      // PGRES_PIPELINE_ABORTED: skipped after an earlier failure.
    }
    if (PQstatus(conn_.get()) != CONNECTION_OK) lost(s.what);
  }
  ResultPtr end(PQgetResult(conn_.get()));
  if (!end || PQresultStatus(end.get()) != PGRES_PIPELINE_SYNC) {
    if (PQstatus(conn_.get()) != CONNECTION_OK) lost("reading the pipeline");
    throw DbError("target pipeline out of step", "", true);
  }
  return first_error;
}

bool Pipeline::discard() {
  sent_.clear();
  if (!conn_.ok() || PQpipelineStatus(conn_.get()) == PQ_PIPELINE_OFF) return conn_.ok();
  if (PQpipelineSync(conn_.get()) != 1) return false;
  // Everything up to that Sync: earlier statements' results, then the Sync itself (an earlier
  // sync's results are already read).
  for (;;) {
    PGresult* raw = PQgetResult(conn_.get());
    if (raw == nullptr) {
      if (PQstatus(conn_.get()) != CONNECTION_OK) return false;
      continue;
    }
    const bool synced = PQresultStatus(raw) == PGRES_PIPELINE_SYNC;
    PQclear(raw);
    if (synced) return true;
  }
}

}  // namespace dualwrite::pg

#include "dualwrite/backfill/backfill.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/admin/privileges.hpp"
#include "dualwrite/apply/applier.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/backfill/plan.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/core/identifier.hpp"
#include "dualwrite/core/pg_time.hpp"
#include "dualwrite/core/sql_template.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/backfill.hpp"
#include "dualwrite/stream/replication.hpp"
#include "dualwrite/translate/json_change.hpp"

namespace dualwrite::backfill {

namespace {

using apply::Connection;
using apply::DbError;
using Clock = std::chrono::steady_clock;

// A refusal or failure with the exit code's domain; the message is the one line the user sees.
struct Refusal : std::runtime_error {
  Refusal(ErrorDomain d, const std::string& message) : std::runtime_error(message), domain(d) {}
  ErrorDomain domain;
};

// Likes and bookmarks are unique per (account, slug, type): the earliest (created_at, id) stays
// in activity_interactions, the others wait in dualwrite.merged_interactions — what
// dualwrite.put_unique_interaction() does row by row for the stream, here set-based per chunk
// over the chunk's rows (dw_backfill_likes) and what earlier chunks kept. Correct whatever the
// order of chunks and whichever snapshot each was read in.
constexpr std::string_view kMergeLikes[] = {
    sql::backfill::likes_move_beaten,    // a kept row beaten by an earlier one of the chunk
    sql::backfill::likes_keep_earliest,  // the chunk's earliest of each key, where none is kept
    sql::backfill::likes_park_rest,      // the rest waits in the merge table
};

// A result's status, or the connection's error as DbError.
void expect(Connection& conn, PGresult* raw, ExecStatusType wanted, const char* what) {
  apply::ResultPtr r(raw);
  if (PQresultStatus(r.get()) != wanted) {
    auto e = conn.error_of(r.get());
    throw DbError(std::string(what) + ": " + e.what(), e.sqlstate(), e.connection_lost());
  }
}

void drain(Connection& conn) {
  while (PGresult* r = PQgetResult(conn.get())) PQclear(r);
}

// Streams the rows of `select_sql` (run on `reader`) into `target` (on `writer`), in binary
// COPY format, without holding more than one row in memory. Returns the rows written.
std::uint64_t copy_rows(Connection& reader, const std::string& select_sql, Connection& writer,
                        const std::string& target) {
  const std::string copy_in = "COPY " + quote_qualified(target) + " FROM STDIN (FORMAT binary)";
  expect(writer, PQexec(writer.get(), copy_in.c_str()), PGRES_COPY_IN, "COPY into the target");
  PGresult* out =
      PQexec(reader.get(), ("COPY (" + select_sql + ") TO STDOUT (FORMAT binary)").c_str());
  if (PQresultStatus(out) != PGRES_COPY_OUT) {
    PQputCopyEnd(writer.get(), "the reader failed");
    drain(writer);
    expect(reader, out, PGRES_COPY_OUT, "reading in the snapshot");
  }
  PQclear(out);
  for (;;) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(reader.get(), &buffer, 0);
    if (n == -1) break;
    if (n < 0) {
      PQputCopyEnd(writer.get(), "the reader failed");
      drain(writer);
      throw DbError(std::string("reading in the snapshot: ") + PQerrorMessage(reader.get()), "",
                    PQstatus(reader.get()) != CONNECTION_OK);
    }
    const int put = PQputCopyData(writer.get(), buffer, n);
    PQfreemem(buffer);
    if (put != 1) {
      drain(reader);
      throw DbError(std::string("writing to the target: ") + PQerrorMessage(writer.get()), "",
                    true);
    }
  }
  expect(reader, PQgetResult(reader.get()), PGRES_COMMAND_OK, "reading in the snapshot");
  drain(reader);
  if (PQputCopyEnd(writer.get(), nullptr) != 1) {
    throw DbError(std::string("writing to the target: ") + PQerrorMessage(writer.get()), "", true);
  }
  apply::ResultPtr done(PQgetResult(writer.get()));
  if (PQresultStatus(done.get()) != PGRES_COMMAND_OK) {
    auto e = writer.error_of(done.get());
    drain(writer);
    throw DbError(std::string("COPY into ") + target + ": " + e.what(), e.sqlstate(),
                  e.connection_lost());
  }
  const std::uint64_t rows = std::strtoull(PQcmdTuples(done.get()), nullptr, 10);
  drain(writer);
  return rows;
}

// copy_rows through a staging table (a temporary copy of the target's columns, emptied at
// commit), then INSERT … SELECT. Two reasons to take the detour:
//   tolerant  insert what does not collide with a row already there: what a resumed backfill
//             does, because rows read in its fresh snapshot may collide with rows an earlier
//             snapshot wrote. The stream re-applies the changes between the two snapshots,
//             which settles those rows.
//   RLS       PostgreSQL refuses COPY FROM into a table whose row-level security applies to the
//             writer ("COPY FROM not supported with row-level security"): the bridge's role
//             `dualwrite` writes the new tables through its policies, not around them.
std::uint64_t copy_rows_staged(Connection& reader, const std::string& select_sql,
                               Connection& writer, const std::string& target, bool tolerant) {
  const Staging stage = staging(target, tolerant);
  writer.exec(stage.create);
  copy_rows(reader, select_sql, writer, stage.table);
  auto r = writer.query(stage.insert);
  writer.exec("DELETE FROM " + quote_identifier(stage.table));
  return std::strtoull(PQcmdTuples(r.get()), nullptr, 10);
}

struct PlannedChunk {
  std::string step;
  int chunk = 0;
  int ordinal = 0;
  Chunk range;
};

class Bootstrap {
 public:
  Bootstrap(const config::Config& config, const BootstrapOptions& options)
      : config_(config), options_(options) {}

  int run();
  int run_steps(Clock::time_point started);

 private:
  void say(const std::string& line) const {
    if (options_.print) options_.print(line);
  }
  const char* slot() const { return config_.source.slot.c_str(); }

  std::string temp_slot_name() const {
    return config_.source.slot + "_bootstrap_" + std::to_string(static_cast<long>(::getpid()));
  }

  void check_privileges();
  void refuse_busy_tables();
  void start(const admin::BridgePositions& positions);
  void resume(const std::string& recorded_point, const admin::BridgePositions& positions);
  void place_origin();
  void abandon_created_slot();
  int finish(Clock::time_point started);
  void open_snapshot_reader(const std::string& snapshot);
  void plan();
  void execute();
  // Runs one chunk; `mark` records it done in the same transaction (false: a top-up).
  std::uint64_t run_chunk(const Step& step, const PlannedChunk& chunk, bool mark);
  void compute_merged_likes();
  std::uint64_t run_letters(const Step& step);
  std::uint64_t estimate_rows(const Step& step);
  void mark_done(const PlannedChunk& chunk, std::uint64_t rows);
  void retire(const PlannedChunk& chunk);
  // Plain COPY in one snapshot; tolerant of collisions once the backfill was resumed; staged
  // when row-level security applies to the writer (copy_rows_staged).
  std::uint64_t copy(const std::string& select_sql, const std::string& target) {
    return copy_into(select_sql, target, resumed_);
  }
  std::uint64_t copy_into(const std::string& select_sql, const std::string& target, bool tolerant) {
    if (tolerant || under_rls(target)) {
      return copy_rows_staged(reader_, select_sql, target_, target, tolerant);
    }
    return copy_rows(reader_, select_sql, target_, target);
  }
  bool under_rls(const std::string& table);

  const config::Config& config_;
  const BootstrapOptions& options_;
  Connection source_;
  Connection target_;                                         // the writer
  Connection reader_;                                         // reads in the snapshot
  std::optional<stream::ReplicationConnection> replication_;  // keeps the snapshot alive
  Lsn consistent_point_;
  Lsn snapshot_lsn_;
  bool resumed_ = false;  // reading in a later snapshot than the consistent point
  bool merged_likes_ready_ = false;
  bool created_slot_ = false;  // this run created the slot (not --reuse-slot, not a resume)
  bool recorded_ = false;      // dualwrite.bootstrap has this bootstrap's row (resumable)
  std::map<std::string, bool> under_rls_;  // by target table: whether RLS applies to the writer
};

void Bootstrap::open_snapshot_reader(const std::string& snapshot) {
  reader_ = admin::connect_source(config_);
  // Created before the read-only transaction, which may fill temporary tables but not create
  // them.
  reader_.exec(sql::backfill::reader_session_setup);
  reader_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  char* literal = PQescapeLiteral(reader_.get(), snapshot.data(), snapshot.size());
  if (literal == nullptr) throw DbError("cannot quote the snapshot name", "", false);
  const std::string quoted = literal;
  PQfreemem(literal);
  reader_.exec("SET TRANSACTION SNAPSHOT " + quoted);
}

// The likes and bookmarks that are not the earliest of their (account, slug, type) in the
// snapshot, by the rule of dualwrite.put_unique_interaction(): (created_at, id).
void Bootstrap::compute_merged_likes() {
  if (merged_likes_ready_) return;
  reader_.exec(sql::backfill::find_merged_likes);
  merged_likes_ready_ = true;
}

std::uint64_t Bootstrap::estimate_rows(const Step& step) {
  if (step.rows_per_source_row <= 0.0) return 0;
  const std::string table = "public." + step.source_table;
  double rows =
      std::strtod(reader_.scalar(sql::backfill::estimated_rows, {table.c_str()}).c_str(), nullptr);
  if (rows <= 0.0) {  // never analysed: count, in the snapshot
    const std::string count =
        with_identifier(sql::backfill::source_rows, "table", step.source_table);
    rows = std::strtod(reader_.scalar(count).c_str(), nullptr);
  }
  return static_cast<std::uint64_t>(rows * step.rows_per_source_row);
}

void Bootstrap::plan() {
  bool found = false;
  target_.scalar(sql::backfill::plan_recorded, {slot()}, &found);
  if (found) return;
  std::vector<PlannedChunk> chunks;
  int ordinal = 0;
  for (const auto& step : steps()) {
    std::vector<Chunk> ranges;
    if (step.key == KeyKind::uuid) {
      ranges = uuid_chunks(chunk_count(estimate_rows(step), options_.chunk_rows));
    } else if (step.key == KeyKind::bigint) {
      auto r = reader_.query(with_identifier(sql::backfill::id_range, "table", step.source_table));
      ranges = bigint_chunks(std::stoll(PQgetvalue(r.get(), 0, 0)),
                             std::stoll(PQgetvalue(r.get(), 0, 1)), options_.chunk_rows);
    } else {
      ranges.push_back(Chunk{});
    }
    for (auto& range : ranges) chunks.push_back({step.name, range.number, ordinal, range});
    ++ordinal;
  }
  target_.exec("BEGIN");
  for (const auto& c : chunks) {
    const std::string chunk = std::to_string(c.chunk), ordinal_text = std::to_string(c.ordinal);
    target_.query(
        sql::backfill::plan_chunk,
        {slot(), c.step.c_str(), chunk.c_str(), ordinal_text.c_str(),
         c.range.lo ? c.range.lo->c_str() : nullptr, c.range.hi ? c.range.hi->c_str() : nullptr});
  }
  target_.exec("COMMIT");
  say("planned " + std::to_string(chunks.size()) + " chunks over " +
      std::to_string(steps().size()) + " steps");
}

bool Bootstrap::under_rls(const std::string& table) {
  const auto known = under_rls_.find(table);
  if (known != under_rls_.end()) return known->second;
  const bool applies = target_.scalar(sql::backfill::row_security_applies, {table.c_str()}) == "t";
  under_rls_.emplace(table, applies);
  return applies;
}

// A step an earlier version planned and this one no longer runs: marked done with no rows, so
// that a bootstrap planned by that version finishes and its counts stay whole.
void Bootstrap::retire(const PlannedChunk& chunk) {
  const std::string number = std::to_string(chunk.chunk);
  target_.query(sql::backfill::retire_chunk, {slot(), chunk.step.c_str(), number.c_str()});
}

void Bootstrap::mark_done(const PlannedChunk& chunk, std::uint64_t rows) {
  const std::string rows_text = std::to_string(rows), number = std::to_string(chunk.chunk),
                    lsn = snapshot_lsn_.to_string();
  target_.query(sql::backfill::mark_chunk_done,
                {slot(), chunk.step.c_str(), number.c_str(), rows_text.c_str(), lsn.c_str()});
}

std::uint64_t Bootstrap::run_chunk(const Step& step, const PlannedChunk& chunk, bool mark) {
  const std::string range = range_predicate(step.key_column, step.key, chunk.range);
  std::uint64_t rows = 0;
  target_.exec("BEGIN");
  switch (step.kind) {
    case StepKind::copy:
      if (step.hash_joins_only) reader_.exec("SET enable_nestloop = off");
      rows = copy(with_range(step.reader, range), step.target);
      if (step.hash_joins_only) reader_.exec("RESET enable_nestloop");
      break;
    case StepKind::interactions: {
      if (!resumed_) {
        // One snapshot: which likes/bookmarks are merged is known up front (computed once in
        // it), so each chunk's rows go straight to their table.
        compute_merged_likes();
        rows = copy_into(with_range(sql::backfill::feedback_unmerged, range), step.target, false);
        rows += copy_into(with_range(sql::backfill::feedback_merged, range),
                          "dualwrite.merged_interactions", false);
        break;
      }
      // Resumed: earlier chunks were read in another snapshot, whose kept likes may differ;
      // merge against what the table holds, as the stream does.
      rows = copy(with_range(sql::backfill::feedback_plain, range), step.target);
      rows += copy_rows(reader_, with_range(sql::backfill::feedback_likes, range), target_,
                        "dw_backfill_likes");
      for (const std::string_view sql : kMergeLikes) target_.exec(sql);
      break;
    }
    case StepKind::outcomes: {
      rows = copy_rows(reader_, step.reader, target_, "dw_backfill_outcomes");
      target_.exec(sql::backfill::set_item_outcomes);
      break;
    }
    case StepKind::letters:
      target_.exec("ROLLBACK");
      rows = run_letters(step);
      target_.exec("BEGIN");
      break;
  }
  if (mark) mark_done(chunk, rows);
  target_.exec("COMMIT");
  return rows;
}

// The legacy rows the views leave out, each applied as an INSERT through the stream's Applier
// (careful mode: a change the target refuses becomes an apply_error letter, alone). Letters
// carry the consistent point as their position and xid 0: the dead-letter de-duplication then
// keeps a resumed step from writing them twice.
std::uint64_t Bootstrap::run_letters(const Step& step) {
  apply::ApplyStats stats;
  apply::Applier applier(admin::target_apply_options(config_), stats);
  applier.connect();
  applier.set_careful(true);
  translate::SourcePosition position;
  position.commit_lsn = consistent_point_;
  position.end_lsn = consistent_point_;
  position.commit_time_micros = to_pg_micros(std::chrono::system_clock::now());
  reader_.exec("DECLARE dw_letters NO SCROLL CURSOR FOR " + step.reader);
  std::uint64_t rows = 0;
  for (;;) {
    auto batch = reader_.query("FETCH 500 FROM dw_letters");
    const int n = PQntuples(batch.get());
    if (n == 0) break;
    std::deque<translate::JsonChangeLoader> loaders;  // the changes view into them
    applier.begin(position);
    for (int i = 0; i < n; ++i) {
      translate::Change change;
      loaders.emplace_back();
      if (!loaders.back().load(step.source_table, "insert", nullptr, PQgetvalue(batch.get(), i, 0),
                               change)) {
        throw Refusal(ErrorDomain::internal, "cannot rebuild a row of " + step.source_table);
      }
      applier.apply(change);
    }
    applier.end(position);
    applier.commit();
    rows += static_cast<std::uint64_t>(n);
  }
  reader_.exec("CLOSE dw_letters");
  return rows;
}

void Bootstrap::execute() {
  // Staging for the chunks that merge or update rather than append; emptied at each commit.
  target_.exec(sql::backfill::session_setup);
  std::map<std::string, const Step*> by_name;
  for (const auto& s : steps()) by_name[s.name] = &s;

  // Every chunk in plan order. After a resume the finished ones are topped up first, step by
  // step (parents before children): re-read in the fresh snapshot, only what is missing is
  // added. Otherwise a row the first snapshot left out of a finished chunk (its user was not
  // linked yet, so the view left it to the dead letters) and the fresh snapshot no longer
  // leaves out (so no letter is written for it either) would be lost; and the remaining
  // chunks' rows may name parents created in between. Streaming from the first consistent
  // point then re-applies everything else that changed in between.
  auto pending = target_.query(sql::backfill::planned_chunks, {slot()});
  std::uint64_t topped_up = 0;
  bool ran = false;  // whether the current step had chunks left to do
  std::string current;
  std::uint64_t step_rows = 0, estimate = 0;
  Clock::time_point step_started, last_print;
  auto finish_step = [&] {
    if (topped_up > 0) {
      say(current + ": topped up " + std::to_string(topped_up) +
          " rows of finished chunks from the fresh snapshot");
    }
    topped_up = 0;
    if (!current.empty() && ran) {
      say(progress_line(current, step_rows, estimate, Clock::now() - step_started, true));
    }
  };
  for (int i = 0; i < PQntuples(pending.get()); ++i) {
    PlannedChunk chunk;
    chunk.step = PQgetvalue(pending.get(), i, 0);
    chunk.chunk = std::atoi(PQgetvalue(pending.get(), i, 1));
    chunk.ordinal = std::atoi(PQgetvalue(pending.get(), i, 2));
    if (!PQgetisnull(pending.get(), i, 3)) chunk.range.lo = PQgetvalue(pending.get(), i, 3);
    if (!PQgetisnull(pending.get(), i, 4)) chunk.range.hi = PQgetvalue(pending.get(), i, 4);
    if (is_retired_step(chunk.step)) {
      retire(chunk);
      continue;
    }
    const auto it = by_name.find(chunk.step);
    if (it == by_name.end()) {
      throw Refusal(ErrorDomain::usage,
                    "the recorded plan names a step this version does not know (" + chunk.step +
                        "): finish it with the dualwrite version that started it");
    }
    const Step& step = *it->second;
    if (chunk.step != current) {
      finish_step();
      current = chunk.step;
      step_rows = 0;  // this run's rows: the rate and ETA are of this run
      ran = false;
      estimate = estimate_rows(step);
      const std::uint64_t before = std::strtoull(PQgetvalue(pending.get(), i, 5), nullptr, 10);
      estimate = estimate > before ? estimate - before : 0;
      step_started = last_print = Clock::now();
    }
    if (*PQgetvalue(pending.get(), i, 7) == 't') {
      if (resumed_ && step.kind != StepKind::letters) {
        topped_up += run_chunk(step, chunk, /*mark=*/false);
      }
      continue;
    }
    ran = true;
    step_rows += run_chunk(step, chunk, /*mark=*/true);
    if (Clock::now() - last_print >= options_.progress_interval) {
      last_print = Clock::now();
      say(progress_line(current, step_rows, estimate, last_print - step_started, false));
    }
  }
  finish_step();
}

void Bootstrap::check_privileges() {
  const auto all = admin::required_privileges(config_);
  std::vector<admin::Requirement> mine;
  for (const auto& r : all) {
    if (r.commands & admin::kBootstrap) mine.push_back(r);
  }
  const std::string role = target_.scalar("SELECT current_user");
  auto missing = admin::missing_privileges(source_, role, admin::Side::source, mine);
  const ErrorDomain domain = missing.empty() ? ErrorDomain::target : ErrorDomain::source;
  for (auto& s : admin::missing_privileges(target_, role, admin::Side::target, mine)) {
    missing.push_back(std::move(s));
  }
  if (missing.empty()) return;
  std::string more;
  if (missing.size() > 1) {
    more = "; and " + std::to_string(missing.size() - 1) + " more (`dualwrite check` lists them)";
  }
  throw Refusal(domain, missing.front().line(role) + more +
                            ". Bootstrap changed nothing: grant, then run it again");
}

// The origin at the consistent point: created when absent, moved when elsewhere. Safe to redo
// while the bootstrap is unfinished, since `run` refuses to move it until then.
void Bootstrap::place_origin() {
  const std::string point = consistent_point_.to_string();
  const char* origin = config_.source.origin.c_str();
  pg::create_origin_if_missing(target_, config_.source.origin);
  target_.query("SELECT pg_replication_origin_advance($1, $2::pg_lsn)", {origin, point.c_str()});
  say("replication origin " + config_.source.origin + " set to " + point);
}

void Bootstrap::resume(const std::string& recorded_point, const admin::BridgePositions& positions) {
  consistent_point_ = Lsn::parse(recorded_point).value_or(Lsn{});
  if (!positions.slot_exists || positions.wal_status == "lost") {
    throw Refusal(ErrorDomain::slot_lost,
                  "the unfinished bootstrap's slot " + config_.source.slot +
                      " is gone or lost: streaming can no longer start at its consistent "
                      "point. Start over: truncate the new tables, DELETE FROM "
                      "dualwrite.bootstrap WHERE slot = '" +
                      config_.source.slot + "', and bootstrap again");
  }
  auto temp = replication_->create_slot(temp_slot_name(), stream::SnapshotAction::export_snapshot,
                                        /*temporary=*/true);
  if (!temp) throw Refusal(temp.error().domain, "source: " + temp.error().message);
  snapshot_lsn_ = temp->consistent_point;
  open_snapshot_reader(temp->snapshot_name);
  target_.query(sql::backfill::count_snapshot, {slot()});
  recorded_ = true;
  say("resuming the bootstrap of slot " + config_.source.slot + " (streaming starts at " +
      consistent_point_.to_string() + "); remaining chunks read in a fresh snapshot at " +
      snapshot_lsn_.to_string());
  // A first run that stopped between its record and its origin left no origin.
  place_origin();
}

void Bootstrap::refuse_busy_tables() {
  // The new tables and the merge table must all be empty on a first start.
  std::vector<std::pair<std::string, std::string>> tables;  // schema, table
  for (const char* t : admin::kTargetTables) tables.emplace_back("public", t);
  tables.emplace_back("dualwrite", "merged_interactions");
  std::string busy;
  for (const auto& [schema, table] : tables) {
    bool found = false;
    target_.scalar(
        with_identifier(with_identifier(sql::backfill::any_row, "schema", schema), "table", table),
        {}, &found);
    if (found) busy += (busy.empty() ? "" : ", ") + schema + "." + table;
  }
  if (!busy.empty()) {
    throw Refusal(ErrorDomain::usage,
                  "the new tables already hold rows (" + busy +
                      "): bootstrap fills empty tables. Truncate them, or resume an "
                      "interrupted bootstrap (dualwrite.bootstrap has no row for slot " +
                      config_.source.slot + ")");
  }
}

void Bootstrap::start(const admin::BridgePositions& positions) {
  refuse_busy_tables();
  if (positions.slot_exists && !options_.reuse_slot) {
    throw Refusal(ErrorDomain::usage,
                  "replication slot " + config_.source.slot +
                      " already exists: bootstrap creates its own to take a snapshot. Drop "
                      "it (SELECT pg_drop_replication_slot('" +
                      config_.source.slot + "')) or pass --reuse-slot to stream from its position");
  }
  if (admin::ensure_publication(source_, config_)) {
    say("created publication " + config_.source.publication);
  }
  // Before the slot: a slug that enters the catalog after the snapshot reaches the stream only
  // if the publication carries the catalog when the slot starts decoding.
  if (auto missing = admin::ensure_catalog_published(source_, config_)) {
    throw Refusal(ErrorDomain::usage, *missing);
  }
  std::string snapshot;
  if (positions.slot_exists) {
    if (!positions.confirmed_flush || positions.wal_status == "lost") {
      throw Refusal(ErrorDomain::slot_lost,
                    "slot " + config_.source.slot + " cannot stream (wal_status lost)");
    }
    // Reusing a slot: its position is where streaming resumes; the snapshot is a fresh one,
    // later, and the stream re-applies the changes in between (idempotent).
    consistent_point_ = *positions.confirmed_flush;
    auto temp =
        replication_->create_slot(temp_slot_name(), stream::SnapshotAction::export_snapshot, true);
    if (!temp) throw Refusal(temp.error().domain, "source: " + temp.error().message);
    snapshot_lsn_ = temp->consistent_point;
    snapshot = temp->snapshot_name;
    say("reusing slot " + config_.source.slot + " at " + consistent_point_.to_string());
  } else {
    auto created =
        replication_->create_slot(config_.source.slot, stream::SnapshotAction::export_snapshot);
    if (!created) throw Refusal(created.error().domain, "source: " + created.error().message);
    created_slot_ = true;
    consistent_point_ = snapshot_lsn_ = created->consistent_point;
    snapshot = created->snapshot_name;
    say("created slot " + config_.source.slot + " at " + consistent_point_.to_string() +
        " (snapshot " + snapshot + ")");
  }
  // Recorded first: from here on a failure leaves a bootstrap that the same command resumes.
  const std::string point = consistent_point_.to_string();
  target_.query(sql::backfill::record_bootstrap, {slot(), config_.source.publication.c_str(),
                                                  config_.source.origin.c_str(), point.c_str()});
  recorded_ = true;
  open_snapshot_reader(snapshot);
  place_origin();
}

// A first run that fails after creating its slot and before recording it would leave a slot
// that the next run refuses ("already exists") and that retains WAL: drop it. Best effort: the
// replication connection that created it is closed first, and its walsender may take a moment
// to release it.
void Bootstrap::abandon_created_slot() {
  if (!created_slot_ || recorded_) return;
  replication_.reset();
  std::string why;
  for (int attempt = 0; attempt < 50; ++attempt) {
    try {
      auto dropped = pg::attempt(ErrorDomain::source, [&] {
        if (!source_.ok()) source_ = admin::connect_source(config_);
        source_.query("SELECT pg_drop_replication_slot($1)", {slot()});
      });
      if (dropped) {
        say("dropped slot " + config_.source.slot + ", created by this run before it failed");
        return;
      }
      why = pg::one_line(dropped.error().message);
    } catch (const config::ConfigError& e) {
      why = e.what();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  say("error: could not drop slot " + config_.source.slot + ", created by this run (" + why +
      "): it retains WAL; drop it (SELECT pg_drop_replication_slot('" + config_.source.slot +
      "')) before bootstrapping again");
}

int Bootstrap::finish(Clock::time_point started) {
  reader_.exec("COMMIT");
  target_.query(sql::backfill::finish_bootstrap, {slot()});
  auto total = target_.query(sql::backfill::rows_written, {slot()});
  const std::uint64_t total_rows = std::strtoull(PQgetvalue(total.get(), 0, 0), nullptr, 10);
  char took[32];
  std::snprintf(took, sizeof took, "%.1f s",
                std::chrono::duration<double>(Clock::now() - started).count());
  say("bootstrap finished: " + with_commas(total_rows) + " rows in " + took +
      "; streaming starts at " + consistent_point_.to_string() +
      ": start the daemon (systemctl start dualwrite, or dualwrite run)");
  return 0;
}

int Bootstrap::run() {
  const auto started = Clock::now();
  try {
    auto connected = pg::attempt(ErrorDomain::source, [&] {
      source_ = admin::connect_source(config_);
      target_ = admin::connect_target(config_);
    });
    if (!connected) {
      say("error: cannot connect: " + connected.error().message);
      return exit_code(ErrorDomain::source);
    }
  } catch (const config::ConfigError& e) {
    say(std::string("error: ") + e.what());
    return exit_code(ErrorDomain::usage);
  }
  try {
    auto done = pg::attempt(ErrorDomain::target, [&] { return run_steps(started); });
    if (done) return *done;
    const Error& e = done.error();
    say("error: " + e.message +
        (recorded_ ? " (the chunks done so far are kept: run bootstrap again to resume)"
                   : " (nothing was recorded: run bootstrap again)"));
    if (e.sqlstate == "42501") {
      say("a privilege is missing: `dualwrite check` names it and the GRANT that fixes it");
    }
    abandon_created_slot();
    return exit_code(ErrorDomain::target);
  } catch (const Refusal& e) {
    say(std::string("error: ") + e.what());
    abandon_created_slot();
    return exit_code(e.domain);
  } catch (const config::ConfigError& e) {
    say(std::string("error: ") + e.what());
    abandon_created_slot();
    return exit_code(ErrorDomain::usage);
  }
}

// The bootstrap once both sides are reached; refuses by throwing Refusal, and leaves database
// errors to run().
int Bootstrap::run_steps(Clock::time_point started) {
  if (!admin::same_database(source_, target_)) {
    throw Refusal(ErrorDomain::usage,
                  "bootstrap backfills inside the source's snapshot with SQL that reads the "
                  "legacy tables and writes the new ones, so [target] conninfo must name the "
                  "source database (leave it empty)");
  }
  if (target_.scalar(sql::backfill::migrations_applied) != "t") {
    throw Refusal(ErrorDomain::target,
                  "the database lacks the bridge's migrations (dualwrite.bootstrap_chunks, "
                  "dualwrite_expected): apply sql/migrations first (scripts/migrate CONNINFO)");
  }
  // Before anything is created: a missing privilege would otherwise fail midway.
  check_privileges();
  auto state = target_.query(sql::backfill::bootstrap_state, {slot()});
  auto positions = admin::read_positions(source_, target_, config_);
  if (PQntuples(state.get()) == 1 && *PQgetvalue(state.get(), 0, 1) == 't') {
    say(std::string("bootstrap of slot ") + slot() + " already finished at " +
        PQgetvalue(state.get(), 0, 2) + " (streaming starts at " + PQgetvalue(state.get(), 0, 0) +
        "): start the daemon");
    return 0;
  }
  if (positions.slot_active) {
    throw Refusal(ErrorDomain::usage,
                  "slot " + config_.source.slot + " is in use (pid " +
                      std::to_string(positions.active_pid) +
                      "): stop the daemon (systemctl stop dualwrite) before bootstrapping");
  }
  auto repl = stream::ReplicationConnection::connect(admin::source_conninfo(config_),
                                                     "dualwrite bootstrap");
  if (!repl) throw Refusal(repl.error().domain, "source: " + repl.error().message);
  replication_.emplace(std::move(*repl));
  if (PQntuples(state.get()) == 1) {
    resume(PQgetvalue(state.get(), 0, 0), positions);
  } else {
    start(positions);
  }
  resumed_ = snapshot_lsn_ != consistent_point_;
  plan();
  execute();
  return finish(started);
}

}  // namespace

int bootstrap(const config::Config& config, const BootstrapOptions& options) {
  return Bootstrap(config, options).run();
}

}  // namespace dualwrite::backfill

#include "dualwrite/stream/driver.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <string>

// GCC 12 pairs Boost 1.74's awaitable_frame_base::operator new (recycling allocator) with the
// sized operator delete of the same class and reports a mismatch that is not there.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace dualwrite::stream {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

struct CopyBuffer {
  char* data = nullptr;
  ~CopyBuffer() {
    if (data != nullptr) PQfreemem(data);
  }
};

std::string conn_message(PGconn* c) {
  std::string m = PQerrorMessage(c);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m.empty() ? "connection lost" : m;
}

// Whether the server closed the connection, without reading from it (so that a reader blocked
// on a full queue keeps its backpressure). libpq defers reporting a failed write until the
// next read, so a blocked reader would otherwise never learn that its walsender is gone.
bool peer_closed(int fd) {
  pollfd p{.fd = fd, .events = POLLRDHUP, .revents = 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

std::uint64_t be64(std::span<const std::byte> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(b[at + i]);
  return v;
}

}  // namespace

std::optional<TransactionCommit> transaction_commit_of(std::span<const std::byte> payload) {
  if (payload.empty()) return std::nullopt;
  const auto type = static_cast<char>(payload[0]);
  if (type == 'B' && payload.size() >= 21) {
    return TransactionCommit{Lsn(be64(payload, 1)), static_cast<PgTimestamp>(be64(payload, 9))};
  }
  if (type == 'c' && payload.size() >= 30) {
    return TransactionCommit{Lsn(be64(payload, 6)), static_cast<PgTimestamp>(be64(payload, 22))};
  }
  return std::nullopt;
}

// One replication session: a connection in COPY BOTH and the two coroutines working on it.
// Everything here runs on the io_context's thread; no locking.
struct Session {
  Session(asio::io_context& ioc, asio::steady_timer& space, ReplicationConnection c,
          progress::StatusPolicyConfig pc, const progress::Clock& clock)
      : space_signal(space),
        conn(std::move(c)),
        sd(ioc, conn.socket()),
        status_timer(ioc),
        children_done(ioc),
        policy(pc, clock) {}
  ~Session() {
    // libpq owns the socket: never let Asio close it.
    if (sd.is_open()) sd.release();
  }

  void end(std::optional<Error> e) {
    if (!done) {
      done = true;
      error = std::move(e);
    }
    boost::system::error_code ignored;
    sd.cancel(ignored);
    status_timer.cancel();
    space_signal.cancel();  // a reader blocked on a full queue must see `done` too
  }

  asio::steady_timer& space_signal;
  ReplicationConnection conn;
  asio::posix::stream_descriptor sd;
  asio::steady_timer status_timer;
  asio::steady_timer children_done;
  progress::StatusPolicy policy;
  int children = 0;
  bool done = false;
  bool stopping = false;
  bool copy_done_sent = false;
  bool flushing = false;
  bool reader_blocked = false;  // waiting for queue space, not reading the socket
  std::optional<Error> error;
};

struct StreamDriver::Impl {
  Impl(StreamConfig c, progress::ProgressTracker& t, FrameQueue& q)
      : cfg(std::move(c)),
        tracker(t),
        queue(q),
        space_signal(ioc),
        backoff_timer(ioc),
        wake_timer(ioc) {}

  awaitable<void> main_loop();
  awaitable<Status> run_session(bool& streamed);
  awaitable<void> read_loop(Session& s);
  // read_loop's parts; each that ends the session says so with s.end().
  awaitable<void> send_copy_done(Session& s);
  awaitable<bool> push_pending(Session& s, std::optional<Frame>& pending);
  awaitable<void> on_copy_data(Session& s, std::span<const std::byte> bytes,
                               std::optional<Frame>& pending);
  awaitable<void> wait_readable(Session& s);
  void end_of_copy(Session& s);
  awaitable<void> status_loop(Session& s);
  awaitable<void> send_status(Session& s, bool reply_requested);
  awaitable<void> flush(Session& s);
  void handle_stop();
  void wake_consumer_soon();

  StreamConfig cfg;
  progress::ProgressTracker& tracker;
  FrameQueue& queue;
  progress::SteadyClock clock;
  asio::io_context ioc;
  asio::steady_timer space_signal;  // cancelled to wake a reader blocked on a full queue
  asio::steady_timer backoff_timer;
  asio::steady_timer wake_timer;  // coalesces consumer wake-ups (cfg.consumer_wake_delay)
  bool wake_armed = false;
  Session* current = nullptr;
  bool stopping = false;
  std::uint64_t seq = 0;
  std::optional<Error> fatal;

  std::atomic<std::uint64_t> reconnects{0}, sessions{0}, frames{0}, payload_bytes{0}, keepalives{0},
      status_updates{0};
  std::atomic<bool> connected{false};
  std::atomic<std::int64_t> interval_ms{0};
  // Set by stop() on the caller's thread: ends the blocking steps of a session, which the
  // io_context cannot interrupt (the posted handle_stop runs only after them).
  std::atomic<bool> stop_requested{false};
};

StreamDriver::StreamDriver(StreamConfig config, progress::ProgressTracker& tracker,
                           FrameQueue& queue)
    : impl_(std::make_unique<Impl>(std::move(config), tracker, queue)) {
  Impl* impl = impl_.get();
  queue.set_space_callback(
      [impl] { asio::post(impl->ioc, [impl] { impl->space_signal.cancel(); }); });
}

StreamDriver::~StreamDriver() {
  impl_->queue.set_space_callback(nullptr);
}

Status StreamDriver::run() {
  Impl& d = *impl_;
  asio::co_spawn(d.ioc, d.main_loop(), [&d](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      d.fatal = make_error(ErrorDomain::internal, std::string("stream driver: ") + ex.what());
    }
  });
  d.ioc.run();
  d.connected = false;
  d.queue.close();
  if (d.fatal) return *d.fatal;
  return Ok{};
}

void StreamDriver::stop() {
  Impl* impl = impl_.get();
  impl->stop_requested = true;
  asio::post(impl->ioc, [impl] { impl->handle_stop(); });
}

StreamStats StreamDriver::stats() const {
  const Impl& d = *impl_;
  return StreamStats{
      .reconnects = d.reconnects.load(),
      .sessions = d.sessions.load(),
      .frames = d.frames.load(),
      .payload_bytes = d.payload_bytes.load(),
      .keepalives = d.keepalives.load(),
      .status_updates = d.status_updates.load(),
      .connected = d.connected.load(),
      .status_interval = std::chrono::milliseconds(d.interval_ms.load()),
  };
}

void StreamDriver::Impl::handle_stop() {
  stopping = true;
  backoff_timer.cancel();
  space_signal.cancel();
  if (current != nullptr && !current->done) {
    current->stopping = true;
    boost::system::error_code ignored;
    current->sd.cancel(ignored);  // the reader wakes up and closes the stream
    current->status_timer.cancel();
  }
}

void StreamDriver::Impl::wake_consumer_soon() {
  if (cfg.consumer_wake_delay <= std::chrono::microseconds::zero()) {
    queue.wake();
    return;
  }
  if (wake_armed) return;
  wake_armed = true;
  wake_timer.expires_after(cfg.consumer_wake_delay);
  wake_timer.async_wait([this](const boost::system::error_code&) {
    wake_armed = false;
    queue.wake();
  });
}

awaitable<void> StreamDriver::Impl::main_loop() {
  Backoff backoff(cfg.backoff);
  while (!stopping) {
    bool streamed = false;
    Status st = co_await run_session(streamed);
    if (stopping || stop_requested) break;
    if (st.ok()) continue;  // the server ended the stream cleanly: start again
    if (st.error().domain != ErrorDomain::source) {
      fatal = st.error();
      break;
    }
    if (streamed) backoff.reset();
    const auto delay = backoff.next();
    ++reconnects;
    if (cfg.on_retry) cfg.on_retry(st.error(), delay);
    backoff_timer.expires_after(delay);
    boost::system::error_code ec;
    co_await backoff_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

awaitable<Status> StreamDriver::Impl::run_session(bool& streamed) {
  // Connecting is blocking libpq (bounded by the conninfo's connect_timeout); this thread has
  // nothing else to do meanwhile, and a stop() posted during it is handled right after.
  auto rc = ReplicationConnection::connect(cfg.conninfo, cfg.application_name,
                                           [this] { return stop_requested.load(); });
  if (!rc) co_return rc.error();
  if (auto st = rc->check_slot(cfg.start.slot); !st) co_return st.error();
  auto timeout_text = rc->show("wal_sender_timeout");
  if (!timeout_text) co_return timeout_text.error();
  auto timeout = parse_guc_duration(*timeout_text);
  if (!timeout) co_return timeout.error();
  const auto interval = progress::status_interval(*timeout, cfg.status_interval);
  interval_ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval).count();

  Lsn from = tracker.durable();
  if (cfg.durable_position) {
    auto p = cfg.durable_position();
    if (!p) co_return p.error();
    from = *p;
  }
  StartOptions options = cfg.start;
  options.start = from;
  if (auto st = rc->start_replication(options); !st) co_return st.error();
  if (PQsetnonblocking(rc->native(), 1) != 0) {
    co_return make_error(ErrorDomain::source,
                         "cannot make the replication connection "
                         "non-blocking: " +
                             conn_message(rc->native()));
  }

  streamed = true;
  ++sessions;
  const Restarted restarted{.seq = ++seq, .session = sessions.load(), .from = from};
  tracker.on_delivered(restarted.seq, Lsn::invalid(), Lsn::invalid());
  queue.restart(restarted);

  Session s(ioc, space_signal, std::move(*rc),
            progress::StatusPolicyConfig{.interval = interval,
                                         .progress_bytes = cfg.status_progress_bytes},
            clock);
  current = &s;
  connected = true;
  s.stopping = stopping;
  s.children = 2;
  auto on_exit = [this, &s](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        s.end(make_error(ErrorDomain::internal, std::string("stream session: ") + ex.what()));
      }
    }
    if (--s.children == 0) s.children_done.cancel();
  };
  asio::co_spawn(ioc, read_loop(s), on_exit);
  asio::co_spawn(ioc, status_loop(s), on_exit);
  while (s.children > 0) {
    s.children_done.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await s.children_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  current = nullptr;
  connected = false;
  if (s.error) co_return *s.error;
  co_return Ok{};
}

awaitable<void> StreamDriver::Impl::flush(Session& s) {
  // Only one coroutine flushes at a time; a second writer's bytes are already in libpq's
  // buffer and go out with the running flush.
  if (s.flushing) co_return;
  s.flushing = true;
  bool waited = false;
  while (!s.done) {
    const int r = PQflush(s.conn.native());
    if (r == 0) break;
    if (r < 0) {
      s.end(make_error(ErrorDomain::source,
                       "sending to the source: " + conn_message(s.conn.native())));
      break;
    }
    waited = true;
    boost::system::error_code ec;
    co_await s.sd.async_wait(asio::posix::stream_descriptor::wait_write,
                             asio::redirect_error(asio::use_awaitable, ec));
  }
  s.flushing = false;
  // While waiting to write, libpq may have read input into its own buffer; wake the reader so
  // that it drains it instead of waiting for the socket to become readable again.
  if (waited && !s.done) {
    boost::system::error_code ignored;
    s.sd.cancel(ignored);
  }
}

awaitable<void> StreamDriver::Impl::send_status(Session& s, bool reply_requested) {
  const progress::StatusValues v = tracker.status();
  if (!s.policy.due(v, reply_requested)) co_return;
  const auto msg = build_status_update(StatusUpdate{
      .write = v.write,
      .flush = v.flush,
      .apply = v.apply,
      .clock = to_pg_timestamp(std::chrono::system_clock::now()),
      .reply_requested = false,
  });
  if (PQputCopyData(s.conn.native(), reinterpret_cast<const char*>(msg.data()),
                    static_cast<int>(msg.size())) != 1) {
    s.end(make_error(ErrorDomain::source,
                     "sending a status update: " + conn_message(s.conn.native())));
    co_return;
  }
  s.policy.sent(v);
  ++status_updates;
  co_await flush(s);
}

awaitable<void> StreamDriver::Impl::status_loop(Session& s) {
  const auto interval = s.policy.config().interval;
  const auto tick = std::min<progress::Duration>(interval, std::chrono::seconds(1));
  std::optional<progress::TimePoint> stop_deadline;
  while (!s.done) {
    auto wake = std::min(s.policy.next_deadline(), clock.now() + tick);
    if (s.stopping) {
      if (!stop_deadline) stop_deadline = clock.now() + cfg.stop_timeout;
      wake = std::min(wake, *stop_deadline);
    }
    s.status_timer.expires_at(wake);
    boost::system::error_code ec;
    co_await s.status_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (s.done) break;
    if (stop_deadline && clock.now() >= *stop_deadline) {
      s.end(std::nullopt);  // the server did not acknowledge CopyDone in time: close anyway
      break;
    }
    if (s.reader_blocked && peer_closed(s.conn.socket())) {
      s.end(make_error(ErrorDomain::source,
                       "the source closed the replication connection while the consumer was "
                       "behind"));
      break;
    }
    if (!s.copy_done_sent) co_await send_status(s, false);
  }
}

awaitable<void> StreamDriver::Impl::read_loop(Session& s) {
  PGconn* conn = s.conn.native();
  std::optional<Frame> pending;  // received but refused by a full queue
  while (!s.done) {
    if (s.stopping && !s.copy_done_sent) {
      pending.reset();
      co_await send_copy_done(s);
      continue;
    }
    if (pending && !co_await push_pending(s, pending)) continue;
    CopyBuffer buf;
    const int n = PQgetCopyData(conn, &buf.data, 1);
    if (n > 0) {
      co_await on_copy_data(s,
                            std::span<const std::byte>(reinterpret_cast<const std::byte*>(buf.data),
                                                       static_cast<std::size_t>(n)),
                            pending);
    } else if (n == 0) {
      co_await wait_readable(s);
    } else if (n == -1) {
      end_of_copy(s);
    } else {
      s.end(s.conn.error_from(nullptr, "reading the replication stream"));
    }
  }
  queue.wake();
  s.end(s.error);  // wake the status coroutine (keeps the first error)
}

// Stopping: a final status update with what may be confirmed, then CopyDone; read_loop keeps
// reading (and discarding) until the server ends its side of the copy.
awaitable<void> StreamDriver::Impl::send_copy_done(Session& s) {
  co_await send_status(s, true);
  if (s.done) co_return;
  PGconn* conn = s.conn.native();
  if (PQputCopyEnd(conn, nullptr) != 1) {
    s.end(make_error(ErrorDomain::source, "sending CopyDone: " + conn_message(conn)));
    co_return;
  }
  s.copy_done_sent = true;
  co_await flush(s);
}

// Offers the frame a full queue refused once more: true when it went in; false after waiting
// for space (or for the session's end), when read_loop tries again.
awaitable<bool> StreamDriver::Impl::push_pending(Session& s, std::optional<Frame>& pending) {
  queue.wake();
  if (queue.try_push(*pending)) {
    pending.reset();
    co_return true;
  }
  space_signal.expires_at(asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  s.reader_blocked = true;
  co_await space_signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  s.reader_blocked = false;
  co_return false;
}

// One CopyData message: WAL data becomes a frame in the queue (or `pending` when it is full), a
// keepalive moves the server's WAL end and is answered when it asks. After CopyDone both are
// discarded.
awaitable<void> StreamDriver::Impl::on_copy_data(Session& s, std::span<const std::byte> bytes,
                                                 std::optional<Frame>& pending) {
  auto parsed = parse_copy_data(bytes);
  if (!parsed) {
    s.end(parsed.error());
    co_return;
  }
  if (s.copy_done_sent) co_return;
  if (const auto* x = std::get_if<XLogData>(&*parsed)) {
    Frame f{.seq = ++seq,
            .data_start = x->data_start,
            .wal_end = x->wal_end,
            .send_time = x->send_time,
            .payload = std::vector<std::byte>(x->payload.begin(), x->payload.end())};
    ++frames;
    payload_bytes += x->payload.size();
    if (cfg.on_transaction) {
      if (auto commit = transaction_commit_of(x->payload)) cfg.on_transaction(*commit);
    }
    tracker.on_delivered(f.seq, f.data_start, f.wal_end);
    if (!queue.try_push(f, /*wake_consumer=*/false)) pending = std::move(f);
  } else {
    const auto& k = std::get<Keepalive>(*parsed);
    ++keepalives;
    tracker.on_server_wal_end(k.wal_end);
    if (k.reply_requested) co_await send_status(s, true);
  }
}

// Nothing buffered: the consumer is woken for what was read, then the socket waited on and its
// input consumed.
awaitable<void> StreamDriver::Impl::wait_readable(Session& s) {
  PGconn* conn = s.conn.native();
  wake_consumer_soon();  // the burst read from the socket is in the queue
  boost::system::error_code ec;
  co_await s.sd.async_wait(asio::posix::stream_descriptor::wait_read,
                           asio::redirect_error(asio::use_awaitable, ec));
  if (s.done) co_return;
  if (ec == asio::error::operation_aborted) co_return;  // woken: stop, or drain libpq's buffer
  if (ec) {
    s.end(make_error(ErrorDomain::source, "waiting for the source: " + ec.message()));
    co_return;
  }
  if (PQconsumeInput(conn) == 0) {
    s.end(make_error(ErrorDomain::source, "reading from the source: " + conn_message(conn)));
  }
}

// The server ended the copy: the command's results collected, the session ended (cleanly only
// after our CopyDone).
void StreamDriver::Impl::end_of_copy(Session& s) {
  PGconn* conn = s.conn.native();
  std::optional<Error> err;
  while (PGresult* r = PQgetResult(conn)) {
    const auto st = PQresultStatus(r);
    if (!err && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_COPY_OUT &&
        st != PGRES_COPY_BOTH) {
      err = s.conn.error_from(r, "replication stream");
    }
    PQclear(r);
    if (PQisBusy(conn) != 0) break;
  }
  if (err) {
    s.end(std::move(err));
  } else if (s.copy_done_sent) {
    s.end(std::nullopt);
  } else {
    s.end(make_error(ErrorDomain::source, "the server ended the replication stream"));
  }
}

}  // namespace dualwrite::stream

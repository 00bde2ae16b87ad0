// bench_stream_rate: receives a logical slot's changes through the stream stage (driver,
// framing, bounded queue, consumer thread) up to an end position, discards the payloads, and
// prints one line: "bytes=<payload bytes> msgs=<XLogData frames> seconds=<wall time>".
// Like pg_recvlogical, it confirms what it has received as flushed, so the slot advances; it
// reports progress every 1024 frames (and at the end), as a real consumer does per
// transaction or batch rather than per message.
//
//   bench_stream_rate CONNINFO SLOT PUBLICATION ENDPOS [PROTO_VERSION] [QUEUE_MIB]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "dualwrite/progress/progress.hpp"
#include "dualwrite/stream/driver.hpp"

using namespace dualwrite;

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s CONNINFO SLOT PUBLICATION ENDPOS [PROTO_VERSION] [QUEUE_MIB]\n",
                 argv[0]);
    return 2;
  }
  const auto endpos = Lsn::parse(argv[4]);
  if (!endpos) {
    std::fprintf(stderr, "bad ENDPOS '%s' (want X/X)\n", argv[4]);
    return 2;
  }
  const int proto = argc > 5 ? std::atoi(argv[5]) : 1;
  const std::size_t queue_mib = argc > 6 ? std::strtoul(argv[6], nullptr, 10) : 64;

  progress::SteadyClock clock;
  progress::ProgressTracker tracker(Lsn::invalid(), std::chrono::seconds(0), clock);
  stream::FrameQueue queue(queue_mib << 20);
  stream::StreamConfig cfg;
  cfg.conninfo = argv[1];
  cfg.application_name = "bench_stream_rate";
  cfg.start.slot = argv[2];
  cfg.start.publications = {argv[3]};
  cfg.start.proto_version = proto;
  stream::StreamDriver driver(cfg, tracker, queue);

  std::uint64_t bytes = 0, msgs = 0;
  std::atomic<bool> reached{false};
  const auto t0 = std::chrono::steady_clock::now();
  std::thread consumer([&] {
    while (auto ev = queue.pop()) {
      if (const auto* f = std::get_if<stream::Frame>(&*ev)) {
        bytes += f->payload.size();
        ++msgs;
        const bool last = f->data_start >= *endpos;
        if (msgs % 1024 == 0 || last || queue.size() == 0) {
          tracker.mark_durable(f->data_start);
          tracker.mark_consumed(f->seq);
        }
        if (last && !reached.exchange(true)) driver.stop();
      } else {
        tracker.mark_consumed(std::get<stream::Restarted>(*ev).seq);
      }
    }
  });
  // The end position may fall after the last published change (other WAL): then only the
  // server's walEnd in keepalives shows that it was reached.
  std::thread watcher([&] {
    while (!reached) {
      const auto s = tracker.snapshot();
      if (s.positions.server_wal_end >= *endpos && !s.positions.outstanding &&
          !reached.exchange(true)) {
        driver.stop();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const Status st = driver.run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  consumer.join();
  reached = true;
  watcher.join();
  if (!st.ok()) {
    std::fprintf(stderr, "bench_stream_rate: %s\n", st.error().message.c_str());
    return exit_code(st.error().domain);
  }
  std::printf("bytes=%llu msgs=%llu seconds=%.4f\n", static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(msgs), seconds);
  return 0;
}

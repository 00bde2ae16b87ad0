// Decode throughput on realistic legacy traffic (bench/README.md has how to run and figures).
//
// Two corpora, decoded message by message as the stream stage would hand them over:
//   fixtures   every message captured from PostgreSQL 15 (tests/fixtures/pgoutput/*.hex):
//              small DML transactions, a TOASTed update, a 600-row streamed transaction
//   synthetic  200k messages from the test encoder, shaped like the legacy tables at peak: the
//              table mix follows legacy-schema.md's writes per second (activity_feedback 1500/s,
//              chatbot_messages 400/s, offline_likes 100/s, ai_suggestions 60/s, ...), values of
//              realistic sizes (uuids, timestamps, jsonb, chat content of 50 B to 4 KB), one
//              Begin/Commit around every 1 to 8 changes, updates with unchanged TOAST and deletes
//              with key tuples.
// Each run reports bytes/s (SetBytesProcessed) and messages/s (SetItemsProcessed).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dualwrite/decode/hex.hpp"
#include "dualwrite/decode/json.hpp"
#include "dualwrite/decode/pgoutput.hpp"
#include "pgoutput_encoder.hpp"

namespace {

using namespace dualwrite;
using namespace dualwrite::decode;
namespace enc = dualwrite::decode::testing;

// Messages stored back to back in one buffer, as they would arrive from the network.
struct Corpus {
  std::string bytes;
  std::vector<std::size_t> ends;  // end offset of each message
  std::vector<DecodeContext> contexts;

  void add(std::string_view message, DecodeContext ctx) {
    bytes.append(message);
    ends.push_back(bytes.size());
    contexts.push_back(ctx);
  }
};

Corpus load_fixtures() {
  Corpus c;
  for (const char* name : {"dml.proto1.hex", "dml.proto2.hex", "streamed.proto2.hex"}) {
    std::ifstream in(std::string(DUALWRITE_PGOUTPUT_FIXTURES) + "/" + name);
    if (!in) {
      std::fprintf(stderr, "bench_decode: cannot open fixture %s\n", name);
      std::exit(2);
    }
    Decoder decoder;
    std::vector<std::byte> bytes;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const DecodeContext ctx{decoder.in_streamed_block()};
      if (!parse_hex(line, bytes) || !decoder.decode(bytes)) {
        std::fprintf(stderr, "bench_decode: bad fixture line in %s\n", name);
        std::exit(2);
      }
      c.add(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), ctx);
    }
  }
  return c;
}

class Synthetic {
 public:
  Corpus build(std::size_t messages) {
    Corpus c;
    std::uint64_t lsn = 0x16B3740000;
    TransactionId xid = 100'000;
    while (c.ends.size() < messages) {
      ++xid;
      const std::uint64_t final_lsn = lsn + 4096;
      const PgTimestamp time{817'405'200'000'000 + static_cast<std::int64_t>(xid) * 1000};
      c.add(enc::encode(Begin{Lsn{final_lsn}, time, xid}), {});
      const int changes = 1 + static_cast<int>(rng_() % 8);
      for (int i = 0; i < changes; ++i) c.add(change(), {});
      c.add(enc::encode(Commit{0, Lsn{final_lsn}, Lsn{final_lsn + 48}, time}), {});
      lsn += 8192;
    }
    return c;
  }

 private:
  std::string uuid() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(36, '-');
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i != 8 && i != 13 && i != 18 && i != 23) s[i] = kHex[rng_() % 16];
    }
    return s;
  }
  std::string timestamp() {
    return "2026-11-25 10:" + std::to_string(10 + rng_() % 50) + ":07.123456+00";
  }
  std::string words(std::size_t n) {
    static const char* kWords[] = {"lisboa", "tram",   "pastéis", "museum", "sunset", "東京",
                                   "budget", "family", "walk",    "🚀",      "cheap",  "wine"};
    std::string s;
    while (s.size() < n) {
      s += kWords[rng_() % 12];
      s += ' ';
    }
    return s;
  }
  // Keeps the strings alive until encoded (TupleValue views them).
  std::string encode_row(Oid relid, std::vector<std::string> values, char op,
                         std::vector<bool> unchanged = {}) {
    TupleData t;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i < unchanged.size() && unchanged[i]) {
        t.columns.push_back(enc::unchanged_toast());
      } else if (values[i] == "<null>") {
        t.columns.push_back(enc::null_value());
      } else {
        t.columns.push_back(enc::text(values[i]));
      }
    }
    if (op == 'I') return enc::encode(Insert{std::nullopt, relid, std::move(t)});
    if (op == 'U')
      return enc::encode(Update{std::nullopt, relid, OldTupleKind::none, {}, std::move(t)});
    return enc::encode(Delete{std::nullopt, relid, OldTupleKind::key, std::move(t)});
  }
  std::string change() {
    const auto pick = rng_() % 2250;  // writes per second at peak, summed
    if (pick < 1500) {                // activity_feedback
      return encode_row(
          16470,
          {std::to_string(150'000'000 + rng_() % 1'000'000), uuid(), uuid(),
           "activity-" + std::to_string(rng_() % 40'000), rng_() % 2 ? "like" : "view",
           rng_() % 3 ? uuid() : "<null>", std::to_string(rng_() % 10) + ".250",
           R"({"source": "feed", "position": )" + std::to_string(rng_() % 50) + "}", timestamp()},
          'I');
    }
    if (pick < 1900) {  // chatbot_messages: content from a line to a long answer
      const std::size_t len = rng_() % 5 == 0 ? 1000 + rng_() % 3000 : 50 + rng_() % 400;
      return encode_row(
          16520,
          {uuid(), uuid(), rng_() % 2 ? "user" : "assistant", words(len),
           R"({"model": "gpt-4o-mini", "latency_ms": 812, "tool_calls": []})", timestamp()},
          'I');
    }
    if (pick < 2000) {  // offline_likes: upserts and merges (deletes with the key)
      if (rng_() % 2) {
        return encode_row(
            16489,
            {uuid(), "activity-" + std::to_string(rng_() % 40'000), "<null>", "<null>", "<null>"},
            'D');
      }
      return encode_row(
          16489,
          {uuid(), "activity-" + std::to_string(rng_() % 40'000), uuid(),
           R"({"liked": true, "device_id": "ios-1", "client_ts": "2026-11-25T09:59:00Z"})",
           timestamp()},
          'I');
    }
    if (pick < 2060) {  // ai_suggestions: status updates leave the TOASTed suggestions alone
      return encode_row(16451,
                        {uuid(), uuid(), uuid(), "quiz", R"({"dates": "2026-12"})", "gpt-4o-mini",
                         "{}", "", "completed", timestamp()},
                        'U', {false, false, false, false, false, false, false, true});
    }
    if (pick < 2120) {  // conversation_context
      return encode_row(16535, {uuid(), words(300), timestamp()}, 'U');
    }
    if (pick < 2150) {  // chatbot_conversations
      return encode_row(16503,
                        {uuid(), uuid(), uuid(), "trip_planning", R"({"stage": "dates"})", "<null>",
                         "{}", timestamp(), timestamp(), "<null>"},
                        'I');
    }
    // user_attributes and the rest: profile updates
    return encode_row(16414,
                      {uuid(), uuid(), words(12), "pt-PT", "Europe/Lisbon", "PT", "25-34",
                       "backpacker", R"({"notifications": {"email": true}})", timestamp()},
                      'U');
  }

  std::mt19937_64 rng_{20261125};
};

const Corpus& fixtures() {
  static const Corpus c = load_fixtures();
  return c;
}
const Corpus& synthetic() {
  static const Corpus c = Synthetic{}.build(200'000);
  return c;
}

void report(benchmark::State& state, const Corpus& c) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(c.bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(c.ends.size()));
  state.counters["avg_msg_bytes"] =
      static_cast<double>(c.bytes.size()) / static_cast<double>(c.ends.size());
}

// The hot path: decode_into one reused Message, so a warm loop allocates nothing.
void decode_into_loop(benchmark::State& state, const Corpus& c) {
  const auto* base = reinterpret_cast<const std::byte*>(c.bytes.data());
  Message message;
  for (auto _ : state) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < c.ends.size(); ++i) {
      const Status s = decode_into({base + begin, c.ends[i] - begin}, c.contexts[i], message);
      if (!s) [[unlikely]] {
        state.SkipWithError(s.error().message.c_str());
        return;
      }
      benchmark::DoNotOptimize(message);
      begin = c.ends[i];
    }
  }
  report(state, c);
}

// The convenience API: a fresh Result<Message> per message (allocates the tuple vectors).
void decode_fresh_loop(benchmark::State& state, const Corpus& c) {
  const auto* base = reinterpret_cast<const std::byte*>(c.bytes.data());
  for (auto _ : state) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < c.ends.size(); ++i) {
      auto m = dualwrite::decode::decode({base + begin, c.ends[i] - begin}, c.contexts[i]);
      benchmark::DoNotOptimize(m);
      begin = c.ends[i];
    }
  }
  report(state, c);
}

// Decode and render as JSON (what `dualwrite decode` does per line, minus hex and output).
void decode_json_loop(benchmark::State& state, const Corpus& c) {
  const auto* base = reinterpret_cast<const std::byte*>(c.bytes.data());
  Message message;
  RelationMap relations;
  std::string json;
  for (auto _ : state) {
    std::size_t begin = 0;
    for (std::size_t i = 0; i < c.ends.size(); ++i) {
      if (decode_into({base + begin, c.ends[i] - begin}, c.contexts[i], message)) {
        relations.observe(message);
        json.clear();
        append_json(message, relations, json);
        benchmark::DoNotOptimize(json.data());
      }
      begin = c.ends[i];
    }
  }
  report(state, c);
}

void BM_DecodeInto_Fixtures(benchmark::State& s) {
  decode_into_loop(s, fixtures());
}
void BM_DecodeInto_Synthetic(benchmark::State& s) {
  decode_into_loop(s, synthetic());
}
void BM_Decode_Fixtures(benchmark::State& s) {
  decode_fresh_loop(s, fixtures());
}
void BM_Decode_Synthetic(benchmark::State& s) {
  decode_fresh_loop(s, synthetic());
}
void BM_DecodeJson_Synthetic(benchmark::State& s) {
  decode_json_loop(s, synthetic());
}

BENCHMARK(BM_DecodeInto_Fixtures)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeInto_Synthetic)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode_Fixtures)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode_Synthetic)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeJson_Synthetic)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// One upstream server (host and port) as every rule and serving thread that names it
// sees it: its passive health (down until when) and its figures. Counted with
// relaxed atomics, so recording an attempt takes no lock and costs a few increments.
// The instances are shared process-wide, by host and port: two rules naming the same
// server see the same health, and a configuration reload keeps both.
#pragma once

#include "timing/clock.hpp"
#include "upstream/retry_policy.hpp"
#include "upstream/upstream_url.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace flexilib::upstream {

struct ServerFigures {
  uint64_t requests = 0;     // attempts sent to it (a retried request counts on each)
  uint64_t failures = 0;     // attempts that failed (refused, timed out, broke, bad answer)
  uint64_t retries = 0;      // attempts that were a retry of one that failed
  uint64_t answered = 0;     // attempts that brought an answer's head
  double head_ms_total = 0;  // time to the answer's head, summed over `answered`
  Clock::rep down_until = 0; // steady ticks; up when not after now
};

class UpstreamServer {
public:
  explicit UpstreamServer(std::string name) : name_(std::move(name)) {}
  UpstreamServer(const UpstreamServer &) = delete;
  UpstreamServer &operator=(const UpstreamServer &) = delete;

  // "127.0.0.1:3000", "[::1]:8080": how figures name it.
  const std::string &name() const { return name_; }

  bool up_at(Clock::rep now) const { return down_until() <= now; }
  Clock::rep down_until() const { return down_until_.load(std::memory_order_relaxed); }

  void count_attempt(bool retry);
  void count_answer(Clock::duration head_latency);
  // Counts a failure; one that marks_down() takes the server out of rotation until
  // `now + fail_timeout` (0: never taken out).
  void count_failure(FailureKind kind, Clock::rep now, Clock::rep fail_timeout);

  ServerFigures figures() const;

private:
  const std::string name_;
  std::atomic<Clock::rep> down_until_{0};
  std::atomic<uint64_t> requests_{0}, failures_{0}, retries_{0}, answered_{0};
  std::atomic<uint64_t> head_us_total_{0};
};

// "host:port" ("[::1]:8080" for IPv6): the key servers are shared by.
std::string server_name(const UpstreamUrl &url);

// The process's one UpstreamServer for the URL's host and port, made on first use.
// Takes a lock: for building route targets (configuration loads), not per request.
std::shared_ptr<UpstreamServer> shared_server(const UpstreamUrl &url);

} // namespace flexilib::upstream

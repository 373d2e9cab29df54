// Health and figures of an upstream server, and the process-wide table of them.
#include "upstream/upstream_server.hpp"

#include <map>
#include <mutex>

namespace flexilib::upstream {

void UpstreamServer::count_attempt(bool retry) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (retry) retries_.fetch_add(1, std::memory_order_relaxed);
}

void UpstreamServer::count_answer(Clock::duration head_latency) {
  answered_.fetch_add(1, std::memory_order_relaxed);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(head_latency).count();
  head_us_total_.fetch_add(uint64_t(std::max<int64_t>(us, 0)), std::memory_order_relaxed);
}

void UpstreamServer::count_failure(FailureKind kind, Clock::rep now, Clock::rep fail_timeout) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  if (fail_timeout <= 0 || !marks_down(kind)) return;
  // Later failures push the time out; an earlier one never pulls it in.
  const Clock::rep until = now + fail_timeout;
  Clock::rep current = down_until_.load(std::memory_order_relaxed);
  while (current < until &&
         !down_until_.compare_exchange_weak(current, until, std::memory_order_relaxed)) {
  }
}

ServerFigures UpstreamServer::figures() const {
  ServerFigures figures;
  figures.requests = requests_.load(std::memory_order_relaxed);
  figures.failures = failures_.load(std::memory_order_relaxed);
  figures.retries = retries_.load(std::memory_order_relaxed);
  figures.answered = answered_.load(std::memory_order_relaxed);
  figures.head_ms_total = double(head_us_total_.load(std::memory_order_relaxed)) / 1000.0;
  figures.down_until = down_until();
  return figures;
}

std::string server_name(const UpstreamUrl &url) {
  const bool ipv6 = url.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

std::shared_ptr<UpstreamServer> shared_server(const UpstreamUrl &url) {
  // Weak references: a server no configuration names any more is freed with its last
  // route; while any route names it, its health and figures carry across reloads.
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<UpstreamServer>> servers;
  const std::string name = server_name(url);
  std::lock_guard lock(mutex);
  std::weak_ptr<UpstreamServer> &entry = servers[name];
  if (std::shared_ptr<UpstreamServer> existing = entry.lock()) return existing;
  auto made = std::make_shared<UpstreamServer>(name);
  entry = made;
  return made;
}

} // namespace flexilib::upstream

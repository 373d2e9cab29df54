// A reverse-proxy route ("http://127.0.0.1:3000/v1"): the request goes out through
// this thread's client for the upstream and the answer comes back filtered (see
// upstream/). No handler runs, so the handler deadline does not apply;
// UPSTREAM_READ_TIMEOUT_MS bounds the wait.
#pragma once

#include "targets/route_target.hpp"
#include "upstream/upstream_client.hpp"
#include "upstream/upstream_url.hpp"

namespace flexilib::targets {

class UpstreamTarget : public RouteTarget {
public:
  UpstreamTarget(upstream::UpstreamUrl url, upstream::UpstreamTimeouts timeouts)
      : url_(std::move(url)), timeouts_(timeouts) {}
  void serve(Exchange &exchange, httplib::Response &response) const override;
  // No library: the URL stands where the library would.
  loader::SlotStatus status() const override { return {url_.text, 0, 0, 0, {}}; }
  std::string check() const override { return {}; } // --check never connects
  const std::string &name() const override { return url_.text; }
  std::string_view profile() const override { return {}; }

private:
  upstream::UpstreamUrl url_;
  upstream::UpstreamTimeouts timeouts_;
};

} // namespace flexilib::targets

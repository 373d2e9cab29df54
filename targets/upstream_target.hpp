// A reverse-proxy route ("http://127.0.0.1:3000/v1"): the request goes out over one
// of this thread's keep-alive connections to the upstream and the answer is relayed
// to the client as it arrives (see upstream/upstream_relay). No handler runs, so the
// handler deadline does not apply: UPSTREAM_READ_TIMEOUT_MS bounds each wait for the
// upstream, WRITE_TIMEOUT_MS each wait for the client.
#pragma once

#include "targets/route_target.hpp"
#include "upstream/upstream_relay.hpp"
#include "upstream/upstream_url.hpp"

namespace flexilib::targets {

class UpstreamTarget : public RouteTarget {
public:
  UpstreamTarget(upstream::UpstreamUrl url, upstream::UpstreamLimits limits)
      : url_(std::move(url)), limits_(limits) {}
  void serve(Exchange &exchange, httplib::Response &response) const override;
  // No library: the URL stands where the library would.
  loader::SlotStatus status() const override { return {url_.text, 0, 0, 0, {}}; }
  std::string check() const override { return {}; } // --check never connects
  const std::string &name() const override { return url_.text; }
  std::string_view profile() const override { return {}; }

private:
  upstream::UpstreamUrl url_;
  upstream::UpstreamLimits limits_;
};

} // namespace flexilib::targets

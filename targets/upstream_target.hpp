// A reverse-proxy route ("http://127.0.0.1:3000/v1", or several URLs separated by
// blanks): each request goes to one upstream of the rule's group, picked round-robin
// among those that are up, over a pooled keep-alive connection, and the answer is
// relayed to the client as it arrives (targets/relay_in_flight, upstream/upstream_relay).
// When the relay must wait for its upstream or its client, the request parks with its
// connection (server::ParkedExchange) and the serving thread moves on; an event on
// either socket resumes it. A request that failed before the client saw a byte is
// tried once more, on another upstream or a fresh connection, when
// upstream/retry_policy allows. After a 101 the connection becomes a byte tunnel
// (targets/upgrade_tunnel) on the serving thread. No handler runs, so the handler
// deadline does not apply: UPSTREAM_READ_TIMEOUT_MS bounds each wait for the
// upstream, WRITE_TIMEOUT_MS each wait for the client.
#pragma once

#include "targets/route_target.hpp"
#include "upstream/upstream_group.hpp"
#include "upstream/upstream_relay.hpp"

#include <string>
#include <vector>

namespace flexilib::targets {

class UpstreamTarget : public RouteTarget {
public:
  // `text`: the target as proxy.ini wrote it (how figures name the route's upstreams).
  UpstreamTarget(std::string text, std::vector<upstream::GroupMember> upstreams,
                 Clock::rep fail_timeout, upstream::UpstreamLimits limits)
      : text_(std::move(text)), group_(std::move(upstreams), fail_timeout), limits_(limits) {}
  void serve(Exchange &exchange, server::ResponseMessage &response) const override;
  // No library: the URLs stand where the library would.
  loader::SlotStatus status() const override { return {text_, 0, 0, 0, {}}; }
  std::string check() const override { return {}; } // --check never connects
  const std::string &name() const override { return text_; }
  std::string_view profile() const override { return {}; }
  const upstream::UpstreamGroup *upstream_group() const override { return &group_; }

private:
  std::string text_;
  upstream::UpstreamGroup group_;
  upstream::UpstreamLimits limits_;
};

} // namespace flexilib::targets

// A reverse-proxy route ("http://127.0.0.1:3000/v1", or several URLs separated by
// spaces): each request goes to one upstream of the rule's group, picked round-robin
// among those that are up, and is tried once more on another (or on a fresh
// connection) when it failed before the client saw a byte and retry_policy allows.
// No handler runs, so the handler deadline does not apply; UPSTREAM_READ_TIMEOUT_MS
// bounds each wait.
#pragma once

#include "targets/route_target.hpp"
#include "upstream/upstream_client.hpp"
#include "upstream/upstream_group.hpp"

#include <string>

namespace flexilib::targets {

class UpstreamTarget : public RouteTarget {
public:
  // `text`: the target as proxy.ini wrote it (how figures name the route's upstreams).
  UpstreamTarget(std::string text, std::vector<upstream::GroupMember> upstreams,
                 Clock::rep fail_timeout, upstream::UpstreamTimeouts timeouts)
      : text_(std::move(text)), group_(std::move(upstreams), fail_timeout), timeouts_(timeouts) {}
  void serve(Exchange &exchange, httplib::Response &response) const override;
  // No library: the URLs stand where the library would.
  loader::SlotStatus status() const override { return {text_, 0, 0, 0, {}}; }
  std::string check() const override { return {}; } // --check never connects
  const std::string &name() const override { return text_; }
  std::string_view profile() const override { return {}; }
  const upstream::UpstreamGroup *upstream_group() const override { return &group_; }

private:
  // One attempt on the group's member `index`; true when the upstream answered.
  bool attempt(size_t index, bool retry, Exchange &exchange, httplib::Response &response,
               upstream::ForwardOutcome &outcome) const;

  std::string text_;
  upstream::UpstreamGroup group_;
  upstream::UpstreamTimeouts timeouts_;
};

} // namespace flexilib::targets

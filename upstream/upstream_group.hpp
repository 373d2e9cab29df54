// The upstreams of one rule ("/api = http://a:3000 http://b:3001") and which one a
// request goes to: round-robin over those that are up, skipping one that is down
// (within UPSTREAM_FAIL_TIMEOUT_S of a failure, see upstream_server), and for the one
// retry, another than the one that failed. Lock-free: a pick is one atomic increment
// and a few relaxed loads.
#pragma once

#include "timing/clock.hpp"
#include "upstream/upstream_server.hpp"
#include "upstream/upstream_url.hpp"

#include <atomic>
#include <memory>
#include <vector>

namespace flexilib::upstream {

struct GroupMember {
  UpstreamUrl url; // as the rule wrote it: the path and the name logs use
  std::shared_ptr<UpstreamServer> server;
};

class UpstreamGroup {
public:
  // `fail_timeout`: how long (ticks) a failure keeps a member out of rotation.
  UpstreamGroup(std::vector<GroupMember> members, Clock::rep fail_timeout);

  size_t size() const { return members_.size(); }
  const GroupMember &member(size_t index) const { return members_[index]; }
  Clock::rep fail_timeout() const { return fail_timeout_; }

  // The member for a request's first attempt: the next in rotation that is up. When
  // every member is down, the one that comes back first: the request is tried rather
  // than refused (nginx answers 502 "no live upstreams" here and clears the failures;
  // trying costs one connect, which a server that is back answers).
  size_t pick(Clock::rep now) const;

  // The member for the retry after `failed` failed: the next other member that is up,
  // else the other that comes back first; `failed` itself in a group of one (the
  // retry then goes on a fresh connection).
  size_t pick_retry(size_t failed, Clock::rep now) const;

private:
  size_t soonest_back(size_t excluded) const; // members_.size() when there is none

  std::vector<GroupMember> members_;
  Clock::rep fail_timeout_;
  mutable std::atomic<size_t> next_{0}; // the rotation; a pick changes nothing else
};

} // namespace flexilib::upstream

// Round-robin over a rule's upstreams, skipping those that are down.
#include "upstream/upstream_group.hpp"

namespace flexilib::upstream {

UpstreamGroup::UpstreamGroup(std::vector<GroupMember> members, Clock::rep fail_timeout)
    : members_(std::move(members)), fail_timeout_(fail_timeout) {}

size_t UpstreamGroup::pick(Clock::rep now) const {
  const size_t count = members_.size();
  if (count == 1) return 0; // no rotation, no shared counter to bounce between cores
  // Each member looked at takes a turn of the counter, so with one member down the
  // others alternate evenly (a, c, a, c), as nginx's round-robin does.
  for (size_t tries = 0; tries < count; ++tries) {
    const size_t index = next_.fetch_add(1, std::memory_order_relaxed) % count;
    if (members_[index].server->up_at(now)) return index;
  }
  return soonest_back(count);
}

size_t UpstreamGroup::pick_retry(size_t failed, Clock::rep now) const {
  const size_t count = members_.size();
  if (count == 1) return failed;
  for (size_t step = 1; step < count; ++step) {
    const size_t index = (failed + step) % count;
    if (members_[index].server->up_at(now)) return index;
  }
  return soonest_back(failed);
}

size_t UpstreamGroup::soonest_back(size_t excluded) const {
  size_t best = members_.size();
  for (size_t index = 0; index < members_.size(); ++index) {
    if (index == excluded) continue;
    if (best == members_.size() ||
        members_[index].server->down_until() < members_[best].server->down_until())
      best = index;
  }
  return best;
}

} // namespace flexilib::upstream

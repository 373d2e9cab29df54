// Upstreams' health and figures as JSON.
#include "admin/upstream_json.hpp"

#include "admin/stats_json.hpp"

#include <algorithm>

namespace flexilib::admin {

nlohmann::json server_json(const upstream::UpstreamServer &server) {
  const upstream::ServerFigures figures = server.figures();
  const Clock::rep now = now_ticks();
  const bool down = figures.down_until > now;
  const Clock::duration left{down ? figures.down_until - now : 0};
  const auto wall_until = std::chrono::system_clock::now() +
                          std::chrono::duration_cast<std::chrono::system_clock::duration>(left);
  return {{"server", server.name()},
          {"state", down ? "down" : "up"},
          {"down_until", down ? nlohmann::json(iso8601_utc(wall_until)) : nlohmann::json(nullptr)},
          {"down_for_ms", std::chrono::duration_cast<std::chrono::milliseconds>(left).count()},
          {"requests", figures.requests},
          {"failures", figures.failures},
          {"retries", figures.retries},
          {"answered", figures.answered},
          {"mean_head_ms", figures.answered == 0
                               ? nlohmann::json(nullptr)
                               : nlohmann::json(round_to_microsecond(figures.head_ms_total /
                                                                     double(figures.answered)))}};
}

std::vector<const upstream::UpstreamServer *> upstream_servers_of(const loader::RouteTable &table) {
  std::vector<const upstream::UpstreamServer *> servers;
  for (const loader::Route &route : table.routes) {
    const upstream::UpstreamGroup *group = route.target->upstream_group();
    for (size_t index = 0; group != nullptr && index < group->size(); ++index) {
      const upstream::UpstreamServer *server = group->member(index).server.get();
      if (std::find(servers.begin(), servers.end(), server) == servers.end())
        servers.push_back(server);
    }
  }
  return servers;
}

nlohmann::json group_json(const upstream::UpstreamGroup &group) {
  nlohmann::json members = nlohmann::json::array();
  for (size_t index = 0; index < group.size(); ++index) {
    const upstream::GroupMember &member = group.member(index);
    nlohmann::json entry = server_json(*member.server);
    entry["url"] = member.url.text;
    members.push_back(std::move(entry));
  }
  return members;
}

} // namespace flexilib::admin

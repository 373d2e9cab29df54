// The JSON form of upstreams' health and figures, for /routes (each proxy route's
// upstreams, in the rule's order) and /stats (every upstream server once); /metrics
// takes the same servers.
#pragma once

#include "loader/route_table.hpp"
#include "upstream/upstream_group.hpp"
#include "upstream/upstream_server.hpp"

#include <nlohmann/json.hpp>
#include <vector>

namespace flexilib::admin {

// {"server", "state" ("up"/"down"), "down_until" (ISO 8601 UTC, null when up),
// "down_for_ms", "requests", "failures", "retries", "answered", "mean_head_ms"}.
nlohmann::json server_json(const upstream::UpstreamServer &server);

// Every upstream server the table's routes name, once each, in the order first named.
std::vector<const upstream::UpstreamServer *> upstream_servers_of(const loader::RouteTable &table);

// The group's members in order: server_json plus "url" as the rule wrote it.
nlohmann::json group_json(const upstream::UpstreamGroup &group);

} // namespace flexilib::admin

// Building route tables from a parsed configuration, and matching a request to a route.
#include "loader/route_table.hpp"

#include "loader/route_match.hpp"

namespace flexilib::loader {

std::shared_ptr<LibrarySlot> LibraryRegistry::slot_for(const std::string &path) {
  std::lock_guard lock(mutex_);
  std::weak_ptr<LibrarySlot> &entry = slots_[path];
  if (auto slot = entry.lock()) return slot;
  auto slot = std::make_shared<LibrarySlot>(path, events_);
  entry = slot;
  std::erase_if(slots_, [](const auto &item) { return item.second.expired(); });
  return slot;
}

std::string route_name(const Rule &rule) {
  if (rule.header_name.empty()) return rule.path_prefix;
  return rule.header_name + ": " + rule.header_value_prefix + " " + rule.path_prefix;
}

const Route *RouteTable::match(std::string_view target, const flexilib_header *headers,
                               size_t header_count) const {
  for (const Route &route : routes)
    if (rule_matches(route.rule, target, headers, header_count)) return &route;
  return nullptr;
}

std::shared_ptr<const RouteTable> build_route_table(const std::string &config_path,
                                                    const Config &config, LibraryRegistry &registry,
                                                    stats::RequestStats *stats,
                                                    const targets::TargetOptions &options) {
  auto table = std::make_shared<RouteTable>();
  table->config_path = config_path;
  const auto slot_for = [&registry](const std::string &path) { return registry.slot_for(path); };
  for (const Rule &rule : config.rules) {
    Route route{rule,
                route_name(rule),
                targets::make_route_target(rule.target, config_path, slot_for, options),
                {},
                {}};
    if (stats) {
      route.totals = stats->route_totals(route.name);
      route.target_totals = stats->library_totals(route.target->name());
    }
    table->routes.push_back(std::move(route));
  }
  return table;
}

} // namespace flexilib::loader

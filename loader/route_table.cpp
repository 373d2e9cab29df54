// Building route tables from a parsed configuration.
#include "loader/route_table.hpp"

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

std::string resolve_target(const std::string &config_path, const std::string &target) {
  if (!target.empty() && target[0] == '/') return target;
  const size_t slash = config_path.rfind('/');
  if (slash == std::string::npos) return target;
  return config_path.substr(0, slash + 1) + target;
}

std::shared_ptr<const RouteTable> build_route_table(const std::string &config_path,
                                                    const Config &config, LibraryRegistry &registry,
                                                    stats::RequestStats *stats) {
  auto table = std::make_shared<RouteTable>();
  table->config_path = config_path;
  table->rules = config.rules;
  for (const Rule &rule : config.rules) {
    // An upstream rule has no library slot; its URL was checked when the file was parsed.
    std::shared_ptr<LibrarySlot> slot;
    std::optional<upstream::UpstreamUrl> upstream;
    faas::RouteProfile profile = faas::parse_route_profile(rule.target).profile;
    if (upstream::names_upstream(rule.target))
      upstream = upstream::parse_upstream_url(rule.target).url;
    else
      slot = registry.slot_for(resolve_target(config_path, profile.library));
    const std::string &target_name = slot ? slot->path() : upstream->text;
    table->route_names.push_back(route_name(rule));
    table->target_names.push_back(target_name);
    table->route_totals.push_back(stats ? stats->route_totals(table->route_names.back()) : nullptr);
    table->library_totals.push_back(stats ? stats->library_totals(target_name) : nullptr);
    table->libraries.push_back(std::move(slot));
    table->upstreams.push_back(std::move(upstream));
    table->profiles.push_back(std::move(profile));
  }
  return table;
}

} // namespace flexilib::loader

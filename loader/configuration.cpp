// Loading, validating and swapping the active configuration.
#include "loader/configuration.hpp"

namespace flexilib::loader {

Configuration::Configuration(std::string config_path, EventSink events, stats::RequestStats *stats,
                             targets::TargetOptions options)
    : path_(std::move(config_path)), events_(events), stats_(stats), options_(options),
      registry_(events), watcher_(events) {}

ConfigReloadOutcome Configuration::reload() {
  std::lock_guard lock(reload_mutex_);
  ConfigReloadOutcome outcome;
  Config config = parse_config_file(path_);
  for (const ConfigError &error : config.errors)
    outcome.errors.push_back(format_config_error(path_, error));
  if (!config.ok()) {
    events_("configuration " + path_ + " not applied (" + std::to_string(outcome.errors.size()) +
            " error" + (outcome.errors.size() == 1 ? "" : "s") + "): " + outcome.errors.front() +
            (current() ? "; the previous routes stay" : ""));
    return outcome;
  }
  auto table = build_route_table(path_, config, registry_, stats_, options_);
  for (const Route &route : table->routes)
    if (auto slot = route.target->library_slot()) watcher_.watch(slot);
  current_.store(std::move(table), std::memory_order_release);
  outcome.applied = true;
  outcome.rule_count = config.rules.size();
  events_("configuration " + path_ + " applied: " + std::to_string(outcome.rule_count) + " rule" +
          (outcome.rule_count == 1 ? "" : "s"));
  return outcome;
}

ReloadOutcome Configuration::reload_library(const std::string &path) {
  if (auto table = current()) {
    for (const Route &route : table->routes)
      if (auto slot = route.target->library_slot(); slot && slot->path() == path)
        return slot->reload();
  }
  return {false, 0, "no route of the active configuration uses " + path};
}

std::vector<std::string> check_configuration(const std::string &config_path) {
  std::vector<std::string> problems;
  Config config = parse_config_file(config_path);
  for (const ConfigError &error : config.errors)
    problems.push_back(format_config_error(config_path, error));
  LibraryRegistry registry{EventSink()};
  const auto table = build_route_table(config_path, config, registry, nullptr, {});
  for (const Route &route : table->routes)
    if (std::string problem = route.target->check(); !problem.empty())
      problems.push_back(format_config_error(config_path, {route.rule.line, problem}));
  return problems;
}

} // namespace flexilib::loader

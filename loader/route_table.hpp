// The routing state the server serves from: proxy.ini's rules, each with the target
// it leads to (targets/). A table is immutable once built; a configuration reload
// builds a new one and swaps it in whole, so a request sees one consistent table.
#pragma once

#include "loader/config.hpp"
#include "loader/library_slot.hpp"
#include "stats/request_stats.hpp"
#include "targets/route_target.hpp"
#include "targets/target_factory.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace flexilib::loader {

struct Route {
  Rule rule;
  std::string name; // "Host: iam /", "/c": how logs and figures name the route
  std::unique_ptr<const targets::RouteTarget> target;
  // Figures of the route and of its target, kept across reloads by name (null when
  // the table was built without statistics).
  std::shared_ptr<stats::Totals> totals, target_totals;
};

struct RouteTable {
  std::string config_path;
  std::vector<Route> routes; // in file order: the first match wins

  // The first route matching the request, or null. Never allocates.
  const Route *match(std::string_view target, const flexilib_header *headers,
                     size_t header_count) const;
};

// How a rule is named in logs and figures: its key as proxy.ini writes it.
std::string route_name(const Rule &rule);

// Hands out one slot per library file, so that every rule and every configuration
// generation naming the same file shares its loaded generation. A slot lives while
// some table uses it; after that, its library closes once its requests drain.
class LibraryRegistry {
public:
  explicit LibraryRegistry(EventSink events) : events_(std::move(events)) {}

  std::shared_ptr<LibrarySlot> slot_for(const std::string &path);

private:
  EventSink events_;
  std::mutex mutex_;
  std::map<std::string, std::weak_ptr<LibrarySlot>> slots_;
};

std::shared_ptr<const RouteTable> build_route_table(const std::string &config_path,
                                                    const Config &config, LibraryRegistry &registry,
                                                    stats::RequestStats *stats,
                                                    const targets::TargetOptions &options);

} // namespace flexilib::loader

// The routing state the server serves from: proxy.ini's rules, each with the library
// slot it leads to. A table is immutable once built; a configuration reload builds a
// new one and swaps it in whole, so a request sees one consistent table throughout.
#pragma once

#include "faas/route_profile.hpp"
#include "loader/config.hpp"
#include "loader/library_slot.hpp"
#include "stats/request_stats.hpp"
#include "upstream/upstream_url.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace flexilib::loader {

struct RouteTable {
  std::string config_path;
  std::vector<Rule> rules;                             // in file order
  std::vector<std::shared_ptr<LibrarySlot>> libraries; // libraries[i] serves rules[i]
  std::vector<std::string> route_names;                // "Host: iam /", "/c": for figures
  // A rule whose target is an http:// URL forwards there: upstreams[i] is set and
  // libraries[i] is null. target_names[i] is the library path or the URL, for figures.
  std::vector<std::optional<upstream::UpstreamUrl>> upstreams;
  std::vector<std::string> target_names;
  // The FaaS provider each rule simulates (faas/): Provider::none for FlexiLib's own.
  std::vector<faas::RouteProfile> profiles;
  // Figures of each rule and of its library, kept across reloads by name (null
  // when the table was built without statistics, as --check does).
  std::vector<std::shared_ptr<stats::Totals>> route_totals, library_totals;
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

// Resolves each rule's target against the directory of the config file (FlexiLib
// reads proxy.ini from its working directory, so for it the two are the same).
std::string resolve_target(const std::string &config_path, const std::string &target);

std::shared_ptr<const RouteTable> build_route_table(const std::string &config_path,
                                                    const Config &config, LibraryRegistry &registry,
                                                    stats::RequestStats *stats);

} // namespace flexilib::loader

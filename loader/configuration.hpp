// The configuration the server is serving from, and replacing it. A new proxy.ini is
// parsed and checked completely before anything changes; only a valid one is swapped
// in, atomically, and requests already running finish on the table they started with.
#pragma once

#include "loader/library_watcher.hpp"
#include "loader/route_table.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace flexilib::loader {

struct ConfigReloadOutcome {
  bool applied = false;
  size_t rule_count = 0;
  std::vector<std::string> errors; // "proxy.ini:3: message" lines
};

class Configuration {
public:
  // `stats`, when given, receives per-route and per-library figures; `options` are
  // what targets of some kinds need (upstream timeouts).
  Configuration(std::string config_path, EventSink events, stats::RequestStats *stats = nullptr,
                targets::TargetOptions options = {});

  // Reloads the library file `path` (as resolved from proxy.ini) as a new
  // generation; an error when no active route uses that file.
  ReloadOutcome reload_library(const std::string &path);

  // Reads the file and, when it is valid, makes it the active table.
  ConfigReloadOutcome reload();

  // The active table; null only before the first successful load.
  std::shared_ptr<const RouteTable> current() const {
    return current_.load(std::memory_order_acquire);
  }

  const std::string &path() const { return path_; }
  LibraryRegistry &registry() { return registry_; }

private:
  const std::string path_;
  const EventSink events_;
  stats::RequestStats *const stats_;
  const targets::TargetOptions options_;
  LibraryRegistry registry_;
  LibraryWatcher watcher_;
  std::mutex reload_mutex_; // one reload at a time
  std::atomic<std::shared_ptr<const RouteTable>> current_;
};

// Everything --check reports: config errors, then every target that cannot serve
// (a library that fails to load), each with the line that names it. Empty when all
// is well.
std::vector<std::string> check_configuration(const std::string &config_path);

} // namespace flexilib::loader

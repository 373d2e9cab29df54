// What a route leads to: a FlexiLib library, an HTTP upstream, a Lambda or a
// Cloudflare Worker profile. Each kind is one implementation of this interface in its
// own file here, made by the factory (target_factory), the only code that tells the
// kinds apart, so the request path, /routes and --check never ask "which kind is this?".
#pragma once

#include "loader/library_slot.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace flexilib::server {
struct ResponseMessage;
}

namespace flexilib::upstream {
class UpstreamGroup;
}

namespace flexilib::targets {

struct Exchange; // one request being served (exchange.hpp)

class RouteTarget {
public:
  virtual ~RouteTarget() = default;

  // Answers one request into `response` (the server writes it; a target that wrote to
  // the client itself leaves it empty), and records in `exchange` what the figures
  // need (when the answer was ready, the library generation that made it...).
  virtual void serve(Exchange &exchange, server::ResponseMessage &response) const = 0;

  // What /routes shows: the library or URL, its generation and load figures.
  virtual loader::SlotStatus status() const = 0;

  // Why --check finds it unable to serve (loads a library; never connects to an
  // upstream); empty when it can.
  virtual std::string check() const = 0;

  // How figures name the target: the resolved library path, or the upstream URL.
  virtual const std::string &name() const = 0;

  // The profile a request served by a library reports ("flexilib", "lambda",
  // "cloudflare"); empty for targets that run no library.
  virtual std::string_view profile() const = 0;

  // The library slot behind the target, for inotify and reloads; null when none.
  virtual std::shared_ptr<loader::LibrarySlot> library_slot() const { return nullptr; }

  // The upstreams behind a proxy route, for their health and figures in /routes and
  // /stats; null when the target forwards nowhere.
  virtual const upstream::UpstreamGroup *upstream_group() const { return nullptr; }
};

} // namespace flexilib::targets

// What the serving process tells systemd at each step of its life: READY=1 once the
// routes are loaded, RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 when
// told to stop, and a STATUS= line (shown by `systemctl status`) with the routes and
// the requests served, refreshed while requests come in.
#pragma once

#include "stats/request_stats.hpp"
#include "systemd/service_notifier.hpp"

#include <cstdint>
#include <string>

namespace flexilib::systemd {

// "STATUS=3 routes; 1024 requests served" and, after a reload that was refused, the
// routes still served and why they were kept.
std::string status_line(size_t routes, uint64_t requests, bool last_reload_failed);

class ServiceStatus {
public:
  ServiceStatus(const ServiceNotifier &notifier, const stats::RequestStats &stats)
      : notifier_(notifier), stats_(stats) {}

  bool enabled() const { return notifier_.enabled(); }

  void ready(size_t routes);
  void reloading();
  // After a reload: READY=1 either way (the old routes keep serving when it failed).
  void reloaded(bool applied, size_t routes);
  void stopping();
  // A new STATUS= when requests were served since the last one.
  void refresh();

private:
  void send(const std::string &assignments);
  std::string status();

  const ServiceNotifier &notifier_;
  const stats::RequestStats &stats_;
  size_t routes_ = 0;
  bool last_reload_failed_ = false;
  uint64_t reported_requests_ = 0;
  bool warned_ = false;
};

} // namespace flexilib::systemd

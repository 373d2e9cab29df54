// The notification messages and when the serving process sends them.
#include "systemd/service_status.hpp"

#include "diagnostics/diagnostic_log.hpp"

#include <cerrno>
#include <cstring>

namespace flexilib::systemd {

std::string status_line(size_t routes, uint64_t requests, bool last_reload_failed) {
  std::string line = "STATUS=" + std::to_string(routes) + (routes == 1 ? " route" : " routes");
  if (last_reload_failed) line += " (last reload refused: previous routes kept)";
  return line + "; " + std::to_string(requests) + (requests == 1 ? " request" : " requests") +
         " served";
}

std::string ServiceStatus::status() {
  reported_requests_ = stats_.server_totals().requests();
  return status_line(routes_, reported_requests_, last_reload_failed_);
}

void ServiceStatus::send(const std::string &assignments) {
  if (notifier_.notify(assignments) || warned_) return;
  // Once: a service manager that went away should not fill the log.
  warned_ = true;
  diagnostics::write_diagnostic(std::string("cannot notify the service manager (NOTIFY_SOCKET): ") +
                           std::strerror(errno));
}

void ServiceStatus::ready(size_t routes) {
  if (!enabled()) return;
  routes_ = routes;
  send("READY=1\n" + status());
}

void ServiceStatus::reloading() {
  if (enabled()) send(reloading_message());
}

void ServiceStatus::reloaded(bool applied, size_t routes) {
  if (!enabled()) return;
  if (applied) routes_ = routes;
  last_reload_failed_ = !applied;
  send("READY=1\n" + status());
}

void ServiceStatus::stopping() {
  if (enabled()) send("STOPPING=1\n" + status());
}

void ServiceStatus::refresh() {
  if (!enabled() || stats_.server_totals().requests() == reported_requests_) return;
  send(status());
}

} // namespace flexilib::systemd

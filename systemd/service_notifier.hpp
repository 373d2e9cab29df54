// Telling systemd how the service is doing (Type=notify): READY=1, RELOADING=1,
// STOPPING=1 and STATUS= datagrams to the socket named by $NOTIFY_SOCKET. This is
// all sd_notify(3) does for us, so the few lines are written here instead of
// linking libsystemd.
#pragma once

#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>

namespace flexilib::systemd {

class ServiceNotifier {
public:
  ServiceNotifier() = default; // notifies nobody

  // The notifier for $NOTIFY_SOCKET ("/run/systemd/notify", or "@name" for an
  // abstract socket), removed from the environment so that handler libraries and
  // what they start cannot speak for the service. Notifies nobody when the variable
  // is unset; `error` says why when it is set but unusable.
  static ServiceNotifier from_environment(std::string &error);

  bool enabled() const { return address_length_ > 0; }

  // Sends one datagram of newline-separated assignments ("READY=1\nSTATUS=...").
  // Returns false (errno set) when it could not be sent; true when disabled.
  bool notify(std::string_view assignments) const;

private:
  sockaddr_un address_{};
  socklen_t address_length_ = 0;
};

// "RELOADING=1\nMONOTONIC_USEC=..." as Type=notify-reload (systemd 253) wants it; older
// systemd reads RELOADING=1 alone and ignores the timestamp.
std::string reloading_message();

} // namespace flexilib::systemd

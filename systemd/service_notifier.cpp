// Sending sd_notify datagrams without libsystemd.
#include "systemd/service_notifier.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace flexilib::systemd {

ServiceNotifier ServiceNotifier::from_environment(std::string &error) {
  ServiceNotifier notifier;
  const char *value = std::getenv("NOTIFY_SOCKET");
  if (value == nullptr) return notifier;
  const std::string name = value;
  ::unsetenv("NOTIFY_SOCKET");
  // An abstract socket's name starts with a NUL byte where the variable has '@', and
  // its address length counts the bytes of the name, not a terminator.
  const bool abstract = name.starts_with('@');
  if (!abstract && !name.starts_with('/')) {
    error = "NOTIFY_SOCKET=" + name + " is neither an absolute path nor an abstract name (@...)";
    return notifier;
  }
  if (name.size() >= sizeof notifier.address_.sun_path) {
    error = "NOTIFY_SOCKET=" + name + " is longer than a socket address holds";
    return notifier;
  }
  notifier.address_.sun_family = AF_UNIX;
  std::memcpy(notifier.address_.sun_path, name.data(), name.size());
  if (abstract) notifier.address_.sun_path[0] = '\0';
  notifier.address_length_ =
      socklen_t(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
  return notifier;
}

bool ServiceNotifier::notify(std::string_view assignments) const {
  if (!enabled()) return true;
  // A socket per message: notifications are rare, and no descriptor is left for a
  // forked child or a handler library to inherit.
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t sent = ::sendto(fd, assignments.data(), assignments.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr *>(&address_), address_length_);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return sent == ssize_t(assignments.size());
}

std::string reloading_message() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long microseconds = now.tv_sec * 1000000LL + now.tv_nsec / 1000;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(microseconds);
}

} // namespace flexilib::systemd

// Socket activation: the listening socket systemd (or systemd-socket-activate)
// opened and passed as fd 3, announced by $LISTEN_FDS and $LISTEN_PID, used instead
// of binding PORT. systemd keeps the socket while the service restarts, so
// connections wait in its backlog instead of being refused.
#pragma once

#include <string>

namespace flexilib::systemd {

struct PassedSocket {
  int fd = -1;       // the listening socket, or -1 when none was passed (or on error)
  std::string error; // why a socket that was passed cannot be used
};

// The socket passed to this process, taken once: the LISTEN_* variables are removed
// from the environment (as sd_listen_fds(1) does) so that no child takes them for its
// own. Variables naming another process (LISTEN_PID) are ignored. One socket only:
// more is an error, since flexilib has one serving port.
PassedSocket take_passed_socket();

} // namespace flexilib::systemd

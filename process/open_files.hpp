// The process's file-descriptor budget. Idle clients must not be able to take the
// descriptors that library loads, upstream sockets, spill files, inotify and the
// admin endpoint need: as nginx and Go servers do, the soft RLIMIT_NOFILE is raised
// to the hard limit at start, and MAX_CONNECTIONS is kept below it by a reserve.
#pragma once

#include <cstddef>
#include <string>

namespace flexilib::process {

// Descriptors kept out of MAX_CONNECTIONS for everything but client connections.
constexpr size_t reserved_descriptors = 64;

struct ConnectionBudget {
  size_t max_connections = 0;
  std::string note; // one line saying why MAX_CONNECTIONS was lowered; empty if it was not
};

// MAX_CONNECTIONS as the open-file limit allows: at most the limit less the reserve
// (less half the limit, when the limit is below twice the reserve).
ConnectionBudget connection_budget(size_t max_connections, size_t open_file_limit);

// Raises the soft RLIMIT_NOFILE to the hard one and returns the limit now in force.
size_t raise_open_file_limit();

} // namespace flexilib::process

// Raising RLIMIT_NOFILE and fitting MAX_CONNECTIONS under it.
#include "process/open_files.hpp"

#include <algorithm>
#include <sys/resource.h>

namespace flexilib::process {

ConnectionBudget connection_budget(size_t max_connections, size_t open_file_limit) {
  const size_t reserve = std::min(reserved_descriptors, open_file_limit / 2);
  const size_t allowed = std::max<size_t>(open_file_limit - reserve, 1);
  if (max_connections <= allowed) return {max_connections, {}};
  return {allowed, "MAX_CONNECTIONS lowered from " + std::to_string(max_connections) + " to " +
                       std::to_string(allowed) + ": the open-file limit (ulimit -n) is " +
                       std::to_string(open_file_limit) + " and " + std::to_string(reserve) +
                       " descriptors are kept for libraries, upstreams, spill files and the "
                       "admin endpoint; past it new connections wait in the backlog"};
}

size_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? size_t(-1) : size_t(limit.rlim_cur);
}

} // namespace flexilib::process

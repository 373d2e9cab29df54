// Unit tests of the descriptor budget: MAX_CONNECTIONS fitted under RLIMIT_NOFILE.
#include "process/open_files.hpp"

#include <catch2/catch.hpp>

using flexilib::process::connection_budget;

TEST_CASE("MAX_CONNECTIONS stays as set when the open-file limit has room", "[fd]") {
  CHECK(connection_budget(10000, 1048576).max_connections == 10000);
  CHECK(connection_budget(10000, 1048576).note.empty());
  CHECK(connection_budget(100, 256).max_connections == 100);
  CHECK(connection_budget(192, 256).note.empty());
}

TEST_CASE("MAX_CONNECTIONS is lowered to the limit less 64, saying so once", "[fd]") {
  const auto budget = connection_budget(10000, 256);
  CHECK(budget.max_connections == 192);
  CHECK(budget.note ==
        "MAX_CONNECTIONS lowered from 10000 to 192: the open-file limit (ulimit -n) is 256 and "
        "64 descriptors are kept for libraries, upstreams, spill files and the admin endpoint; "
        "past it new connections wait in the backlog");
}

TEST_CASE("under a tiny open-file limit half of it is kept, and one connection at least",
          "[fd]") {
  CHECK(connection_budget(10000, 100).max_connections == 50);
  CHECK(connection_budget(10000, 1).max_connections == 1);
  CHECK(connection_budget(10000, 0).max_connections == 1);
}

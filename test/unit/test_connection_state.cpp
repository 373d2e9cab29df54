// Unit tests of connection states without a server: which transitions are allowed,
// when a state's clock starts and restarts, and each state's deadline.
#include "server/connection.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>

using namespace flexilib::server;
using flexilib::Clock;
using S = ConnectionState;

namespace {

constexpr Clock::rep ms(int count) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(count)).count();
}

const StateDeadlines deadlines{100, 200, 1}; // read 100 ms, write 200 ms, keep-alive 1 s

// A connection over /dev/null: its destructor closes a real descriptor.
Connection make_connection() {
  return Connection(::open("/dev/null", O_RDONLY | O_CLOEXEC), "127.0.0.1", 5000, "127.0.0.1",
                    8069);
}

} // namespace

TEST_CASE("connection states: the allowed transitions", "[connection]") {
  for (S state : {S::idle, S::reading_head, S::receiving_body, S::sending, S::lingering}) {
    INFO(state_name(state));
    CHECK(transition_allowed(state, state));        // staying
    CHECK(transition_allowed(state, S::lingering)); // a refusal may come from anywhere
    CHECK(transition_allowed(S::idle, state));      // a request starts anything
    CHECK(transition_allowed(S::reading_head, state));
  }
  for (S next : {S::idle, S::reading_head, S::receiving_body, S::sending})
    CHECK_FALSE(transition_allowed(S::lingering, next)); // lingering only ends in a close
  CHECK_FALSE(transition_allowed(S::receiving_body, S::reading_head));
  CHECK_FALSE(transition_allowed(S::sending, S::reading_head)); // back through idle
  CHECK(transition_allowed(S::sending, S::receiving_body));     // a stalled "100 Continue"
}

TEST_CASE("connection states: entering starts the clock, staying keeps it", "[connection]") {
  Connection connection = make_connection();
  CHECK(connection.state() == S::idle);
  connection.enter(S::reading_head, 1000);
  CHECK(connection.state() == S::reading_head);
  CHECK(connection.state_since() == 1000);
  connection.enter(S::reading_head, 2000); // more of the head: its clock keeps running
  CHECK(connection.state_since() == 1000);
  connection.enter(S::idle, 3000);
  connection.enter(S::sending, 4000);
  CHECK(connection.state() == S::sending);
  CHECK(connection.state_since() == 4000);
  connection.enter(S::lingering, 5000);
  CHECK(connection.state() == S::lingering);
  CHECK(connection.state_since() == 5000);
}

TEST_CASE("connection states: progress restarts only inactivity deadlines", "[connection]") {
  Connection connection = make_connection();
  connection.made_progress(10); // idle: keep-alive from the last byte
  CHECK(connection.state_since() == 10);
  connection.enter(S::reading_head, 20);
  connection.made_progress(30); // a trickled head does not buy time
  CHECK(connection.state_since() == 20);
  connection.enter(S::receiving_body, 40);
  connection.made_progress(50);
  CHECK(connection.state_since() == 50);
  connection.enter(S::sending, 60);
  connection.made_progress(70);
  CHECK(connection.state_since() == 70);
  connection.enter(S::lingering, 80);
  connection.made_progress(90); // lingering ends READ_TIMEOUT_MS after it began
  CHECK(connection.state_since() == 80);
}

TEST_CASE("connection states: each state's deadline, and which are logged", "[connection]") {
  const Clock::rep start = ms(1000);
  // Just inside the deadline nothing is due; just past it, it is.
  CHECK_FALSE(overdue(S::idle, start, start + ms(1000), deadlines).due);
  CHECK(overdue(S::idle, start, start + ms(1001), deadlines).due);
  CHECK_FALSE(overdue(S::reading_head, start, start + ms(100), deadlines).due);
  CHECK(overdue(S::reading_head, start, start + ms(101), deadlines).due);
  CHECK_FALSE(overdue(S::receiving_body, start, start + ms(100), deadlines).due);
  CHECK(overdue(S::receiving_body, start, start + ms(101), deadlines).due);
  CHECK_FALSE(overdue(S::sending, start, start + ms(200), deadlines).due);
  CHECK(overdue(S::sending, start, start + ms(201), deadlines).due);
  CHECK_FALSE(overdue(S::lingering, start, start + ms(100), deadlines).due);
  CHECK(overdue(S::lingering, start, start + ms(101), deadlines).due);

  // Idle connections, stalled heads and lingering ones close silently (slowloris
  // sends thousands); a stalled body or response is worth a line.
  const Clock::rep late = start + ms(5000);
  CHECK(overdue(S::idle, start, late, deadlines).why.empty());
  CHECK(overdue(S::reading_head, start, late, deadlines).why.empty());
  CHECK(overdue(S::lingering, start, late, deadlines).why.empty());
  CHECK(overdue(S::receiving_body, start, late, deadlines).why ==
        "request body stopped arriving for 100 ms (READ_TIMEOUT_MS)");
  CHECK(overdue(S::sending, start, late, deadlines).why ==
        "read nothing of its response for 200 ms (WRITE_TIMEOUT_MS)");
}

// Unit tests for MemoryBudget: reservations are granted while the budget lasts and
// give their bytes back however they end.
#include "server/memory_budget.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <utility>

using flexilib::server::MemoryBudget;

TEST_CASE("a budget grants reservations until it is spent", "[memory_budget]") {
  MemoryBudget budget(100);
  MemoryBudget::Reservation first = budget.reserve(60);
  CHECK(first);
  CHECK(budget.used() == 60);
  CHECK_FALSE(budget.reserve(41)); // one byte too many
  MemoryBudget::Reservation second = budget.reserve(40);
  CHECK(second);
  CHECK(budget.used() == 100);
  CHECK_FALSE(budget.reserve(1));
}

TEST_CASE("a reservation gives its bytes back when released, moved over or destroyed",
          "[memory_budget]") {
  MemoryBudget budget(100);
  {
    MemoryBudget::Reservation scoped = budget.reserve(70);
    REQUIRE(scoped);
  }
  CHECK(budget.used() == 0);

  MemoryBudget::Reservation held = budget.reserve(70);
  held.release();
  held.release(); // a second release gives back nothing more
  CHECK(budget.used() == 0);

  held = budget.reserve(30);
  MemoryBudget::Reservation moved = std::move(held);
  CHECK_FALSE(held);
  CHECK(budget.used() == 30);
  moved = budget.reserve(50); // the 30 it held go back first
  CHECK(budget.used() == 50);
}

TEST_CASE("a request larger than the whole budget is refused, not wrapped around",
          "[memory_budget]") {
  MemoryBudget budget(100);
  CHECK_FALSE(budget.reserve(SIZE_MAX));
  CHECK_FALSE(budget.reserve(101));
  CHECK(budget.used() == 0);
  MemoryBudget empty(0);
  CHECK_FALSE(empty.reserve(1));
}

TEST_CASE("a reservation grows while the budget lasts", "[memory_budget]") {
  MemoryBudget budget(100);
  MemoryBudget::Reservation growing = budget.reserve(40);
  CHECK(growing.grow(40));
  CHECK(growing.bytes() == 80);
  CHECK_FALSE(growing.grow(21)); // nothing changes when it cannot
  CHECK(growing.bytes() == 80);
  CHECK(budget.used() == 80);
  growing.release();
  CHECK(budget.used() == 0);
  CHECK_FALSE(growing.grow(1)); // a released reservation is empty
}

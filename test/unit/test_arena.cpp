// Unit tests of the per-thread request arena.
#include "server/arena.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>

using flexilib::server::Arena;

TEST_CASE("arena hands out aligned memory from its buffer and counts it", "[arena]") {
  Arena arena(1024);
  void *first = arena.allocate(10);
  void *second = arena.allocate(1);
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(first) % 16 == 0);
  CHECK(reinterpret_cast<uintptr_t>(second) % 16 == 0);
  CHECK(static_cast<char *>(second) - static_cast<char *>(first) == 16);
  CHECK(arena.allocated() == 32);
  CHECK(arena.overflow_bytes() == 0);
  CHECK(arena.capacity() == 1024);
}

TEST_CASE("arena falls back to the heap when the buffer is used up", "[arena]") {
  Arena arena(64);
  void *inside = arena.allocate(48);
  void *outside = arena.allocate(100); // does not fit in the 16 bytes left
  REQUIRE(inside != nullptr);
  REQUIRE(outside != nullptr);
  std::memset(outside, 0xab, 100); // the block must really be 100 bytes (ASan checks)
  CHECK(arena.allocated() == 48 + 112);
  CHECK(arena.overflow_bytes() == 112);
  void *small = arena.allocate(16); // the remaining 16 bytes of the buffer still serve
  CHECK(static_cast<char *>(small) == static_cast<char *>(inside) + 48);
}

TEST_CASE("arena reset reuses the buffer and forgets the counts", "[arena]") {
  Arena arena(256);
  void *first = arena.allocate(100);
  arena.allocate(1000);
  arena.reset();
  CHECK(arena.allocated() == 0);
  CHECK(arena.overflow_bytes() == 0);
  CHECK(arena.allocate(100) == first);
}

TEST_CASE("arena with no pre-allocation serves everything from the heap", "[arena]") {
  Arena arena(0);
  void *block = arena.allocate(8);
  REQUIRE(block != nullptr);
  CHECK(arena.overflow_bytes() == 16);
  CHECK(arena.capacity() == 0);
}

TEST_CASE("arena refuses a size that would overflow when rounded", "[arena]") {
  Arena arena(64);
  CHECK(arena.allocate(SIZE_MAX) == nullptr);
}

extern "C" void *flexilib_alloc(size_t size); // what handler libraries call

TEST_CASE("flexilib_alloc uses the calling thread's arena", "[arena]") {
  CHECK(flexilib_alloc(8) == nullptr); // not a serving thread
  Arena arena(128);
  Arena::set_current(&arena);
  void *block = flexilib_alloc(20);
  Arena::set_current(nullptr);
  CHECK(block != nullptr);
  CHECK(arena.allocated() == 32);
}

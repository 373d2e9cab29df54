// Unit tests of the Zig allocator over the request arena, called through its vtable
// as a Zig library calls it.
#include "server/zig_allocator.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>

using flexilib::server::Arena;
using flexilib::server::zig_allocator_for;
using flexilib::server::ZigAllocator;

namespace {

// A Zig library's view: alloc, resize and free with a log2 alignment.
struct ZigCalls {
  ZigAllocator allocator;
  uint8_t *alloc(size_t len, uint8_t log2_align = 0) {
    return allocator.vtable->alloc(allocator.ctx, len, log2_align, 0);
  }
  bool resize(uint8_t *buf, size_t len, size_t new_len) {
    return allocator.vtable->resize(allocator.ctx, buf, len, 0, new_len, 0);
  }
  void free(uint8_t *buf, size_t len) { allocator.vtable->free(allocator.ctx, buf, len, 0, 0); }
};

ZigCalls calls_over(Arena &arena) {
  return {*zig_allocator_for(arena)};
}

bool aligned(const void *pointer, size_t alignment) {
  return reinterpret_cast<uintptr_t>(pointer) % alignment == 0;
}

} // namespace

TEST_CASE("zig allocator: the value is the arena and the three functions in Zig's order",
          "[zig_allocator]") {
  Arena arena(1024);
  const ZigAllocator *allocator = zig_allocator_for(arena);
  CHECK(allocator->ctx == &arena);
  REQUIRE(allocator->vtable == &flexilib::server::zig_arena_vtable);
  // Zig's std.mem.Allocator is two pointers; its VTable three function pointers.
  STATIC_REQUIRE(sizeof(ZigAllocator) == 2 * sizeof(void *));
  STATIC_REQUIRE(sizeof(flexilib::server::ZigAllocatorVTable) == 3 * sizeof(void *));
  CHECK(zig_allocator_for(arena) == allocator); // one per thread, kept
}

TEST_CASE("zig allocator: every alignment up to 4096 and beyond is honoured", "[zig_allocator]") {
  Arena arena(64 * 1024);
  ZigCalls zig = calls_over(arena);
  for (uint8_t log2 = 0; log2 <= 14; ++log2) {
    INFO("log2_align " << int(log2));
    uint8_t *block = zig.alloc(24, log2);
    REQUIRE(block != nullptr);
    CHECK(aligned(block, size_t(1) << log2));
    std::memset(block, 1, 24);
  }
  CHECK(arena.overflow_bytes() > 0); // 8192 and 16384 come from the heap
}

TEST_CASE("zig allocator: padding for an alignment counts, the same on every arena",
          "[zig_allocator]") {
  for (int i = 0; i < 2; ++i) {
    Arena arena(16 * 1024);
    ZigCalls zig = calls_over(arena);
    zig.alloc(10);
    uint8_t *page = zig.alloc(100, 12);
    CHECK(aligned(page, 4096));
    CHECK(arena.allocated() == 4096 + 112); // 16 bytes, 4080 of padding, 112
    CHECK(arena.overflow_bytes() == 0);
  }
}

TEST_CASE("zig allocator: the newest block grows and shrinks in place", "[zig_allocator]") {
  Arena arena(1024);
  ZigCalls zig = calls_over(arena);
  uint8_t *list = zig.alloc(16);
  REQUIRE(zig.resize(list, 16, 400));
  std::memset(list, 2, 400);
  CHECK(arena.allocated() == 400);
  REQUIRE(zig.resize(list, 400, 100));
  CHECK(arena.allocated() == 400);          // the figure is the most the request held
  CHECK(zig.alloc(16) == list + 112);       // the shrunk bytes are free again
  CHECK_FALSE(zig.resize(list, 100, 2000)); // no longer the newest
}

TEST_CASE("zig allocator: an older block only shrinks, growing it needs a new block",
          "[zig_allocator]") {
  Arena arena(1024);
  ZigCalls zig = calls_over(arena);
  uint8_t *older = zig.alloc(64);
  uint8_t *newer = zig.alloc(64);
  CHECK_FALSE(zig.resize(older, 64, 65 + 16));
  CHECK(zig.resize(older, 64, 32));
  CHECK(zig.resize(newer, 64, 64 + 16));    // the newest still grows
  CHECK_FALSE(zig.resize(newer, 80, 2000)); // past the buffer: false, nothing changed
  CHECK(arena.allocated() == 64 + 80);
}

TEST_CASE("zig allocator: free takes back the newest block, keeps an older one",
          "[zig_allocator]") {
  Arena arena(1024);
  ZigCalls zig = calls_over(arena);
  uint8_t *older = zig.alloc(32);
  uint8_t *newest = zig.alloc(48);
  zig.free(newest, 48);
  CHECK(zig.alloc(48) == newest); // reused
  zig.free(older, 32);            // stays until the reset
  CHECK(zig.alloc(16) == newest + 48);
  CHECK(arena.allocated() == 32 + 48 + 16);
}

TEST_CASE("zig allocator: past the buffer it takes heap blocks, counted, freed on free",
          "[zig_allocator]") {
  Arena arena(256);
  ZigCalls zig = calls_over(arena);
  zig.alloc(200);
  uint8_t *heap = zig.alloc(1000); // does not fit: heap fallback
  REQUIRE(heap != nullptr);
  std::memset(heap, 3, 1000); // ASan checks the size
  CHECK(arena.overflow_bytes() == 1008);
  CHECK(arena.allocated() == 208 + 1008);
  CHECK(zig.resize(heap, 1000, 500));       // a heap block shrinks in place
  CHECK_FALSE(zig.resize(heap, 500, 2000)); // but never grows
  zig.free(heap, 500);                      // back to the heap now (ASan: no double free)
  uint8_t *again = zig.alloc(1000);
  REQUIRE(again != nullptr);
  CHECK(arena.allocated() == 208 + 1008); // the most held at once
  CHECK(arena.overflow_bytes() == 2016);  // heap bytes taken in all
  arena.reset();
  CHECK(arena.allocated() == 0);
}

TEST_CASE("zig allocator: NULL for what cannot be had, the library's OutOfMemory",
          "[zig_allocator]") {
  Arena arena(256);
  ZigCalls zig = calls_over(arena);
  CHECK(zig.alloc(SIZE_MAX - 8) == nullptr);     // rounding would overflow
  CHECK(zig.alloc(SIZE_MAX / 2 + 1) == nullptr); // more than any heap has
  CHECK(zig.alloc(16, 64) == nullptr);           // an alignment no shift can make
  uint8_t *block = zig.alloc(16);
  CHECK_FALSE(zig.resize(block, 16, SIZE_MAX - 8));
  CHECK(arena.allocated() == 16);
}

// FlexiLib's Zig allocator: the std.mem.Allocator value (Zig 0.11 to 0.13) that a
// library exporting zigInit gets before each handle_request, over the serving
// thread's request arena. The library allocates its response through it and frees
// nothing: the arena's reset after the response does, and every byte counts in the
// request's "alloc" figure like flexilib_alloc memory.
#pragma once

#include "server/arena.hpp"

#include <cstddef>
#include <cstdint>

namespace flexilib::server {

// Zig's std.mem.Allocator.VTable in C terms: three functions, in this order, called
// as plain C functions on x86-64 Linux (a Zig slice argument is a pointer then a
// length; the alignment is 1 << log2_align). Zig 0.14 added a fourth entry and an
// alignment enum: libraries built with it are not supported.
struct ZigAllocatorVTable {
  uint8_t *(*alloc)(void *ctx, size_t len, uint8_t log2_align, size_t ret_addr);
  bool (*resize)(void *ctx, uint8_t *buf, size_t buf_len, uint8_t log2_align, size_t new_len,
                 size_t ret_addr);
  void (*free)(void *ctx, uint8_t *buf, size_t buf_len, uint8_t log2_align, size_t ret_addr);
};

// std.mem.Allocator itself: a context (here the Arena) and the vtable.
struct ZigAllocator {
  void *ctx;
  const ZigAllocatorVTable *vtable;
};

// The vtable over an Arena (ctx): alloc is Arena::allocate (NULL when the heap is out),
// resize Arena::resize (in place, or false), free Arena::release.
extern const ZigAllocatorVTable zig_arena_vtable;

// The allocator value for the calling thread over `arena`. It lives as long as the
// thread, so a library may keep the pointer zigInit got; it is refreshed each time.
ZigAllocator *zig_allocator_for(Arena &arena);

} // namespace flexilib::server

// FlexiLib's Zig allocator: the std.mem.Allocator value (Zig 0.11 to 0.13) that a
// library exporting zigInit gets before each handle_request, over the serving
// thread's request arena. The library allocates its response through it and frees
// nothing: the arena's reset after the response does, and every byte counts in the
// request's "alloc" figure like flexilib_alloc memory.
#pragma once

#include "executors/flexilib.h"
#include "server/arena.hpp"

#include <cstddef>
#include <cstdint>

namespace flexilib::server {

// Zig's std.mem.Allocator and its VTable in C terms, as executors/flexilib.h declares
// them for libraries: a context (here the Arena) and three functions, in Zig's order.
using ZigAllocator = flexilib_zig_allocator;
using ZigAllocatorVTable = flexilib_zig_allocator_vtable;

// The vtable over an Arena (ctx): alloc is Arena::allocate (NULL when the heap is out),
// resize Arena::resize (in place, or false), free Arena::release.
extern const ZigAllocatorVTable zig_arena_vtable;

// The allocator value for the calling thread over `arena`. It lives as long as the
// thread, so a library may keep the pointer zigInit got; it is refreshed each time.
ZigAllocator *zig_allocator_for(Arena &arena);

} // namespace flexilib::server

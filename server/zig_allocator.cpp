// The Zig allocator's three functions, each a thin call into the Arena.
#include "server/zig_allocator.hpp"

namespace flexilib::server {

namespace {

// Alignments past the arena's reach (and shifts that would be undefined) are refused.
constexpr uint8_t max_log2_align = 30;

Arena &arena_of(void *ctx) {
  return *static_cast<Arena *>(ctx);
}

uint8_t *zig_alloc(void *ctx, size_t len, uint8_t log2_align, size_t /*ret_addr*/) {
  if (log2_align > max_log2_align) return nullptr;
  return static_cast<uint8_t *>(arena_of(ctx).allocate(len, size_t(1) << log2_align));
}

bool zig_resize(void *ctx, uint8_t *buf, size_t buf_len, uint8_t /*log2_align*/, size_t new_len,
                size_t /*ret_addr*/) {
  // The block is already aligned as it was allocated; moving it is the caller's job.
  return arena_of(ctx).resize(buf, buf_len, new_len);
}

void zig_free(void *ctx, uint8_t *buf, size_t buf_len, uint8_t /*log2_align*/,
              size_t /*ret_addr*/) {
  arena_of(ctx).release(buf, buf_len);
}

} // namespace

const ZigAllocatorVTable zig_arena_vtable{zig_alloc, zig_resize, zig_free};

ZigAllocator *zig_allocator_for(Arena &arena) {
  thread_local ZigAllocator allocator{};
  allocator = {&arena, &zig_arena_vtable};
  return &allocator;
}

} // namespace flexilib::server

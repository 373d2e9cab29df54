//! For the Zig integration tests: a Zig 0.11 library on executors/flexilib.zig whose
//! request header x-mode picks a behaviour; the body is otherwise the version of the
//! root file that built it (zig_behaviours_v1.zig or _v2.zig), for replacement tests.
//!   x-mode: body-kb    x-body-kb KiB of 'z', appended 1 KiB at a time (the list grows)
//!   x-mode: page       a 4096-aligned block, checked ("aligned"; misaligned: 500)
//!   x-mode: error      an error from the handler: NULL, so 500
//!   x-mode: oom        more memory than there is: the allocator's NULL is Zig's
//!                      OutOfMemory, so NULL, so 500
//!   x-mode: crash      a Zig panic, taking the serving process down
const std = @import("std");
const flexilib = @import("flexilib");
const version = @import("root").version;

pub fn zigInit(parent_allocator: *anyopaque) callconv(.C) void {
    flexilib.zigInit(parent_allocator);
}

pub fn handle_request(request: *const flexilib.Request) callconv(.C) ?*flexilib.Response {
    return flexilib.handleRequest(request, handle);
}

fn handle(allocator: std.mem.Allocator, request: flexilib.ZigRequest, response: *flexilib.ZigResponse) !void {
    const mode = request.header("x-mode") orelse "";
    if (std.mem.eql(u8, mode, "body-kb")) {
        const kib = try std.fmt.parseInt(usize, request.header("x-body-kb") orelse "0", 10);
        const chunk = [_]u8{'z'} ** 1024;
        for (0..kib) |_| try response.body.appendSlice(&chunk);
    } else if (std.mem.eql(u8, mode, "page")) {
        const page = try allocator.alignedAlloc(u8, 4096, 4096);
        if (@intFromPtr(page.ptr) % 4096 != 0) return error.Misaligned;
        @memset(page, 'p');
        try response.body.appendSlice("aligned");
    } else if (std.mem.eql(u8, mode, "error")) {
        return error.HandlerFailed;
    } else if (std.mem.eql(u8, mode, "oom")) {
        const everything = try allocator.alloc(u8, std.math.maxInt(usize) / 2 + 1);
        try response.body.appendSlice(everything[0..1]);
    } else if (std.mem.eql(u8, mode, "crash")) {
        @panic("zig_behaviours crashes on request");
    } else {
        try response.body.appendSlice(version);
    }
}

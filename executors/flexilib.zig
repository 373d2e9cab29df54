//! flexilib.zig: the library interface for handlers written in Zig 0.11 (0.12 and 0.13
//! too), shaped like the original FlexiLib's interface module so that its libraries
//! and these are built the same way. The server calls zigInit with a pointer to a
//! std.mem.Allocator over the serving thread's request arena right before each
//! handle_request; everything a response needs is allocated through it and freed by
//! the server after the response has been written (each byte counts in the log
//! line's "alloc"). Use it as a module: `--mod flexilib::executors/flexilib.zig`.
const std = @import("std");

/// The C structs of executors/flexilib.h, field for field.
pub const Header = extern struct {
    name_ptr: [*]const u8,
    name_len: usize,
    value_ptr: [*]const u8,
    value_len: usize,

    pub fn name(self: Header) []const u8 {
        return self.name_ptr[0..self.name_len];
    }
    pub fn value(self: Header) []const u8 {
        return self.value_ptr[0..self.value_len];
    }
};

pub const Request = extern struct {
    target: [*]const u8,
    target_len: usize,
    method: [*:0]const u8,
    method_len: usize,
    content: ?[*]const u8, // may be NULL when content_len is 0
    content_len: usize,
    headers: ?[*]const Header, // may be NULL when headers_len is 0
    headers_len: usize,
};

pub const Response = extern struct {
    ptr: [*]const u8,
    len: usize,
    headers: [*]const Header,
    headers_len: usize,
    status: usize, // 0: 200
    reason_ptr: [*]const u8,
    reason_len: usize,
};

/// The request as Zig slices.
pub const ZigRequest = struct {
    target: []const u8,
    method: []const u8,
    content: []const u8,
    headers: []const Header,

    /// The value of the first header called `wanted` (any case), or null.
    pub fn header(self: ZigRequest, wanted: []const u8) ?[]const u8 {
        for (self.headers) |h| {
            if (std.ascii.eqlIgnoreCase(h.name(), wanted)) return h.value();
        }
        return null;
    }
};

/// What a handler fills in: a body that grows as it is written, extra headers and a
/// status (0: 200). Both lists allocate through the server's allocator.
pub const ZigResponse = struct {
    body: std.ArrayList(u8),
    headers: std.ArrayList(Header),
    status: usize = 0,

    /// Adds a response header; name and value must outlive the request (literals, or
    /// memory from the allocator).
    pub fn addHeader(self: *ZigResponse, name: []const u8, value: []const u8) !void {
        try self.headers.append(.{
            .name_ptr = name.ptr,
            .name_len = name.len,
            .value_ptr = value.ptr,
            .value_len = value.len,
        });
    }
};

pub const Handler = *const fn (std.mem.Allocator, ZigRequest, *ZigResponse) anyerror!void;

/// The server's allocator for the request running on this thread. A pointer to the
/// server's value, kept per thread: the server serves requests on several threads.
threadlocal var server_allocator: ?*const std.mem.Allocator = null;

/// What a library's exported zigInit calls.
pub fn zigInit(parent_allocator: *anyopaque) void {
    server_allocator = @ptrCast(@alignCast(parent_allocator));
}

/// Everything one exchange needs beyond the lists, allocated in one piece. Its
/// timestamp is 16-byte aligned (as SIMD and atomic 128-bit data must be), so the
/// allocator is asked for that alignment (log2_align 4) and must honour it (a safe
/// build checks the pointer it gets).
const Exchange = struct {
    response: Response,
    started_ns: i128 align(16),
};

/// What a library's exported handle_request calls: runs `handler` on the request and
/// returns the C response, or null (the server answers 500) when zigInit was not
/// called first, memory ran out or the handler returned an error that it did not turn
/// into a status of its own.
pub fn handleRequest(request: *const Request, handler: Handler) ?*Response {
    const allocator = (server_allocator orelse return null).*;
    return respond(allocator, request, handler) catch null;
}

fn respond(allocator: std.mem.Allocator, request: *const Request, handler: Handler) !*Response {
    const exchange = try allocator.create(Exchange);
    exchange.started_ns = std.time.nanoTimestamp();
    const zig_request = ZigRequest{
        .target = request.target[0..request.target_len],
        .method = request.method[0..request.method_len],
        .content = if (request.content) |content| content[0..request.content_len] else "",
        .headers = if (request.headers) |headers| headers[0..request.headers_len] else &.{},
    };
    var response = ZigResponse{
        .body = std.ArrayList(u8).init(allocator),
        .headers = std.ArrayList(Header).init(allocator),
    };
    try handler(allocator, zig_request, &response);
    // toOwnedSlice shrinks each list to its length: a resize in place, or a copy.
    const headers = try response.headers.toOwnedSlice();
    const body = try response.body.toOwnedSlice();
    exchange.response = .{
        .ptr = body.ptr,
        .len = body.len,
        .headers = headers.ptr,
        .headers_len = headers.len,
        .status = response.status,
        .reason_ptr = "",
        .reason_len = 0,
    };
    return &exchange.response;
}

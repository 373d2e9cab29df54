//! zig_example.zig: the original FlexiLib's example handler in Zig 0.11, on the
//! interface module executors/flexilib.zig, answering as executors/example.c does:
//! a space and the number of request headers (" 1" for one header) and the header
//! "X-custom-foo: bar", reacting to request headers:
//!   Host: iam...       body "iam response"
//!   x-status: N        status N
//!   x-log-this: TEXT   TEXT before the body
//!   x-slow: MS         sleep MS milliseconds first
//!   x-throw            fail (an error: 500; with x-status, that status and an error body)
//! Build: zig build-lib -dynamic -lc -O ReleaseSafe --mod flexilib::executors/flexilib.zig
//!        --deps flexilib executors/zig_example.zig -femit-bin=libflexilib-zig-example.so
const std = @import("std");
const flexilib = @import("flexilib");

export fn zigInit(parent_allocator: *anyopaque) void {
    flexilib.zigInit(parent_allocator);
}

export fn handle_request(request: *const flexilib.Request) ?*flexilib.Response {
    return flexilib.handleRequest(request, handle);
}

/// A header's value as a number, or null when absent or not a number.
fn headerNumber(request: flexilib.ZigRequest, name: []const u8) ?usize {
    const text = request.header(name) orelse return null;
    return std.fmt.parseInt(usize, text, 10) catch null;
}

fn handle(allocator: std.mem.Allocator, request: flexilib.ZigRequest, response: *flexilib.ZigResponse) !void {
    _ = allocator; // everything goes through the response's lists
    if (headerNumber(request, "x-slow")) |ms| std.time.sleep(ms * std.time.ns_per_ms);

    try response.addHeader("X-custom-foo", "bar");
    const status = headerNumber(request, "x-status");
    if (request.header("x-throw") != null) {
        // FlexiLib answers a failure with x-status's status when one is set.
        const failed_status = status orelse return error.Thrown;
        response.status = failed_status;
        try response.body.appendSlice("handler failed");
        return;
    }
    response.status = status orelse 0;
    if (request.header("x-log-this")) |text| try response.body.appendSlice(text);
    const host = request.header("host") orelse "";
    if (std.mem.startsWith(u8, host, "iam")) {
        try response.body.appendSlice("iam response");
    } else {
        try response.body.writer().print(" {d}", .{request.headers.len});
    }
}

//! Root of libzig-behaviours.so: zig_behaviours.zig answering "v1".
pub const version = "v1";

comptime {
    const behaviours = @import("zig_behaviours.zig");
    @export(behaviours.zigInit, .{ .name = "zigInit" });
    @export(behaviours.handle_request, .{ .name = "handle_request" });
}

//! Root of libzig-behaviours-v2.so: zig_behaviours.zig answering "v2".
pub const version = "v2";

comptime {
    const behaviours = @import("zig_behaviours.zig");
    @export(behaviours.zigInit, .{ .name = "zigInit" });
    @export(behaviours.handle_request, .{ .name = "handle_request" });
}

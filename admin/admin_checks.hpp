// The decisions about an admin request that need no socket: whether its Host,
// Origin and Authorization may pass (Caddy's defences against DNS rebinding and
// cross-site requests from a browser) and whether its query parameters are valid.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace flexilib::admin {

// A numeric address in 127.0.0.0/8, ::1 or ::ffff:127.x.x.x.
bool is_loopback_address(std::string_view address);

// A Host header value ("localhost", "127.0.0.1:8070", "[::1]:8070") that names this
// machine's loopback. A DNS-rebinding page can only send its own host name, so an
// admin endpoint that insists on these is unreachable from it.
bool is_loopback_host(std::string_view host);

// The Host header may pass: a loopback host, or the admin address itself (which
// is only non-loopback when a token protects it).
bool host_allowed(std::string_view host, std::string_view admin_address);

// The Origin header of a POST may pass: "http://" or "https://" and an allowed
// host. "null" and anything else is refused.
bool origin_allowed(std::string_view origin, std::string_view admin_address);

// `authorization` is "Bearer <token>" with exactly `token`. Compared in time that
// does not depend on where the first difference is.
bool bearer_token_matches(std::string_view authorization, std::string_view token);

// GET /requests?limit=N: how many records to answer when none is asked for, and
// the most that may be asked for.
constexpr size_t default_request_limit = 100;
constexpr size_t max_request_limit = 1'000'000;

// `limit` as a whole decimal number from 0 to max_request_limit; nothing otherwise.
std::optional<size_t> parse_request_limit(std::string_view text);

} // namespace flexilib::admin

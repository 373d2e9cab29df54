// Cloudflare Workers: the headers Cloudflare's edge adds to every request a Worker
// sees, and the error page it answers when a Worker runs past its CPU-time limit.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flexilib::faas {

// CF-Connecting-IP, CF-Ray, CF-IPCountry, CF-Visitor and X-Forwarded-Proto for a
// request from `client_ip` (plain HTTP: the server has no TLS).
std::vector<std::pair<std::string, std::string>> cloudflare_headers(std::string_view client_ip);

// True for the header names cloudflare_headers sets: a client's own copies are dropped,
// as Cloudflare overwrites them.
bool is_cloudflare_header(std::string_view name);

// "7d5c2f0a3b1e4c2d-LOC": 16 random hex digits and a data-centre code (LOC: local).
std::string random_ray_id();

// Error 1102's status (503) and page text.
constexpr int worker_limit_status = 503;
std::string worker_limit_page(std::string_view ray_id);

} // namespace flexilib::faas

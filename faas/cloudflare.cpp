// The Cloudflare Workers request headers and the 1102 error page.
#include "faas/cloudflare.hpp"

#include <array>
#include <cstdio>
#include <random>

namespace flexilib::faas {

namespace {

constexpr std::array<std::string_view, 5> added_names = {
    "CF-Connecting-IP", "CF-Ray", "CF-IPCountry", "CF-Visitor", "X-Forwarded-Proto"};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

} // namespace

std::string random_ray_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char ray[32];
  std::snprintf(ray, sizeof ray, "%016llx-LOC", static_cast<unsigned long long>(random()));
  return ray;
}

std::vector<std::pair<std::string, std::string>> cloudflare_headers(std::string_view client_ip) {
  // XX is Cloudflare's country code for an address it cannot place, as a local one is.
  return {{std::string(added_names[0]), std::string(client_ip)},
          {std::string(added_names[1]), random_ray_id()},
          {std::string(added_names[2]), "XX"},
          {std::string(added_names[3]), R"({"scheme":"http"})"},
          {std::string(added_names[4]), "http"}};
}

bool is_cloudflare_header(std::string_view name) {
  for (std::string_view added : added_names)
    if (equal_ignoring_case(name, added)) return true;
  return false;
}

std::string worker_limit_page(std::string_view ray_id) {
  return "<!DOCTYPE html>\n<html><head><title>Worker exceeded resource limits</title></head>\n"
         "<body><h1>Error 1102</h1><h2>Worker exceeded resource limits</h2>\n"
         "<p>This Worker ran past its CPU time limit for one request.</p>\n"
         "<p>Ray ID: " +
         std::string(ray_id) + "</p></body></html>\n";
}

} // namespace flexilib::faas

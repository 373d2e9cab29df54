// Header filtering and the forwarding fields, both directions.
#include "upstream/forwarded_headers.hpp"

#include "http/case_insensitive.hpp"

namespace flexilib::upstream {

namespace {

using http::equals_ignoring_case;
using http::starts_with_ignoring_case;

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char &c : lower)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return lower;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// Appends the comma-separated tokens of one Connection value as ",token".
void add_connection_tokens(std::string_view value, std::string &names) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view token = trim(value.substr(0, comma));
    if (!token.empty()) names.append(lowercase(token)).append(1, ',');
    value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
  }
}

bool is_framing_field(std::string_view name) {
  return equals_ignoring_case(name, "content-length");
}

} // namespace

bool is_hop_by_hop(std::string_view name, std::string_view connection_names) {
  // Trailer too: bodies are forwarded de-chunked, so there are no trailers to announce.
  for (std::string_view fixed :
       {"connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer"})
    if (equals_ignoring_case(name, fixed)) return true;
  if (starts_with_ignoring_case(name, "proxy-")) return true;
  std::string needle(1, ',');
  needle.append(lowercase(name)).append(1, ',');
  return connection_names.find(needle) != std::string_view::npos;
}

std::string connection_named_fields(const httplib::Headers &headers) {
  std::string names = ",";
  const auto [first, last] = headers.equal_range("Connection");
  for (auto field = first; field != last; ++field)
    add_connection_tokens(field->second, names);
  return names;
}

std::string append_to_list(std::string_view existing, std::string_view item) {
  existing = trim(existing);
  if (existing.empty()) return std::string(item);
  std::string list(existing);
  list.append(", ").append(item);
  return list;
}

std::string via_entry(std::string_view http_version) {
  std::string_view version = http_version;
  if (starts_with_ignoring_case(version, "HTTP/")) version.remove_prefix(5);
  if (version.empty()) version = "1.1";
  return std::string(version) + " flexilib";
}

httplib::Headers upstream_request_headers(std::span<const flexilib_header> client_headers,
                                          const ClientFacts &client) {
  httplib::Headers sent;
  for (const flexilib_header &field : client_headers)
    sent.emplace(std::string(field.name_ptr, field.name_len),
                 std::string(field.value_ptr, field.value_len));
  const std::string connection_names = connection_named_fields(sent);

  httplib::Headers forwarded;
  std::string forwarded_for, via, host;
  for (const auto &[name, value] : sent) {
    if (is_hop_by_hop(name, connection_names) || is_framing_field(name)) continue;
    if (equals_ignoring_case(name, "expect") || equals_ignoring_case(name, "x-forwarded-proto") ||
        equals_ignoring_case(name, "x-forwarded-host"))
      continue;
    // Several fields of a list are one list (RFC 9110 §5.3): join them, then append.
    if (equals_ignoring_case(name, "x-forwarded-for")) {
      forwarded_for = append_to_list(forwarded_for, value);
      continue;
    }
    if (equals_ignoring_case(name, "via")) {
      via = append_to_list(via, value);
      continue;
    }
    if (equals_ignoring_case(name, "host") && host.empty()) host = value;
    forwarded.emplace(name, value);
  }
  forwarded.emplace("X-Forwarded-For", append_to_list(forwarded_for, client.address));
  forwarded.emplace("X-Forwarded-Proto", "http");
  if (!host.empty()) forwarded.emplace("X-Forwarded-Host", host);
  forwarded.emplace("Via", append_to_list(via, via_entry(client.http_version)));
  return forwarded;
}

httplib::Headers client_response_headers(const httplib::Headers &upstream_headers,
                                         std::string_view upstream_http_version,
                                         bool head_request) {
  const std::string connection_names = connection_named_fields(upstream_headers);
  httplib::Headers passed;
  std::string via;
  for (const auto &[name, value] : upstream_headers) {
    if (is_hop_by_hop(name, connection_names)) continue;
    if (is_framing_field(name) && !head_request) continue;
    if (equals_ignoring_case(name, "via")) {
      via = append_to_list(via, value);
      continue;
    }
    passed.emplace(name, value);
  }
  passed.emplace("Via", append_to_list(via, via_entry(upstream_http_version)));
  return passed;
}

} // namespace flexilib::upstream

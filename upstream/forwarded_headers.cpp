// Header filtering and the forwarding fields, both directions, written in place.
#include "upstream/forwarded_headers.hpp"

#include "http/case_insensitive.hpp"
#include "http/whitespace.hpp"

namespace flexilib::upstream {

namespace {

using http::ascii_lower;
using http::equals_ignoring_case;
using http::starts_with_ignoring_case;
using http::trim;

std::string_view name_of(const flexilib_header &field) {
  return {field.name_ptr, field.name_len};
}
std::string_view value_of(const flexilib_header &field) {
  return {field.value_ptr, field.value_len};
}

void append_field(std::string &out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// Appends the values of every field named `name` as one list ("a, b"), and returns
// whether there was any.
bool append_joined(std::string &out, std::span<const flexilib_header> fields,
                   std::string_view name) {
  bool any = false;
  for (const flexilib_header &field : fields) {
    if (!equals_ignoring_case(name_of(field), name)) continue;
    const std::string_view value = trim(value_of(field));
    if (value.empty()) continue;
    if (any) out.append(", ");
    out.append(value);
    any = true;
  }
  return any;
}

void append_via_entry(std::string &out, std::string_view http_version) {
  std::string_view version = http_version;
  if (starts_with_ignoring_case(version, "HTTP/")) version.remove_prefix(5);
  if (version.empty()) version = "1.1";
  out.append(version).append(" flexilib");
}

// Fields the request sent upstream never carries as the client sent them.
bool replaced_upstream(std::string_view name) {
  for (std::string_view replaced : {"content-length", "expect", "x-forwarded-for",
                                    "x-forwarded-proto", "x-forwarded-host", "via"})
    if (equals_ignoring_case(name, replaced)) return true;
  return false;
}

} // namespace

bool names_token(std::string_view names, std::string_view token) {
  // names is ",a,b,": each token sits between two commas.
  size_t start = 1;
  while (start < names.size()) {
    const size_t end = names.find(',', start);
    if (end == std::string_view::npos) break;
    if (equals_ignoring_case(names.substr(start, end - start), token)) return true;
    start = end + 1;
  }
  return false;
}

bool is_hop_by_hop(std::string_view name, std::string_view connection_names) {
  // Trailer too: bodies are forwarded de-chunked, so there are no trailers to announce.
  for (std::string_view fixed :
       {"connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer"})
    if (equals_ignoring_case(name, fixed)) return true;
  if (starts_with_ignoring_case(name, "proxy-")) return true;
  return names_token(connection_names, name);
}

void add_connection_tokens(std::string_view value, std::string &names) {
  if (names.empty()) names.push_back(',');
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view token = trim(value.substr(0, comma));
    if (!token.empty()) {
      for (char c : token)
        names.push_back(ascii_lower(c));
      names.push_back(',');
    }
    value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
  }
}

std::string append_to_list(std::string_view existing, std::string_view item) {
  existing = trim(existing);
  if (existing.empty()) return std::string(item);
  std::string list(existing);
  list.append(", ").append(item);
  return list;
}

std::string via_entry(std::string_view http_version) {
  std::string entry;
  append_via_entry(entry, http_version);
  return entry;
}

bool write_upstream_request_head(std::string &out, const UpstreamRequestLine &line,
                                 std::span<const flexilib_header> client_headers,
                                 const ClientFacts &client) {
  std::string connection_names = ",";
  std::string_view host, upgrade;
  for (const flexilib_header &field : client_headers) {
    if (equals_ignoring_case(name_of(field), "connection"))
      add_connection_tokens(value_of(field), connection_names);
    else if (host.empty() && equals_ignoring_case(name_of(field), "host"))
      host = trim(value_of(field));
    else if (upgrade.empty() && equals_ignoring_case(name_of(field), "upgrade"))
      upgrade = trim(value_of(field));
  }
  const bool upgrading = !upgrade.empty() && names_token(connection_names, "upgrade");

  out.clear();
  out.append(line.method).append(" ").append(line.target.path).append(line.target.rest);
  out.append(" HTTP/1.1\r\n");
  for (const flexilib_header &field : client_headers) {
    const std::string_view name = name_of(field);
    if (is_hop_by_hop(name, connection_names) || replaced_upstream(name)) continue;
    append_field(out, name, value_of(field));
  }
  if (host.empty()) append_field(out, "Host", line.default_host);
  out.append("X-Forwarded-For: ");
  if (append_joined(out, client_headers, "x-forwarded-for")) out.append(", ");
  out.append(client.address).append("\r\nX-Forwarded-Proto: http\r\n");
  if (!host.empty()) append_field(out, "X-Forwarded-Host", host);
  out.append("Via: ");
  if (append_joined(out, client_headers, "via")) out.append(", ");
  append_via_entry(out, client.http_version);
  out.append("\r\n");
  if (upgrading) {
    append_field(out, "Connection", "upgrade");
    append_field(out, "Upgrade", upgrade);
  }
  if (line.body_length) append_field(out, "Content-Length", std::to_string(*line.body_length));
  out.append("\r\n");
  return upgrading;
}

void append_client_response_fields(std::string &out, std::span<const HeaderField> upstream_fields,
                                   std::string_view connection_names,
                                   std::string_view upstream_http_version, bool keep_content_length,
                                   bool switching_protocols) {
  bool any_via = false;
  for (const HeaderField &field : upstream_fields) {
    if (equals_ignoring_case(field.name, "via")) {
      any_via = true;
      continue;
    }
    if (switching_protocols && equals_ignoring_case(field.name, "upgrade")) {
      append_field(out, field.name, field.value);
      continue;
    }
    if (is_hop_by_hop(field.name, connection_names)) continue;
    if (!keep_content_length && equals_ignoring_case(field.name, "content-length")) continue;
    append_field(out, field.name, field.value);
  }
  out.append("Via: ");
  if (any_via) {
    bool first = true;
    for (const HeaderField &field : upstream_fields) {
      if (!equals_ignoring_case(field.name, "via") || trim(field.value).empty()) continue;
      if (!first) out.append(", ");
      out.append(trim(field.value));
      first = false;
    }
    if (!first) out.append(", ");
  }
  append_via_entry(out, upstream_http_version);
  out.append("\r\n");
  if (switching_protocols) append_field(out, "Connection", "upgrade");
}

} // namespace flexilib::upstream

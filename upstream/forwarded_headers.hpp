// Which header fields a proxy passes on and which it adds (RFC 9110 §7.6): the
// hop-by-hop fields stay on their own connection both ways; X-Forwarded-For,
// -Proto, -Host and Via tell the upstream who asked through whom. Heads are written
// straight into a caller's buffer (reused per thread), field by field, as views of
// what arrived: forwarding a request allocates nothing.
#pragma once

#include "executors/flexilib.h"
#include "upstream/upstream_url.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flexilib::upstream {

// One header field as received, pointing into the received head.
struct HeaderField {
  std::string_view name, value;
};

// Who asked and how: what the X-Forwarded-* fields say.
struct ClientFacts {
  std::string_view address;      // the client's IP, without port
  std::string_view http_version; // "HTTP/1.1" as the client sent it
};

// A field that belongs to one connection only: Connection, Keep-Alive, TE,
// Transfer-Encoding, Upgrade, Trailer, Proxy-* (Proxy-Connection too) and every field
// the message's Connection fields name (`connection_names`, see add_connection_tokens).
bool is_hop_by_hop(std::string_view name, std::string_view connection_names);

// Appends the tokens of one Connection field value to `names`, lower-cased, each
// followed by ',': from "," and "close, X-A" it makes ",close,x-a,", ready for
// is_hop_by_hop and names_token.
void add_connection_tokens(std::string_view value, std::string &names);

// Whether `names` (from add_connection_tokens) holds `token` (lower case).
bool names_token(std::string_view names, std::string_view token);

// "a, b" + "c" -> "a, b, c"; "" + "c" -> "c".
std::string append_to_list(std::string_view existing, std::string_view item);

// "1.1 flexilib" for "HTTP/1.1": the Via entry for a message of that version.
std::string via_entry(std::string_view http_version);

// What goes upstream besides the client's fields.
struct UpstreamRequestLine {
  std::string_view method;
  TargetParts target;                  // rewritten for the upstream (rewritten_target)
  std::string_view default_host;       // "host:port", for a request that has no Host
  std::optional<uint64_t> body_length; // Content-Length sent; none: no body framing at all
};

// Writes the request head sent upstream into `out` (replacing what it held): the
// request line (HTTP/1.1), the client's fields as sent but for hop-by-hop fields,
// Expect (the body is read by the server) and the framing fields (the body's length is
// sent anew); Host passed through unchanged (the upstream's when there is none);
// X-Forwarded-For appended to, X-Forwarded-Proto and X-Forwarded-Host set, Via
// appended to. An upgrade request (Connection names "upgrade" and an Upgrade field
// is there: a WebSocket handshake) keeps its Upgrade field and "Connection: upgrade".
// Returns whether it was one.
bool write_upstream_request_head(std::string &out, const UpstreamRequestLine &line,
                                 std::span<const flexilib_header> client_headers,
                                 const ClientFacts &client);

// Appends the upstream's response fields for the client to `out`: hop-by-hop fields
// dropped, Content-Length too unless `keep_content_length` (an answer without a body,
// to HEAD or 304, says what the body would be; otherwise the relay frames the body
// itself), Via appended to. A 101 (`switching_protocols`) keeps its Upgrade field and
// says "Connection: upgrade". `connection_names` are the upstream's (add_connection_tokens).
void append_client_response_fields(std::string &out, std::span<const HeaderField> upstream_fields,
                                   std::string_view connection_names,
                                   std::string_view upstream_http_version, bool keep_content_length,
                                   bool switching_protocols);

} // namespace flexilib::upstream

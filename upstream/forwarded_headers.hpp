// Which header fields a proxy passes on and which it adds (RFC 9110 §7.6): the
// hop-by-hop fields stay on their own connection both ways; X-Forwarded-For,
// -Proto, -Host and Via tell the upstream who asked through whom.
#pragma once

#include "executors/flexilib.h"

#include <httplib.h>

#include <span>
#include <string>
#include <string_view>

namespace flexilib::upstream {

// Who asked and how: what the X-Forwarded-* fields say.
struct ClientFacts {
  std::string_view address;      // the client's IP, without port
  std::string_view http_version; // "HTTP/1.1" as the client sent it
};

// A field that belongs to one connection only: Connection, Keep-Alive, TE,
// Transfer-Encoding, Upgrade, Proxy-* (Proxy-Connection too) and every field the
// message's Connection fields name (`connection_names`, from connection_named_fields).
bool is_hop_by_hop(std::string_view name, std::string_view connection_names);

// The tokens of every Connection field, lower-cased and joined by ',' (",close,x-a,"),
// ready for is_hop_by_hop.
std::string connection_named_fields(const httplib::Headers &headers);

// "a, b" + "c" -> "a, b, c"; "" + "c" -> "c". Used for X-Forwarded-For and Via.
std::string append_to_list(std::string_view existing, std::string_view item);

// "1.1 flexilib" for "HTTP/1.1": the Via entry for a message of that version.
std::string via_entry(std::string_view http_version);

// The client's header fields as sent, to the upstream: hop-by-hop fields, Expect
// (the body is already read) and the framing fields (the client library frames the
// body anew) dropped; Host passed through unchanged; X-Forwarded-For appended to,
// X-Forwarded-Proto and X-Forwarded-Host set, Via appended to.
httplib::Headers upstream_request_headers(std::span<const flexilib_header> client_headers,
                                          const ClientFacts &client);

// The upstream's response fields, to the client: hop-by-hop fields and
// Content-Length dropped (the server frames the body it sends; a HEAD answer keeps
// the upstream's), Via appended to.
httplib::Headers client_response_headers(const httplib::Headers &upstream_headers,
                                         std::string_view upstream_http_version, bool head_request);

} // namespace flexilib::upstream

// What a route target answers, before the server frames and writes it
// (server/response_writer): status, reason, fields and body. A handler's answer is
// referred to where it lies (the library's memory lasts until request_deinit, after
// the response is written), so serving it copies nothing; what the server makes
// itself (an error page, a Lambda's answer) is kept in the message's own storage.
#pragma once

#include "executors/flexilib.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flexilib::server {

struct ResponseMessage {
  ResponseMessage() = default;
  // The views may point into the message's own storage: it never moves.
  ResponseMessage(const ResponseMessage &) = delete;
  ResponseMessage &operator=(const ResponseMessage &) = delete;

  int status = 0;          // 0: no answer here (the target wrote to the client itself)
  std::string_view reason; // empty: the standard phrase of `status`
  std::string_view content_type = "text/plain";
  // Fields in the order given; Content-Type and the framing fields among them
  // (Content-Length, Transfer-Encoding, Connection) are the writer's, never sent.
  const flexilib_header *fields = nullptr; // a handler's, already checked
  size_t field_count = 0;
  std::vector<std::pair<std::string, std::string>> owned_fields; // the server's own
  std::string_view body;

  std::string owned_body; // storage for `body` when the server made it
  std::string owned_content_type;

  // Forgets everything, for an answer the server makes instead (a 500 for a
  // response that turned out invalid).
  void clear() {
    status = 0;
    reason = {};
    content_type = "text/plain";
    fields = nullptr;
    field_count = 0;
    owned_fields.clear();
    body = {};
    owned_body.clear();
    owned_content_type.clear();
  }
  void set_owned_body(std::string text) {
    owned_body = std::move(text);
    body = owned_body;
  }
  void set_owned_content_type(std::string type) {
    owned_content_type = std::move(type);
    content_type = owned_content_type;
  }
};

} // namespace flexilib::server

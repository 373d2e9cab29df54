// Marks the serving thread as running a handler, from construction to destruction:
// the crash page (process/) and the handler deadline (HANDLER_TIMEOUT_MS) read it.
#pragma once

#include "targets/exchange.hpp"

namespace flexilib::targets {

class HandlerWindow {
public:
  HandlerWindow(Exchange &exchange, const loader::Library &library);
  ~HandlerWindow();
  HandlerWindow(const HandlerWindow &) = delete;
  HandlerWindow &operator=(const HandlerWindow &) = delete;

private:
  Exchange &exchange_;
};

} // namespace flexilib::targets

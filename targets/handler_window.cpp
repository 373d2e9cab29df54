// Telling the crash page and the housekeeper which handler a thread runs.
#include "targets/handler_window.hpp"

namespace flexilib::targets {

HandlerWindow::HandlerWindow(Exchange &exchange, const loader::Library &library)
    : exchange_(exchange) {
  const httplib::Request &request = exchange.request;
  if (exchange.crash_page)
    exchange.crash_page->enter(exchange.thread.index, request.method, request.target,
                               exchange.route, library.path(), library.generation());
  exchange.thread.enter_handler(
      exchange.connection,
      {request.method, request.target, exchange.route, library.path(), library.generation()});
}

HandlerWindow::~HandlerWindow() {
  exchange_.thread.leave_handler();
  if (exchange_.crash_page) exchange_.crash_page->leave(exchange_.thread.index);
}

} // namespace flexilib::targets

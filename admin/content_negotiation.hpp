// Choosing between the dashboard page and JSON from a request's Accept header.
#pragma once

#include <string_view>

namespace flexilib::admin {

// A browser asks for text/html by name ("text/html,application/xhtml+xml,...,*/*;q=0.8");
// curl sends "*/*" and scripts "application/json" or nothing. So: HTML only when
// text/html (or application/xhtml+xml) is named with a q above 0 and not below the q
// of application/json (or application/*) when that is named too. A wildcard alone
// keeps JSON, the answer every existing client expects.
bool prefers_html(std::string_view accept);

} // namespace flexilib::admin

// Whether a proxy.ini target text can make a route target, for the config parser,
// which must refuse a bad line before any target is made. Kept apart from the
// factory so that the parser (and its fuzzer) does not include the targets.
#pragma once

#include <string>
#include <string_view>

namespace flexilib::targets {

// Why the target text cannot make a target (the message a config error carries);
// empty when it can. A library is not opened here.
std::string target_problem(std::string_view target);

} // namespace flexilib::targets

// Which kind of route target a proxy.ini target text names: the one decision that
// reads the text's form ("http://...", "lambda:...", "cloudflare:...", else a library
// path). The factory and the config check switch on it, so a new kind that one of
// them misses is a -Wswitch warning, not a silent fall-through.
#pragma once

#include <string_view>

namespace flexilib::targets {

enum class TargetKind { flexilib_library, upstream, lambda, cloudflare };

TargetKind target_kind(std::string_view target);

} // namespace flexilib::targets

// Standard base64 (RFC 4648 section 4), as AWS uses it: API Gateway's binary bodies
// and the Invoke API's X-Amz-Log-Result.
#pragma once

#include <string>
#include <string_view>

namespace flexilib::faas {

std::string base64_encode(std::string_view bytes);

// Decodes into `bytes` (padding optional); false on any character outside the alphabet.
bool base64_decode(std::string_view text, std::string &bytes);

} // namespace flexilib::faas

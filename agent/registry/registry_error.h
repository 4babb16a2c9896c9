// Turning a registry's error response into a Status: the HTTP status and the distribution
// error JSON ({"errors":[{"code":"MANIFEST_UNKNOWN","message":…}]}) decide the code, so
// callers branch on codes rather than on text.
#pragma once

#include <string>
#include <string_view>

#include "registry/http_client.h"
#include "util/status.h"

namespace promote::registry {

// `what` says what was attempted, e.g. "GET manifest 127.0.0.1:5000/shop/app:v1". The first
// error code of the body, when it is spelled as the distribution spec spells codes (upper case,
// digits, '_'), is kept as the Status's reason(): "MANIFEST_UNKNOWN" (the tag or digest is not in
// the repository) and "NAME_UNKNOWN" (no such repository) are both kNotFound, and callers that
// must tell them apart branch on it. Never throws, whatever the body.
Status RegistryErrorFromResponse(const HttpResponse& response, std::string_view what);

// True for responses worth retrying: 408, 429, 5xx.
bool IsRetryableStatus(long status);

}  // namespace promote::registry

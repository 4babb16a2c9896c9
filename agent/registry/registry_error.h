// Turning a registry's error response into a Status: the HTTP status and the distribution
// error JSON ({"errors":[{"code":"MANIFEST_UNKNOWN","message":…}]}) decide the code, so
// callers branch on codes rather than on text.
#pragma once

#include <string>
#include <string_view>

#include "registry/http_client.h"
#include "util/status.h"

namespace promote::registry {

// `what` says what was attempted, e.g. "GET manifest 127.0.0.1:5000/shop/app:v1".
Status RegistryErrorFromResponse(const HttpResponse& response, std::string_view what);

// True for responses worth retrying: 408, 429, 5xx.
bool IsRetryableStatus(long status);

}  // namespace promote::registry

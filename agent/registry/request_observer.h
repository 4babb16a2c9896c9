// RequestObserver: told about each HTTP request a RegistryClient sends and each token it needs, so
// a process can count them (the agent exports them as metrics) without this module knowing how.
// Implementations must be cheap and thread-safe: they are called from every transfer thread.
#pragma once

#include <string_view>

namespace promote::registry {

struct RequestEvent {
  std::string_view host;  // the registry host the client speaks to ("prod.registry:5000")
  long status = 0;        // the HTTP status; 0 when no response arrived (connect, TLS, reset, timeout)
  bool retry = false;     // a repetition of an earlier attempt (after a transient failure or a 401)
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnRequest(const RequestEvent& event) = 0;
  // A bearer token was needed for `host`: `cached` when one held in the cache served.
  virtual void OnTokenLookup(std::string_view host, bool cached) = 0;
};

}  // namespace promote::registry

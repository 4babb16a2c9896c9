// HttpClient: HTTP/1.1 and HTTP/2 over libcurl. Connections are kept alive and reused between
// requests (per pooled handle); DNS and TLS sessions are shared by all threads using the client. It knows nothing about
// registries: requests in, responses or a transport error out. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/cancel.h"
#include "util/status.h"

namespace promote::registry {

struct TlsOptions {
  // Extra CA certificates (PEM file) trusted in addition to the system store.
  std::string ca_file;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // A small in-memory body (manifests, token forms). Ignored when body_reader is set.
  std::string_view body;
  // A streamed body: fills the buffer, returns bytes written, 0 at the end, or
  // kAbortUpload to fail the request. body_size must then be the exact length.
  std::function<size_t(char* buf, size_t len)> body_reader;
  int64_t body_size = -1;
  // A streamed response body: receives each chunk; returning false aborts the transfer.
  // Only used for 2xx responses; error bodies are always buffered (bounded) for parsing.
  std::function<bool(const char* data, size_t len)> body_sink;
  // A larger 2xx body fails the request; a non-2xx body is cut at kMaxErrorBodyBytes (the
  // response is returned with body_truncated set). The default suits answers whose body is not
  // read (upload steps, manifest PUTs); requests that read one (manifests, tag lists, tokens)
  // set their own bound.
  size_t max_body_bytes = 64 * 1024;
  // Follow up to 5 redirects (registries send blob GETs to storage), as DecideHop (origin.h)
  // allows: to HTTPS, or plain HTTP from loopback to loopback; never from HTTPS down to HTTP.
  // The Authorization header goes only to the request's own origin (scheme, host and port).
  bool follow_redirects = false;
};

inline constexpr size_t kAbortUpload = static_cast<size_t>(-1);

// Error bodies are kept up to this size: enough for any registry's error JSON, and bounded
// whatever a hostile registry sends (they are parsed whole).
inline constexpr size_t kMaxErrorBodyBytes = 64 * 1024;

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;                                  // buffered body (empty when streamed to a sink)
  bool body_truncated = false;                       // buffered body exceeded its bound (see HttpRequest)
  std::string redirect_url;                          // absolute Location of a 3xx response

  // First value of a header (name is case-insensitive), or "".
  std::string Header(std::string_view name) const;
  std::vector<std::string> Headers(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(TlsOptions tls = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. Transport failures (connect, TLS, reset, timeout) are kUnavailable
  // naming the method and URL; a cancelled token gives kCancelled. HTTP error statuses are
  // not errors here: the response is returned for the caller to interpret.
  Result<HttpResponse> Do(const HttpRequest& request, const CancelToken* cancel = nullptr);

 private:
  Result<HttpResponse> DoOnce(const HttpRequest& request, const CancelToken* cancel);
  struct Shared;
  std::unique_ptr<Shared> shared_;
  TlsOptions tls_;
};

}  // namespace promote::registry

#include "registry/http_client.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <cctype>
#include <cstdlib>

#include "registry/origin.h"

namespace promote::registry {
namespace {

std::string LowerHeaderName(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

struct Transfer {
  const HttpRequest* request;
  HttpResponse* response;
  const CancelToken* cancel;
  bool sink_aborted = false;
  bool reader_aborted = false;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response starts (after a redirect or 100 Continue): forget the previous headers.
    // The status is noted now so OnBody knows whether to stream or buffer the body.
    t->response->headers.clear();
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) t->response->status = std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace(LowerHeaderName(Trim(line.substr(0, colon))), Trim(line.substr(colon + 1)));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->request->body_sink && t->response->status >= 200 && t->response->status < 300) {
    if (!t->request->body_sink(data, len)) {
      t->sink_aborted = true;
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    return len;
  }
  bool success = t->response->status >= 200 && t->response->status < 300;
  size_t limit = success ? t->request->max_body_bytes : std::min(t->request->max_body_bytes, kMaxErrorBodyBytes);
  if (t->response->body.size() + len > limit) {
    // An error body is only read for its message: keep what fits and stop the transfer; the
    // response (status, headers) is still returned, marked truncated.
    if (!success) t->response->body.append(data, limit - t->response->body.size());
    t->response->body_truncated = true;
    return 0;
  }
  t->response->body.append(data, len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t got = t->request->body_reader(buf, size * n);
  if (got == kAbortUpload) {
    t->reader_aborted = true;
    return CURL_READFUNC_ABORT;
  }
  return got;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return (t->cancel != nullptr && t->cancel->cancelled()) ? 1 : 0;
}

// What every transfer sets: the URL, timeouts, the callbacks into `t`, buffer sizes. Redirects
// are not followed here: Do() follows them, checking each target first.
void SetTransferOptions(CURL* h, Transfer* t) {
  curl_easy_setopt(h, CURLOPT_URL, t->request->url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
  // A transfer slower than 1 KiB/s for 60 s is stalled: fail it so a retry can take over.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "promote/" PROMOTE_VERSION);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024L);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
}

// The method, headers and body of `request`. Returns the header list, which the caller frees
// after the transfer.
curl_slist* SetRequest(CURL* h, const HttpRequest& request, Transfer* t) {
  curl_slist* hdrs = nullptr;
  for (const auto& hd : request.headers) hdrs = curl_slist_append(hdrs, hd.c_str());
  hdrs = curl_slist_append(hdrs, "Expect:");  // no 100-continue round trip before uploads
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

  const std::string& m = request.method;
  if (m == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (m == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.body_reader) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, t);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
  } else {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  return hdrs;
}

// A transfer curl did not complete, as a Status, or the response itself when the only trouble was
// an oversized error body (cut at kMaxErrorBodyBytes; the status says what went wrong).
Result<HttpResponse> TransferFailure(CURLcode rc, const Transfer& t) {
  const HttpRequest& request = *t.request;
  const HttpResponse& response = *t.response;
  std::string where = request.method + " " + UrlForMessages(request.url);
  if (rc == CURLE_ABORTED_BY_CALLBACK && t.cancel != nullptr && t.cancel->cancelled()) {
    return Status(Code::kCancelled, where + ": cancelled");
  }
  if (t.sink_aborted) return Status(Code::kUnavailable, where + ": download stopped by the receiver");
  if (t.reader_aborted) return Status(Code::kUnavailable, where + ": upload source failed");
  const bool error_status = response.status < 200 || response.status >= 300;
  if (rc == CURLE_WRITE_ERROR && response.body_truncated && error_status) return response;
  if (rc == CURLE_WRITE_ERROR && response.body_truncated) {
    return RegistryError(where + ": response body larger than " + std::to_string(request.max_body_bytes) + " bytes");
  }
  if (rc == CURLE_PEER_FAILED_VERIFICATION) {
    return Unavailable(where + ": TLS certificate not trusted (" + std::string(curl_easy_strerror(rc)) +
                       "); trust its CA with --ca-file");
  }
  return Unavailable(where + ": " + curl_easy_strerror(rc));
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  auto it = headers.find(LowerHeaderName(name));
  return it == headers.end() ? std::string() : it->second;
}

std::vector<std::string> HttpResponse::Headers(std::string_view name) const {
  std::vector<std::string> out;
  auto range = headers.equal_range(LowerHeaderName(name));
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

// DNS cache and TLS sessions shared by every easy handle of this client, plus a pool of idle
// easy handles. Connections are not shared through the share object (libcurl does not support
// that across concurrent threads); each pooled handle keeps its own live connections, so a
// handle taken from the pool reuses the connections its earlier requests opened.
struct HttpClient::Shared {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  std::mutex pool_mu;
  std::vector<CURL*> idle;

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Shared*>(user)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) { static_cast<Shared*>(user)->locks[data].unlock(); }

  Shared() {
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Shared::Lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Shared::Unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Shared() {
    for (CURL* h : idle) curl_easy_cleanup(h);
    curl_share_cleanup(share);
    if (ca_store != nullptr) X509_STORE_free(ca_store);
  }

  // The trust store of every TLS connection: the system's roots plus TlsOptions::ca_file, parsed
  // once per client. Left to itself libcurl re-reads the whole system bundle for each new
  // connection of each handle, which was most of the CPU a short promotion spent.
  std::once_flag ca_once;
  X509_STORE* ca_store = nullptr;
  bool ca_ok = false;
  std::string ca_file;

  X509_STORE* TrustStore() {
    std::call_once(ca_once, [this] {
      ca_store = X509_STORE_new();
      if (ca_store == nullptr) return;
      ca_ok = X509_STORE_set_default_paths(ca_store) == 1;
      if (ca_ok && !ca_file.empty()) ca_ok = X509_STORE_load_file(ca_store, ca_file.c_str()) == 1;
    });
    return ca_ok ? ca_store : nullptr;
  }

  static CURLcode OnSslContext(CURL*, void* ssl_ctx, void* user) {
    X509_STORE* store = static_cast<Shared*>(user)->TrustStore();
    if (store == nullptr) return CURLE_SSL_CACERT_BADFILE;
    SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), store);
    return CURLE_OK;
  }
  CURL* Acquire() {
    std::lock_guard lock(pool_mu);
    if (idle.empty()) return curl_easy_init();
    CURL* h = idle.back();
    idle.pop_back();
    curl_easy_reset(h);
    return h;
  }
  void Release(CURL* h) {
    std::lock_guard lock(pool_mu);
    idle.push_back(h);
  }
};

HttpClient::HttpClient(TlsOptions tls) : shared_(std::make_unique<Shared>()), tls_(std::move(tls)) {
  shared_->ca_file = tls_.ca_file;
}
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Do(const HttpRequest& request, const CancelToken* cancel) {
  if (!request.follow_redirects) return DoOnce(request, cancel);
  std::string where = request.method + " " + UrlForMessages(request.url);
  // Credentials belong to the origin (scheme, host and port) the request was made for.
  PROMOTE_ASSIGN_OR_RETURN(Origin first, ParseOrigin(request.url));
  HttpRequest current = request;
  for (int hop = 0;; ++hop) {
    PROMOTE_ASSIGN_OR_RETURN(HttpResponse response, DoOnce(current, cancel));
    bool redirect = response.status == 301 || response.status == 302 || response.status == 303 ||
                    response.status == 307 || response.status == 308;
    if (!redirect) return response;
    if (response.redirect_url.empty()) return RegistryError(where + ": redirect without a Location");
    if (hop >= 5) return RegistryError(where + ": more than 5 redirects");
    auto to = ParseOrigin(response.redirect_url);
    auto from = ParseOrigin(current.url);
    Hop decision = to.ok() && from.ok() ? DecideHop(*from, *to) : Hop::kRefuse;
    if (decision == Hop::kRefuse) {
      return RegistryError(where + ": the registry redirected to " + UrlForMessages(response.redirect_url) +
                           "; refused: redirects are followed only to HTTPS (or plain HTTP from loopback to "
                           "loopback), never from HTTPS to HTTP");
    }
    if (*to != first) {
      // Not for wherever the registry sends us (pre-signed storage URLs, another port): drop the
      // Authorization header for good, also should a later hop come back.
      std::vector<std::string> kept;
      for (const auto& hd : current.headers) {
        if (LowerHeaderName(hd.substr(0, hd.find(':'))) != "authorization") kept.push_back(hd);
      }
      current.headers = std::move(kept);
    }
    current.url = response.redirect_url;
  }
}

Result<HttpResponse> HttpClient::DoOnce(const HttpRequest& request, const CancelToken* cancel) {
  CURL* h = shared_->Acquire();
  if (h == nullptr) return Internal("curl_easy_init failed");
  struct Releaser {
    Shared* s;
    CURL* h;
    curl_slist* headers = nullptr;
    ~Releaser() {
      curl_slist_free_all(headers);
      s->Release(h);
    }
  } releaser{shared_.get(), h};

  HttpResponse response;
  Transfer t{&request, &response, cancel};
  curl_easy_setopt(h, CURLOPT_SHARE, shared_->share);
  SetTransferOptions(h, &t);
  // Trust comes from the shared store (see Shared::TrustStore), not from files curl would read.
  curl_easy_setopt(h, CURLOPT_CAINFO, nullptr);
  curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
  curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &Shared::OnSslContext);
  curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, shared_.get());
  releaser.headers = SetRequest(h, request, &t);

  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = status;
  if (status >= 300 && status < 400) {
    char* location = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
      response.redirect_url = location;
    }
  }
  if (rc != CURLE_OK) return TransferFailure(rc, t);
  return response;
}

}  // namespace promote::registry

#include "registry/registry_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "oci/media_types.h"
#include "oci/reference.h"
#include "registry/registry_error.h"
#include "registry/url.h"

namespace promote::registry {
namespace {

constexpr std::string_view kOctetStream = "Content-Type: application/octet-stream";

std::string ApiHost(const std::string& host) {
  return host == oci::kDockerHub ? std::string(oci::kDockerHubApiHost) : host;
}

}  // namespace

RegistryClient::RegistryClient(std::string host, HttpClient* http, std::optional<Credentials> credentials,
                               RegistryOptions options, std::shared_ptr<HostLimits> limits)
    : host_(std::move(host)),
      api_host_(ApiHost(host_)),
      http_(http),
      options_(std::move(options)),
      auth_(host_, http, std::move(credentials), options_.observer.get()),
      limits_(limits != nullptr ? std::move(limits)
                                : std::make_shared<HostLimits>(options_.max_concurrent_requests)) {}

Status RegistryClient::EnsurePinged(const CancelToken* cancel) {
  std::lock_guard lock(ping_mu_);
  if (pinged_) return OkStatus();
  bool http_allowed = oci::IsLoopbackRegistry(host_) ||
                      std::find(options_.plain_http_registries.begin(), options_.plain_http_registries.end(), host_) !=
                          options_.plain_http_registries.end();
  // Loopback registries are usually plain HTTP (as docker assumes): try that first there.
  std::vector<std::string> schemes = {"https"};
  if (oci::IsLoopbackRegistry(host_)) {
    schemes = {"http", "https"};
  } else if (http_allowed) {
    schemes.push_back("http");
  }
  Status last;
  for (const auto& scheme : schemes) {
    std::string base = scheme + "://" + api_host_;
    HttpRequest req;
    req.url = base + "/v2/";
    req.max_body_bytes = 64 * 1024;
    auto resp = http_->Do(req, cancel);
    NoteSent(resp, false);
    if (!resp.ok()) {
      last = resp.status();
      if (resp.status().code() == Code::kCancelled) return last;
      // A server that speaks TLS with an untrusted certificate must not be retried over plain
      // HTTP: that would hide the real problem behind a protocol error.
      if (resp.status().message().find("TLS certificate not trusted") != std::string::npos) break;
      continue;
    }
    if (resp->status == 200) {
      PROMOTE_RETURN_IF_ERROR(auth_.Configure("", base));
    } else if (resp->status == 401) {
      PROMOTE_RETURN_IF_ERROR(auth_.Configure(resp->Header("WWW-Authenticate"), base));
    } else if (resp->status == 400 && scheme == "http") {
      // A TLS server answering a plain-HTTP request ("Client sent an HTTP request to an HTTPS server").
      last = RegistryError("registry " + host_ + " answered HTTP 400 to plain HTTP");
      continue;
    } else if (resp->status == 404) {
      return RegistryError("registry " + host_ + " does not speak the registry API (GET /v2/ answered 404)");
    } else {
      last = ErrorFrom(*resp, "registry " + host_ + " GET /v2/");
      continue;
    }
    PROMOTE_ASSIGN_OR_RETURN(origin_, ParseOrigin(base));
    base_url_ = base;
    pinged_ = true;
    return OkStatus();
  }
  std::string hint = http_allowed ? "" : " (plain HTTP is only used for loopback or registries allowed explicitly)";
  return Status(last.code() == Code::kOk ? Code::kUnavailable : last.code(),
                "cannot reach registry " + host_ + ": " + last.message() + hint);
}

Status RegistryClient::ErrorFrom(const HttpResponse& response, std::string_view what) const {
  Status st = RegistryErrorFromResponse(response, what);
  // With an account per repository namespace, "check the credentials" needs to say which.
  if (st.code() == Code::kUnauthenticated || st.code() == Code::kPermissionDenied) {
    return Status(st.code(), st.message() + " (signed in " + auth_.Account() + ")").WithReason(st.reason());
  }
  return st;
}

void RegistryClient::NoteRetryAfter(const HttpResponse& response) {
  auto after = ParseRetryAfter(response.Header("Retry-After"));
  if (after) limits_->PauseFor(std::min(*after, options_.retry.max_retry_after));
}

void RegistryClient::NoteSent(const Result<HttpResponse>& response, bool retry) {
  ++requests_sent_;
  if (options_.observer) options_.observer->OnRequest({host_, response.ok() ? response->status : 0, retry});
}

Result<HttpResponse> RegistryClient::Send(HttpRequest request, const Scopes& scopes, const CancelToken* cancel,
                                          bool retryable) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  // Credentials belong to the registry's origin (scheme, host and port): a request to anywhere
  // else (an upload Location on another host or port) goes without them, and never in clear
  // off loopback (Follow refuses such URLs earlier, with a better message; this is the backstop).
  auto to = ParseOrigin(request.url);
  if (!to.ok() || DecideHop(origin_, *to) == Hop::kRefuse) {
    return RegistryError(request.method + " " + UrlForMessages(request.url) + ": refused: not the registry's " +
                         origin_.str() + ", and not HTTPS (or plain HTTP from loopback to loopback)");
  }
  const bool with_credentials = *to == origin_;
  const std::vector<std::string> base_headers = request.headers;
  bool refreshed_auth = false;
  std::chrono::milliseconds waited{0};
  for (int attempt = 1;; ++attempt) {
    if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled");
    limits_->WaitForPause(cancel);
    Secret authorization;
    if (with_credentials) {
      PROMOTE_ASSIGN_OR_RETURN(authorization, auth_.Authorization(scopes, cancel));
    }
    request.headers = base_headers;
    if (!authorization.empty()) request.headers.push_back("Authorization: " + std::string(authorization.reveal()));
    Result<HttpResponse> resp = [&] {
      HostLimits::Slot slot(*limits_);
      return http_->Do(request, cancel);
    }();
    NoteSent(resp, attempt > 1 || refreshed_auth);
    if (!authorization.empty()) WipeString(request.headers.back());

    // Only the registry's own challenge may change how we authenticate to it.
    if (resp.ok() && resp->status == 401 && !refreshed_auth && with_credentials) {
      // Tokens can expire early or lack a scope: learn the challenge again and retry once.
      refreshed_auth = true;
      if (auto challenge = resp->Header("WWW-Authenticate"); !challenge.empty()) {
        PROMOTE_RETURN_IF_ERROR(auth_.Configure(challenge, base_url_));
      }
      auth_.Invalidate(scopes);
      // A streamed body cannot be sent twice: the stream is spent. Say so at once, so the
      // caller restarts the upload from its source (with the new token) instead of this request
      // waiting for bytes that will never come.
      if (request.body_reader) {
        return Unavailable(request.method + " " + request.url.substr(0, request.url.find('?')) +
                           ": the registry refused the token during a streamed upload (HTTP 401); the upload "
                           "must be restarted");
      }
      --attempt;
      continue;
    }
    // A 429 with Retry-After pauses every request to this host, including the ones that cannot be
    // re-sent here (a streamed upload): whoever restarts that upload waits for the pause first.
    if (resp.ok() && resp->status == 429) NoteRetryAfter(*resp);
    bool transient = resp.ok() ? IsRetryableStatus(resp->status) : resp.status().code() == Code::kUnavailable;
    if (!transient || !retryable || attempt >= options_.retry.max_attempts) return resp;

    std::chrono::milliseconds wait = options_.retry.Backoff(attempt);
    if (resp.ok()) {
      if (auto after = ParseRetryAfter(resp->Header("Retry-After"))) wait = std::min(*after, options_.retry.max_retry_after);
    }
    if (waited + wait > options_.retry.max_total_wait) return resp;
    waited += wait;
    spdlog::debug("retrying {} {} on {} (attempt {} after {} ms)", request.method,
                  request.url.substr(0, request.url.find('?')),
                  resp.ok() ? "HTTP " + std::to_string(resp->status) : resp.status().message(), attempt + 1,
                  wait.count());
    SleepUnlessCancelled(wait, cancel);
  }
}

Result<oci::Manifest> RegistryClient::GetManifest(const std::string& repo, const std::string& identifier,
                                                  const Scopes& scopes, const CancelToken* cancel) {
  std::string what = "GET manifest " + host_ + "/" + repo + (identifier.rfind("sha256:", 0) == 0 ? "@" : ":") +
                     identifier;
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.url = Url("/v2/" + repo + "/manifests/" + identifier);
  req.headers.push_back("Accept: " + std::string(oci::media_type::kManifestAccept));
  req.max_body_bytes = oci::kMaxManifestBytes;
  auto resp = Send(req, scopes, cancel, true);
  if (!resp.ok()) {
    if (resp.status().message().find("larger than") != std::string::npos) {
      return RegistryError(what + ": manifest larger than 4 MiB refused");
    }
    return resp.status().WithContext(what);
  }
  if (resp->status != 200) return ErrorFrom(*resp, what);
  auto manifest = oci::ParseManifest(std::move(resp->body), resp->Header("Content-Type"));
  if (!manifest.ok()) return RegistryError(what + ": " + manifest.status().message());
  if (identifier.rfind("sha256:", 0) == 0 && manifest->digest.str() != identifier) {
    return DataLoss(what + ": registry served bytes whose digest is " + manifest->digest.str());
  }
  std::string claimed = resp->Header("Docker-Content-Digest");
  if (!claimed.empty() && claimed != manifest->digest.str()) {
    return DataLoss(what + ": registry claims digest " + claimed + " but the bytes hash to " +
                    manifest->digest.str());
  }
  return manifest;
}

Result<std::optional<ManifestHead>> RegistryClient::HeadManifest(const std::string& repo,
                                                                 const std::string& identifier, const Scopes& scopes,
                                                                 const CancelToken* cancel) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.method = "HEAD";
  req.url = Url("/v2/" + repo + "/manifests/" + identifier);
  req.headers.push_back("Accept: " + std::string(oci::media_type::kManifestAccept));
  std::string what = "HEAD manifest " + host_ + "/" + repo + " " + identifier;
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, true));
  if (resp.status == 404) return std::optional<ManifestHead>();
  if (resp.status != 200) return ErrorFrom(resp, what);
  std::string digest_header = resp.Header("Docker-Content-Digest");
  if (digest_header.empty()) {
    // Some registries omit the header on HEAD: fall back to GET, which hashes the bytes.
    PROMOTE_ASSIGN_OR_RETURN(oci::Manifest m, GetManifest(repo, identifier, scopes, cancel));
    return std::optional<ManifestHead>(ManifestHead{m.digest, m.media_type, static_cast<int64_t>(m.bytes.size())});
  }
  auto digest = oci::Digest::Parse(digest_header);
  if (!digest.ok()) return RegistryError(what + ": bad Docker-Content-Digest: " + digest.status().message());
  ManifestHead head{*digest, resp.Header("Content-Type"), 0};
  std::string len = resp.Header("Content-Length");
  if (!len.empty() && len.find_first_not_of("0123456789") == std::string::npos && len.size() < 19) {
    head.size = std::stoll(len);
  }
  return std::optional<ManifestHead>(head);
}

Result<HttpResponse> RegistryClient::SendManifest(const std::string& repo, const std::string& identifier,
                                                  const oci::Manifest& manifest, const Scopes& scopes,
                                                  const CancelToken* cancel) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.method = "PUT";
  req.url = Url("/v2/" + repo + "/manifests/" + identifier);
  req.headers.push_back("Content-Type: " + manifest.media_type);
  req.body = manifest.bytes;
  std::string what = "PUT manifest " + host_ + "/" + repo + " " + identifier;
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, true));
  if (resp.status != 201 && resp.status != 200) return ErrorFrom(resp, what);
  std::string stored = resp.Header("Docker-Content-Digest");
  if (!stored.empty() && stored != manifest.digest.str()) {
    return DataLoss(what + ": registry stored digest " + stored + " instead of " + manifest.digest.str());
  }
  return resp;
}

Status RegistryClient::PutManifest(const std::string& repo, const std::string& identifier,
                                   const oci::Manifest& manifest, const Scopes& scopes, const CancelToken* cancel) {
  return SendManifest(repo, identifier, manifest, scopes, cancel).status();
}

Result<bool> RegistryClient::PutReferrerManifest(const std::string& repo, const oci::Manifest& manifest,
                                                 const Scopes& scopes, const CancelToken* cancel) {
  if (!manifest.subject) {
    return InvalidArgument("referrer manifest " + manifest.digest.str() + " has no subject");
  }
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, SendManifest(repo, manifest.digest.str(), manifest, scopes, cancel));
  return resp.Header("OCI-Subject") == manifest.subject->digest.str();
}

Result<bool> RegistryClient::BlobExists(const std::string& repo, const oci::Digest& digest, const Scopes& scopes,
                                        const CancelToken* cancel) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.method = "HEAD";
  req.url = Url("/v2/" + repo + "/blobs/" + digest.str());
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, true));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return ErrorFrom(resp, "HEAD blob " + host_ + "/" + repo + "@" + digest.str());
}

Status RegistryClient::GetBlob(const std::string& repo, const oci::Digest& digest, const BodySink& sink,
                               const Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.url = Url("/v2/" + repo + "/blobs/" + digest.str());
  req.follow_redirects = true;
  req.body_sink = sink;
  req.max_body_bytes = 64 * 1024;  // only error bodies are buffered
  std::string what = "GET blob " + host_ + "/" + repo + "@" + digest.str();
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, false));
  if (resp.status != 200) return ErrorFrom(resp, what);
  return OkStatus();
}

Result<std::string> RegistryClient::GetBlobBytes(const std::string& repo, const oci::Digest& digest,
                                                 size_t max_bytes, const Scopes& scopes, const CancelToken* cancel) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.url = Url("/v2/" + repo + "/blobs/" + digest.str());
  req.follow_redirects = true;
  req.max_body_bytes = max_bytes;
  std::string what = "GET blob " + host_ + "/" + repo + "@" + digest.str();
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, true));
  if (resp.status != 200) return ErrorFrom(resp, what);
  if (oci::Digest::Of(resp.body) != digest) return DataLoss(what + ": content does not match its digest");
  return std::move(resp.body);
}

Result<UploadSession> RegistryClient::StartUpload(const std::string& repo, const std::optional<oci::Digest>& digest,
                                                  const std::string& mount_from, const Scopes& scopes,
                                                  const CancelToken* cancel) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.method = "POST";
  std::string url = Url("/v2/" + repo + "/blobs/uploads/");
  if (digest && !mount_from.empty()) {
    url = AppendQuery(url, "mount", digest->str());
    url = AppendQuery(url, "from", mount_from);
  }
  req.url = url;
  std::string what = "start upload to " + host_ + "/" + repo;
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, true));
  UploadSession session;
  if (resp.status == 201 && digest && !mount_from.empty()) {
    session.mounted = true;
    return session;
  }
  if (resp.status != 202) return ErrorFrom(resp, what);
  std::string location = resp.Header("Location");
  if (location.empty()) return RegistryError(what + ": registry sent no upload Location");
  PROMOTE_ASSIGN_OR_RETURN(session.location, Follow(location, what));
  std::string min_chunk = resp.Header("OCI-Chunk-Min-Length");
  if (!min_chunk.empty() && min_chunk.find_first_not_of("0123456789") == std::string::npos) {
    // Digits only; more than 12 of them (a terabyte) means "more than any blob": one chunk.
    int64_t announced = min_chunk.size() <= 12 ? std::stoll(min_chunk) : (int64_t{1} << 40);
    if (announced > 0) session.min_chunk = std::max(announced, kMinAnnouncedChunk);
  }
  return session;
}

Status RegistryClient::UploadMonolithic(const UploadSession& session, const oci::Digest& digest, int64_t size,
                                        const BodyReader& reader, const Scopes& scopes, const CancelToken* cancel) {
  HttpRequest req;
  req.method = "PUT";
  req.url = AppendQuery(session.location, "digest", digest.str());
  req.headers.emplace_back(kOctetStream);
  req.body_reader = reader;
  req.body_size = size;
  std::string what = "upload blob " + digest.str() + " to " + host_;
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, false));
  if (resp.status != 201) return ErrorFrom(resp, what);
  return OkStatus();
}

Status RegistryClient::UploadChunked(const UploadSession& session, const oci::Digest& digest, int64_t size,
                                     int64_t chunk_size, const BodyReader& reader, const Scopes& scopes,
                                     const CancelToken* cancel) {
  std::string what = "chunked upload of blob " + digest.str() + " to " + host_;
  if (chunk_size < kMinUploadChunk) {
    return InvalidArgument(what + ": chunk size " + std::to_string(chunk_size) + " is below the minimum of " +
                           std::to_string(kMinUploadChunk) + " bytes");
  }
  chunk_size = std::max(chunk_size, session.min_chunk);
  std::string location = session.location;
  int64_t offset = 0;
  while (offset < size) {
    int64_t len = std::min(chunk_size, size - offset);
    int64_t sent = 0;
    HttpRequest req;
    req.method = "PATCH";
    req.url = location;
    req.headers.emplace_back(kOctetStream);
    req.headers.push_back("Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + len - 1));
    req.body_size = len;
    req.body_reader = [&](char* buf, size_t want) -> size_t {
      size_t allowed = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(want), len - sent));
      if (allowed == 0) return 0;
      size_t got = reader(buf, allowed);
      if (got != kAbortUpload) sent += static_cast<int64_t>(got);
      return got;
    };
    PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, false));
    if (resp.status != 202) return ErrorFrom(resp, what);
    std::string next = resp.Header("Location");
    if (next.empty()) return RegistryError(what + ": registry sent no Location after a chunk");
    PROMOTE_ASSIGN_OR_RETURN(location, Follow(next, what));
    offset += len;
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = AppendQuery(location, "digest", digest.str());
  put.headers.emplace_back(kOctetStream);
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(put, scopes, cancel, false));
  if (resp.status != 201) return ErrorFrom(resp, what);
  return OkStatus();
}

Status RegistryClient::PushBlobBytes(const std::string& repo, const std::string& bytes, const Scopes& scopes,
                                     const CancelToken* cancel) {
  oci::Digest digest = oci::Digest::Of(bytes);
  // The bytes are in memory, so a transient failure (5xx, 429, a reset) is retried with a fresh
  // upload session: signatures and records must not fail a promotion that the same fault would
  // not fail for an image blob.
  Status last;
  std::chrono::milliseconds waited{0};
  for (int attempt = 1;; ++attempt) {
    PROMOTE_ASSIGN_OR_RETURN(bool exists, BlobExists(repo, digest, scopes, cancel));
    if (exists) return OkStatus();
    last = [&]() -> Status {
      PROMOTE_ASSIGN_OR_RETURN(UploadSession session, StartUpload(repo, std::nullopt, "", scopes, cancel));
      size_t offset = 0;
      BodyReader reader = [&](char* buf, size_t len) -> size_t {
        size_t n = std::min(len, bytes.size() - offset);
        std::copy_n(bytes.data() + offset, n, buf);
        offset += n;
        return n;
      };
      return UploadMonolithic(session, digest, static_cast<int64_t>(bytes.size()), reader, scopes, cancel);
    }();
    if (last.ok() || last.code() != Code::kUnavailable || attempt >= options_.retry.max_attempts) return last;
    std::chrono::milliseconds wait = options_.retry.Backoff(attempt);
    if (waited + wait > options_.retry.max_total_wait) return last;
    waited += wait;
    spdlog::debug("retrying the upload of {} to {}/{} ({})", digest.str(), host_, repo, last.message());
    SleepUnlessCancelled(wait, cancel);
    if (cancel != nullptr && cancel->cancelled()) return Status(Code::kCancelled, "cancelled");
  }
}

Result<std::optional<oci::Manifest>> RegistryClient::GetReferrers(const std::string& repo,
                                                                  const oci::Digest& subject,
                                                                  const Scopes& scopes,
                                                                  const CancelToken* cancel,
                                                                  const std::string& artifact_type) {
  if (referrers_unsupported_.load()) return std::optional<oci::Manifest>();
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  HttpRequest req;
  req.url = Url("/v2/" + repo + "/referrers/" + subject.str());
  if (!artifact_type.empty()) req.url = AppendQuery(req.url, "artifactType", artifact_type);
  req.headers.push_back("Accept: " + std::string(oci::media_type::kOciIndex));
  req.max_body_bytes = oci::kMaxManifestBytes;
  std::string what = "GET referrers " + host_ + "/" + repo + "@" + subject.str();
  PROMOTE_ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scopes, cancel, true));
  if (resp.status == 404 || resp.status == 400 || resp.status == 405 || resp.status == 406) {
    referrers_unsupported_.store(true);
    return std::optional<oci::Manifest>();
  }
  if (resp.status != 200) return ErrorFrom(resp, what);
  auto index = oci::ParseManifest(std::move(resp.body), oci::media_type::kOciIndex);
  if (!index.ok()) return RegistryError(what + ": " + index.status().message());
  if (!index->is_index()) return RegistryError(what + ": the registry answered with something other than an index");
  return std::optional<oci::Manifest>(std::move(*index));
}

namespace {

// Collects the strings of the top-level "tags" array of one tags/list page without building the
// whole document: memory is the kept tags, not the page's JSON tree. Stops the parse when more
// than `max_tags` would be kept, or when the page nests deeper than anything a tag list does.
class TagsPageReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  TagsPageReader(std::vector<std::string>* tags, size_t max_tags) : tags_(tags), max_tags_(max_tags) {}

  bool too_many() const { return too_many_; }
  bool is_object() const { return top_is_object_; }

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool string(string_t& s) override {
    if (in_tags_ && depth_ == 2 && oci::ValidateTag(s).ok()) {
      if (tags_->size() >= max_tags_) {
        too_many_ = true;
        return false;
      }
      tags_->push_back(std::move(s));
    }
    return Value();
  }
  bool start_object(std::size_t) override {
    if (depth_ == 0) top_is_object_ = true;
    return Open(false);
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(depth_ == 1 && last_key_is_tags_); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) last_key_is_tags_ = k == "tags";
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool Value() {
    if (depth_ == 1) last_key_is_tags_ = false;
    return true;
  }
  bool Open(bool tags_array) {
    if (tags_array) in_tags_ = true;
    if (depth_ == 1) last_key_is_tags_ = false;
    return ++depth_ <= 16;
  }
  bool Close() {
    if (--depth_ == 1) in_tags_ = false;
    return true;
  }

  std::vector<std::string>* tags_;
  const size_t max_tags_;
  size_t depth_ = 0;
  bool top_is_object_ = false;
  bool last_key_is_tags_ = false;
  bool in_tags_ = false;
  bool too_many_ = false;
};

}  // namespace

Result<std::string> RegistryClient::Follow(std::string_view location, const std::string& what) const {
  std::string url = ResolveLocation(base_url_, location);
  auto to = ParseOrigin(url);
  if (!to.ok() || DecideHop(origin_, *to) == Hop::kRefuse) {
    return RegistryError(what + ": the registry sent us to " + UrlForMessages(url) +
                         "; refused: from " + origin_.str() +
                         " promote goes only to HTTPS (or plain HTTP from loopback to loopback), never from "
                         "HTTPS to HTTP");
  }
  return url;
}

Result<std::vector<std::string>> RegistryClient::ListTags(const std::string& repo, const Scopes& scopes,
                                                          const CancelToken* cancel) {
  PROMOTE_RETURN_IF_ERROR(EnsurePinged(cancel));
  std::vector<std::string> tags;
  std::string url = Url("/v2/" + repo + "/tags/list?n=1000");
  std::string what = "list tags of " + host_ + "/" + repo;
  for (int page = 0; !url.empty(); ++page) {
    if (page >= kMaxTagsPages) {
      return RegistryError(what + ": more than " + std::to_string(kMaxTagsPages) + " pages; refused");
    }
    HttpRequest req;
    req.url = url;
    req.max_body_bytes = kMaxTagsPageBytes;
    auto resp = Send(req, scopes, cancel, true);
    if (!resp.ok()) {
      if (resp.status().message().find("response body larger than") != std::string::npos) {
        return RegistryError(what + ": a page larger than " + std::to_string(kMaxTagsPageBytes / (1024 * 1024)) +
                             " MiB; refused");
      }
      return resp.status().WithContext(what);
    }
    if (resp->status == 404) return tags;
    if (resp->status != 200) return ErrorFrom(*resp, what);
    TagsPageReader reader(&tags, kMaxTags);
    bool parsed = nlohmann::json::sax_parse(resp->body, &reader);
    if (reader.too_many()) {
      return RegistryError(what + ": more than " + std::to_string(kMaxTags) + " tags; refused");
    }
    if (!parsed || !reader.is_object()) return RegistryError(what + ": response is not a JSON object");
    url.clear();
    // Link: </v2/repo/tags/list?n=1000&last=x>; rel="next"
    std::string link = resp->Header("Link");
    auto lt = link.find('<');
    auto gt = link.find('>');
    if (lt != std::string::npos && gt != std::string::npos && gt > lt && link.find("rel=\"next\"") != std::string::npos) {
      PROMOTE_ASSIGN_OR_RETURN(url, Follow(link.substr(lt + 1, gt - lt - 1), what));
    }
  }
  return tags;
}

}  // namespace promote::registry

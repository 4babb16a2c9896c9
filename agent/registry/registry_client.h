// RegistryClient: the OCI distribution API of one registry host — manifests, blobs, uploads,
// mounts, tags — with authentication, retries and a per-registry request limit. Every call
// names the scopes it needs, so tokens carry exactly pull on a source and push+pull on a target.
// Thread-safe; one instance per registry host and credentials, shared by all copies (see
// RegistryPool).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <vector>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "registry/host_limits.h"
#include "registry/http_client.h"
#include "registry/origin.h"
#include "registry/registry_auth.h"
#include "registry/request_observer.h"
#include "registry/retry.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::registry {

struct RegistryOptions {
  RetryPolicy retry;
  // Registries that may be spoken to over plain HTTP. Loopback registries always may:
  // HTTPS is tried first, then HTTP.
  std::vector<std::string> plain_http_registries;
  int max_concurrent_requests = 16;  // per registry host
  // Told about every request and token lookup (the agent's metrics); null: nobody.
  std::shared_ptr<RequestObserver> observer;
};

struct ManifestHead {
  oci::Digest digest;
  std::string media_type;
  int64_t size = 0;
};

// Bounds on listing tags, whatever a registry sends: the bytes of one page, the number of pages
// and the tags in all. Beyond them ListTags fails (kRegistryError) rather than hold more: memory
// stays under about 4 MiB for the page plus 100,000 tags of at most 128 bytes.
inline constexpr size_t kMaxTagsPageBytes = 4 * 1024 * 1024;
inline constexpr int kMaxTagsPages = 1000;
inline constexpr size_t kMaxTags = 100000;

// Chunked uploads: a registry's OCI-Chunk-Min-Length is raised to at least kMinAnnouncedChunk
// (a registry announcing 1 would otherwise get one PATCH per byte), and no chunk is ever smaller
// than kMinUploadChunk, whoever asked. A chunk larger than the blob is the whole blob in one
// PATCH. So an upload of N bytes takes at most ceil(N / chunk) PATCHes and one PUT.
inline constexpr int64_t kMinAnnouncedChunk = 8 * 1024 * 1024;
inline constexpr int64_t kMinUploadChunk = 1024;

struct UploadSession {
  bool mounted = false;    // the blob was mounted: nothing to upload
  std::string location;    // absolute URL to PATCH/PUT to when not mounted
  // When the registry announced OCI-Chunk-Min-Length: the chunk size to use, at least
  // kMinAnnouncedChunk; 0 otherwise.
  int64_t min_chunk = 0;
};

// Supplies the bytes of a blob upload: fills buf, returns bytes written, 0 at the end or
// kAbortUpload when the source failed.
using BodyReader = std::function<size_t(char* buf, size_t len)>;
// Receives downloaded bytes in order; returns false to abort.
using BodySink = std::function<bool(const char* data, size_t len)>;

class RegistryClient {
 public:
  // `host` as in references ("127.0.0.1:5000", "docker.io"); credentials already resolved.
  // `limits` are shared by the host's clients (null: this client's own, from `options`).
  RegistryClient(std::string host, HttpClient* http, std::optional<Credentials> credentials,
                 RegistryOptions options, std::shared_ptr<HostLimits> limits = nullptr);

  const std::string& host() const { return host_; }

  // GET a manifest by tag or digest; bytes are verified against the requested digest and
  // the registry's Docker-Content-Digest. Oversize or unparsable manifests are refused.
  Result<oci::Manifest> GetManifest(const std::string& repo, const std::string& identifier, const Scopes& scopes,
                                    const CancelToken* cancel = nullptr);
  // HEAD a manifest; nullopt when it does not exist.
  Result<std::optional<ManifestHead>> HeadManifest(const std::string& repo, const std::string& identifier,
                                                   const Scopes& scopes, const CancelToken* cancel = nullptr);
  // PUT the manifest's exact bytes under a tag or its digest.
  Status PutManifest(const std::string& repo, const std::string& identifier, const oci::Manifest& manifest,
                     const Scopes& scopes, const CancelToken* cancel = nullptr);
  // PUT a manifest that has a subject (an OCI 1.1 referrer) under its digest. True when the
  // registry answered OCI-Subject naming the subject: it indexed the referrer itself, so no
  // tag-schema fallback index is needed (registry/referrers.h).
  Result<bool> PutReferrerManifest(const std::string& repo, const oci::Manifest& manifest, const Scopes& scopes,
                                   const CancelToken* cancel = nullptr);

  // HEAD a blob: true when the repository has it.
  Result<bool> BlobExists(const std::string& repo, const oci::Digest& digest, const Scopes& scopes,
                          const CancelToken* cancel = nullptr);
  // GET a blob, streaming it to `sink` (redirects to storage are followed). Not retried here:
  // a sink cannot un-receive bytes; the caller retries the whole transfer.
  Status GetBlob(const std::string& repo, const oci::Digest& digest, const BodySink& sink, const Scopes& scopes,
                 const CancelToken* cancel = nullptr);
  // GET a small blob (configs, signature payloads) into memory, verified against its digest.
  Result<std::string> GetBlobBytes(const std::string& repo, const oci::Digest& digest, size_t max_bytes,
                                   const Scopes& scopes, const CancelToken* cancel = nullptr);

  // Starts an upload; with `mount_from` set, asks the registry to mount the blob from that
  // repository of the same registry first (201 = mounted, nothing else to do).
  Result<UploadSession> StartUpload(const std::string& repo, const std::optional<oci::Digest>& digest,
                                    const std::string& mount_from, const Scopes& scopes,
                                    const CancelToken* cancel = nullptr);
  // Uploads the whole blob in one PUT (streamed from `reader`, `size` bytes).
  Status UploadMonolithic(const UploadSession& session, const oci::Digest& digest, int64_t size,
                          const BodyReader& reader, const Scopes& scopes, const CancelToken* cancel = nullptr);
  // Uploads the blob in PATCH chunks of max(chunk_size, session.min_chunk) bytes and closes with
  // PUT ?digest=. A chunk_size below kMinUploadChunk is kInvalidArgument.
  Status UploadChunked(const UploadSession& session, const oci::Digest& digest, int64_t size, int64_t chunk_size,
                       const BodyReader& reader, const Scopes& scopes, const CancelToken* cancel = nullptr);
  // Convenience for small in-memory blobs: existence check, then a single PUT.
  Status PushBlobBytes(const std::string& repo, const std::string& bytes, const Scopes& scopes,
                       const CancelToken* cancel = nullptr);

  // GET /v2/<repo>/referrers/<digest>: the OCI 1.1 referrers index of a manifest. nullopt when
  // the registry does not support the API (404, 400, 405 or 406, as go-containerregistry treats
  // them); then clients keep the tag-schema fallback index at tag "sha256-<hex>" instead. A
  // registry that supports the API never answers 404 there, so the first such answer is
  // remembered and later calls return nullopt without asking again.
  // With `artifact_type` set, asks the registry to filter (?artifactType=); registries may
  // ignore the filter, so callers filter again.
  Result<std::optional<oci::Manifest>> GetReferrers(const std::string& repo, const oci::Digest& subject,
                                                    const Scopes& scopes, const CancelToken* cancel = nullptr,
                                                    const std::string& artifact_type = "");

  // GET /v2/<repo>/tags/list, following Link pages; tags that are not valid tag names are left
  // out. Empty for a repository the registry does not know (404). Bounded by kMaxTagsPageBytes,
  // kMaxTagsPages and kMaxTags.
  Result<std::vector<std::string>> ListTags(const std::string& repo, const Scopes& scopes,
                                            const CancelToken* cancel = nullptr);

  // Requests sent so far, and tokens fetched (for the JSON result and tests).
  int64_t requests_sent() const { return requests_sent_.load(); }
  int tokens_fetched() const { return auth_.tokens_fetched(); }

 private:
  Status EnsurePinged(const CancelToken* cancel);
  // Sends with auth, 401 refresh and (when `retryable`) retries with backoff on transient
  // failures. Streamed uploads and downloads are sent with retryable=false.
  Result<HttpResponse> Send(HttpRequest request, const Scopes& scopes, const CancelToken* cancel, bool retryable);
  std::string Url(const std::string& path) const { return base_url_ + path; }
  // PUTs the manifest's bytes and checks the stored digest; returns the response.
  Result<HttpResponse> SendManifest(const std::string& repo, const std::string& identifier,
                                    const oci::Manifest& manifest, const Scopes& scopes, const CancelToken* cancel);
  // The absolute URL of a Location or Link header the registry answered `what` with, when
  // DecideHop (origin.h) lets us go there; kRegistryError naming the URL otherwise.
  Result<std::string> Follow(std::string_view location, const std::string& what) const;
  void NoteRetryAfter(const HttpResponse& response);
  // Counts one request sent (and tells the observer how it ended).
  void NoteSent(const Result<HttpResponse>& response, bool retry);
  // RegistryErrorFromResponse, saying which account was refused when access was.
  Status ErrorFrom(const HttpResponse& response, std::string_view what) const;

  const std::string host_;
  const std::string api_host_;  // docker.io is served by registry-1.docker.io
  HttpClient* const http_;
  const RegistryOptions options_;
  RegistryAuth auth_;

  std::mutex ping_mu_;
  bool pinged_ = false;
  std::string base_url_;
  Origin origin_;  // of base_url_: the one origin the credentials are sent to
  const std::shared_ptr<HostLimits> limits_;
  std::atomic<int64_t> requests_sent_{0};
  std::atomic<bool> referrers_unsupported_{false};
};

}  // namespace promote::registry

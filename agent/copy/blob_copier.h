// BlobCopier: copies one blob into a target repository the cheapest way that is correct:
// skip it when the target has it, mount it when source and target share a registry, otherwise
// stream it GET→PUT through a bounded pipe, verifying size and SHA-256 on the way. Transient
// failures restart the blob (a stream cannot be rewound). The same blob requested twice at
// once (several images sharing a base layer) is transferred once.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "copy/copy_progress.h"
#include "oci/manifest.h"
#include "registry/registry_client.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::copy {

enum class BlobOutcome { kCopied, kMounted, kSkipped };

struct BlobEndpoint {
  registry::RegistryClient* client;
  std::string repository;
  registry::Scopes scopes;
};

struct BlobCopyOptions {
  size_t pipe_bytes = 4 * 1024 * 1024;  // memory per in-flight blob stream
  int64_t chunk_size = 0;               // > 0: upload in PATCH chunks of this size
  int max_attempts = 3;                 // whole-blob attempts on transient failure
};

class BlobCopier {
 public:
  BlobCopier(BlobCopyOptions options, CopyProgress* progress, const CancelToken* cancel);

  // Counts `blob` into the progress totals. Every blob Copy is called for must be planned once
  // first (the whole image's blobs before any transfer starts, so the percentage means something),
  // or the live line says "blobs 20/18".
  void Plan(const oci::Descriptor& blob);

  // Moves one blob (mount, skip or stream); counts it done in the progress, also when another
  // image of the same call moved it.
  Result<BlobOutcome> Copy(const BlobEndpoint& source, const BlobEndpoint& target,
                           const oci::Descriptor& blob);

 private:
  Result<BlobOutcome> CopyOnce(const BlobEndpoint& source, const BlobEndpoint& target,
                               const oci::Descriptor& blob);
  Status Stream(const BlobEndpoint& source, const BlobEndpoint& target, const oci::Descriptor& blob,
                const registry::UploadSession& session);

  const BlobCopyOptions options_;
  CopyProgress* const progress_;
  const CancelToken* const cancel_;
  std::mutex inflight_mu_;
  std::map<std::string, std::shared_future<Result<BlobOutcome>>> inflight_;
};

}  // namespace promote::copy

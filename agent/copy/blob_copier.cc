#include "copy/blob_copier.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "copy/blob_pipe.h"
#include "registry/retry.h"
#include "util/log_context.h"
#include "util/sha256.h"

namespace promote::copy {

BlobCopier::BlobCopier(BlobCopyOptions options, CopyProgress* progress, const CancelToken* cancel)
    : options_(options), progress_(progress), cancel_(cancel) {}

void BlobCopier::Plan(const oci::Descriptor& blob) {
  if (progress_ == nullptr) return;
  progress_->blobs_total++;
  progress_->bytes_total += blob.size;
}

Result<BlobOutcome> BlobCopier::Copy(const BlobEndpoint& source, const BlobEndpoint& target,
                                     const oci::Descriptor& blob) {
  std::string key = target.client->host() + "/" + target.repository + "@" + blob.digest.str();
  std::promise<Result<BlobOutcome>> promise;
  std::shared_future<Result<BlobOutcome>> existing;
  {
    std::lock_guard lock(inflight_mu_);
    auto it = inflight_.find(key);
    if (it != inflight_.end()) {
      existing = it->second;
    } else {
      inflight_[key] = promise.get_future().share();
    }
  }
  if (existing.valid()) {
    // Another image of this call moves the same blob into the same repository: share its outcome.
    const Result<BlobOutcome>& r = existing.get();
    if (progress_ != nullptr) {
      progress_->blobs_done++;
      if (r.ok()) progress_->bytes_done += blob.size;
    }
    if (!r.ok()) return r.status();
    return BlobOutcome::kSkipped;
  }
  if (progress_ != nullptr) progress_->BlobStarted(blob.digest.str());
  Result<BlobOutcome> result = Status(Code::kInternal, "not attempted");
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    result = CopyOnce(source, target, blob);
    if (result.ok()) break;
    Code c = result.status().code();
    bool transient = c == Code::kUnavailable || c == Code::kDataLoss;
    if (!transient || attempt == options_.max_attempts || (cancel_ && cancel_->cancelled())) break;
    spdlog::warn("blob {}: attempt {} failed ({}), retrying", blob.digest.str(), attempt,
                 result.status().message());
    // A stream that broke mid-body: give the registry the same backoff a failed request gets.
    SleepUnlessCancelled(registry::RetryPolicy{}.Backoff(attempt), cancel_);
  }
  if (progress_ != nullptr) {
    progress_->BlobEnded(blob.digest.str());
    progress_->blobs_done++;
    if (result.ok()) progress_->bytes_done += blob.size;
  }
  promise.set_value(result);
  return result;
}

Result<BlobOutcome> BlobCopier::CopyOnce(const BlobEndpoint& source, const BlobEndpoint& target,
                                         const oci::Descriptor& blob) {
  PROMOTE_ASSIGN_OR_RETURN(bool exists,
                           target.client->BlobExists(target.repository, blob.digest, target.scopes, cancel_));
  if (exists) return BlobOutcome::kSkipped;

  bool same_registry = source.client == target.client;
  std::string mount_from = same_registry && source.repository != target.repository ? source.repository : "";
  PROMOTE_ASSIGN_OR_RETURN(
      registry::UploadSession session,
      target.client->StartUpload(target.repository, blob.digest, mount_from, target.scopes, cancel_));
  if (session.mounted) return BlobOutcome::kMounted;
  PROMOTE_RETURN_IF_ERROR(Stream(source, target, blob, session));
  return BlobOutcome::kCopied;
}

Status BlobCopier::Stream(const BlobEndpoint& source, const BlobEndpoint& target, const oci::Descriptor& blob,
                          const registry::UploadSession& session) {
  BlobPipe pipe(blob.size, options_.pipe_bytes);
  Status download_status;
  bool stopped_by_upload = false;  // the download ended because the upload side gave up
  std::thread downloader([&, request_id = CurrentRequestId()] {
    ScopedRequestId scope(request_id);  // the download's retries are logged for the same call
    Sha256 hash;
    int64_t received = 0;
    Status st = source.client->GetBlob(
        source.repository, blob.digest,
        [&](const char* data, size_t len) {
          hash.Update(data, len);
          received += static_cast<int64_t>(len);
          if (progress_ != nullptr) progress_->bytes_streamed += static_cast<int64_t>(len);
          if (pipe.Write(data, len)) return true;
          stopped_by_upload = true;
          return false;
        },
        source.scopes, cancel_);
    if (st.ok() && received != blob.size) {
      st = DataLoss("blob " + blob.digest.str() + " from " + source.client->host() + "/" + source.repository +
                    ": got " + std::to_string(received) + " bytes, the manifest says " +
                    std::to_string(blob.size));
    } else if (st.ok() && hash.FinishHex() != blob.digest.hex()) {
      st = DataLoss("blob " + blob.digest.str() + " from " + source.client->host() + "/" + source.repository +
                    ": content does not match its digest (corrupted at the source or in transit)");
    }
    pipe.Finish(st);
    download_status = st;
  });
  auto reader = [&](char* buf, size_t len) { return pipe.Read(buf, len); };
  int64_t chunk = options_.chunk_size > 0 ? options_.chunk_size : session.min_chunk;
  Status upload_status = chunk > 0 ? target.client->UploadChunked(session, blob.digest, blob.size, chunk,
                                                                  reader, target.scopes, cancel_)
                                   : target.client->UploadMonolithic(session, blob.digest, blob.size, reader,
                                                                     target.scopes, cancel_);
  if (!upload_status.ok()) pipe.AbortReader();
  downloader.join();
  if (upload_status.ok()) return download_status;
  // A failed download (or verification) aborts the upload: then the download's verdict is the
  // real cause. Otherwise the download only stopped because the upload gave up.
  if (!download_status.ok() && !stopped_by_upload) return download_status;
  return upload_status;
}

}  // namespace promote::copy

// CopyReport: what one image copy did — the digest, what was copied, mounted or skipped, the
// tags written — and how it ended. It renders the fields of the JSON result documented in
// docs/result-json.md; the service wraps them in the result's envelope.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace promote::copy {

struct TransferCounts {
  int64_t copied = 0;
  int64_t mounted = 0;
  int64_t skipped = 0;
};

// Signatures, attestations, SBOMs and referrers carried along with an image (copy/attachments.h).
struct AttachmentConflict {
  std::string tag;     // the attachment tag at the target
  std::string reason;  // what differs
};

// Attachments deliberately left behind: those of a source index a subset was cut from sign
// and describe its digest, which the target does not have.
struct AttachmentNotCarried {
  std::string subject;  // the source digest they belong to
  std::string reason;
};

struct AttachmentCounts {
  int64_t copied = 0;   // attachment tags and referrer manifests written at the target
  int64_t skipped = 0;  // already there (same digest, or a superset for tags)
  int64_t merged = 0;   // tags the target held differently, now the union of both (attachment_merge.h)
  std::vector<AttachmentConflict> conflicts;
  std::vector<AttachmentNotCarried> not_carried;
};

struct CopyReport {
  std::string source;  // as normalised reference
  std::string target;
  std::string digest;         // what the target holds
  std::string source_digest;  // what the source resolved to: `digest`, or the index it is a subset of
  std::string subset_of;      // the source index when only some of its platforms were copied
  std::string media_type;
  std::vector<std::string> platforms;
  std::vector<std::string> tags_written;
  std::vector<std::string> tags_unchanged;
  std::vector<std::string> tags_moved;
  std::vector<std::string> tags_refused;
  bool dry_run = false;
  TransferCounts blobs;
  TransferCounts blob_bytes;
  int64_t manifests_copied = 0;
  int64_t manifests_skipped = 0;
  AttachmentCounts attachments;
  int64_t duration_ms = 0;
  Status status;

  // The copy's fields of the result (source, target, digest, tags, counts), without the envelope.
  nlohmann::json BodyJson() const;
};

}  // namespace promote::copy

// Carrying an image's attachments along with it: the cosign tags "sha256-<hex>.sig", ".att" and
// ".sbom", the OCI referrers tag-schema fallback index "sha256-<hex>" (and the manifests it
// lists), and the referrers the source's referrers API lists. They are plain OCI artifacts,
// copied byte for byte with the same blob and manifest machinery as images.
//
// An attachment tag the target already holds with another digest is kept when it already
// contains everything the source's does (a re-run after the target signed the image: its
// signatures are a superset). Otherwise it is a conflict: the target's manifest is never
// replaced, because that would drop signatures already there, and merging is not done. Conflicts
// are reported and fail the copy with kConflict after everything else is carried, before any
// image tag is written.
#pragma once

#include <string>
#include <vector>

#include "copy/blob_copier.h"
#include "copy/copy_report.h"
#include "oci/digest.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::copy {

// Copies the attachments of each digest in `subjects` (an image's index and its children) from
// source to target. The subjects must already be at the target. Nothing found at the source is
// not an error. Returns kConflict naming the tags in conflict (after copying the rest), or the
// first registry failure.
Status CopyAttachments(BlobCopier& blobs, const BlobEndpoint& source, const BlobEndpoint& target,
                       const std::vector<oci::Digest>& subjects, AttachmentCounts* counts,
                       const CancelToken* cancel);

}  // namespace promote::copy

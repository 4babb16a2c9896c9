// Signing an image in a registry the way cosign does with a key: a simple-signing payload naming
// the manifest digest and an identity, signed with ECDSA P-256, appended as one layer of the
// "sha256-<hex>.sig" manifest beside the image. Existing signatures are never disturbed, and
// signing the same claims again with the same key adds nothing. See docs/cosign-format.md §1-§3.
#pragma once

#include <map>
#include <string>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "util/cancel.h"
#include "util/status.h"

namespace promote::sign {

struct SignOptions {
  // The docker-reference to claim. cosign writes the repository ("registry/repo", see
  // DefaultSigningIdentity); containers/image writes "registry/repo:tag". Required.
  std::string identity;
  // cosign's `-a key=value`: signed into the payload's "optional" object.
  std::map<std::string, std::string> annotations;
};

struct SignOutcome {
  std::string signature_reference;  // "registry/repo:sha256-<hex>.sig"
  oci::Digest payload_digest;       // the signed payload blob (the layer digest)
  oci::Digest signature_manifest;   // digest of the .sig manifest now at the tag
  bool added = false;               // false: an equal signature by this key was already there
  size_t signatures = 0;            // layers in the .sig manifest afterwards
};

// The identity cosign claims by default for `reference`: "registry/repository".
std::string DefaultSigningIdentity(const oci::Reference& reference);

// Signs `manifest.digest` in `repo` with `key`. Read-modify-append of the .sig manifest: a
// missing tag starts empty, existing layers stay byte-identical, and an existing
// simple-signing layer with the same payload whose signature verifies with `key`'s public half
// makes this a no-op (added=false). `scopes` must grant pull and push on `repo`.
// kInvalidArgument for an empty identity or bad annotations; kConflict when the .sig manifest
// is full (1000 layers); registry failures as the client reports them.
Result<SignOutcome> SignImage(registry::RegistryClient& client, const std::string& repo,
                              const oci::Descriptor& manifest, const sigstore::PrivateKey& key,
                              const SignOptions& options, const registry::Scopes& scopes,
                              const CancelToken* cancel = nullptr);

}  // namespace promote::sign

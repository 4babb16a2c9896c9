// Helpers shared by the signing integration tests: keys on disk, reading what a .sig/.att tag
// holds, and running openssl as an independent verifier.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "oci/digest.h"
#include "registry/registry_client.h"
#include "sigstore/ec_key.h"
#include "tests/support/temp_dir.h"
#include "util/subprocess.h"

namespace promote::testing {

inline registry::Scopes PushScope(const std::string& repo) {
  return {registry::RepositoryScope(repo, "pull,push")};
}

inline sigstore::PrivateKey NewKey() {
  auto key = sigstore::PrivateKey::Generate();
  REQUIRE(key.ok());
  return std::move(*key);
}

// Writes the public half of `key` as cosign.pub-style PEM and returns the path.
inline std::string WritePublicKey(const TempDir& dir, const std::string& name,
                                  const sigstore::PrivateKey& key) {
  return dir.Write(name, key.public_key().ToPem());
}

// The manifest JSON at `identifier` (tag or digest), parsed; null when it does not exist.
inline nlohmann::json ManifestJson(registry::RegistryClient& client, const std::string& repo,
                                   const std::string& identifier) {
  auto m = client.GetManifest(repo, identifier, PushScope(repo));
  if (!m.ok()) {
    REQUIRE(m.status().code() == Code::kNotFound);
    return nullptr;
  }
  return nlohmann::json::parse(m->bytes);
}

inline std::string Blob(registry::RegistryClient& client, const std::string& repo,
                        const std::string& digest) {
  auto d = oci::Digest::Parse(digest);
  REQUIRE(d.ok());
  auto bytes = client.GetBlobBytes(repo, *d, 16 << 20, PushScope(repo));
  REQUIRE(bytes.ok());
  return *bytes;
}

// `openssl dgst -sha256 -verify pub -signature sig payload`: true when openssl prints Verified OK.
inline bool OpensslVerifies(const TempDir& dir, const std::string& pub_path, const std::string& payload,
                            const std::string& der_signature) {
  std::string payload_path = dir.Write("openssl-payload", payload);
  std::string sig_path = dir.Write("openssl-sig.der", der_signature);
  ProcessOptions p;
  p.argv = {"openssl", "dgst", "-sha256", "-verify", pub_path, "-signature", sig_path, payload_path};
  auto r = RunProcess(p);
  REQUIRE(r.ok());
  INFO("openssl: " << r->stdout_data << r->stderr_data);
  return r->exit_code == 0 && r->stdout_data.find("Verified OK") != std::string::npos;
}

}  // namespace promote::testing

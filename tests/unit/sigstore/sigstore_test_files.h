// Shared helpers for the sigstore tests: reading the cosign fixtures, a scratch directory that
// removes itself, and running the openssl CLI as an independent implementation.
#pragma once

#include <filesystem>
#include <string>

namespace promote::sigstore::testing {

// The image the skopeo-made signature in the fixtures signs (cosign/skopeo-made-signature).
inline constexpr const char* kFixtureImageDigest =
    "sha256:5aafdbfea1f9b14602b802cf7afe37a697af73ccba9c73175ca7a5ec11293ba5";

// Bytes of PROMOTE_FIXTURES_DIR/cosign/<name>; fails the test if it cannot be read.
std::string CosignFixture(const std::string& name);
std::string CosignFixturePath(const std::string& name);
// Bytes of PROMOTE_FIXTURES_DIR/sigstore/<name> (the Sigstore conformance fixtures).
std::string SigstoreFixture(const std::string& name);
// First line of cosign/password.txt, as skopeo reads a passphrase file.
std::string FixturePassword();

// The JSON document inside a PEM file's body (for tests that mutate key files).
std::string PemBodyJson(const std::string& pem);

// Replaces the first occurrence of `from` in `s` (which must be present) with `to`.
std::string ReplaceOnce(std::string s, const std::string& from, const std::string& to);

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `bytes` to <dir>/<name> and returns the full path.
  std::string Write(const std::string& name, const std::string& bytes) const;

 private:
  std::filesystem::path path_;
};

// Runs a shell command with stdout and stderr discarded; returns its exit status (or -1).
int RunQuietly(const std::string& command);

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace promote::sigstore::testing

#include "sigstore/docker_identity.h"

#include "oci/reference.h"

namespace promote::sigstore {
namespace {

bool IsRegistryHost(std::string_view component) {
  return component.find('.') != std::string_view::npos || component.find(':') != std::string_view::npos ||
         component == "localhost";
}

bool IsPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
}

bool HasSpace(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string DockerIdentity::ToString() const {
  std::string out = repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Result<DockerIdentity> ParseDockerIdentity(std::string_view reference) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("image reference '" + std::string(reference) + "': " + std::string(why));
  };
  if (reference.empty()) return bad("is empty");
  if (HasSpace(reference)) return bad("contains whitespace or control characters");

  DockerIdentity id;
  std::string_view name = reference;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    id.digest = std::string(name.substr(at + 1));
    name = name.substr(0, at);
    if (id.digest.find(':') == std::string::npos) return bad("digest must be algorithm:hex");
  }
  const size_t last_slash = name.rfind('/');
  const size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    id.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (id.tag.empty()) return bad("tag is empty");
  }

  std::string domain(oci::kDockerHub);
  std::string_view path = name;
  if (size_t slash = name.find('/');
      slash != std::string_view::npos && IsRegistryHost(name.substr(0, slash))) {
    domain = std::string(name.substr(0, slash));
    path = name.substr(slash + 1);
  }
  // As docker's own normaliser: only the index's old name is folded, not the API host.
  if (domain == oci::kDockerHubIndexHost) domain = std::string(oci::kDockerHub);
  if (path.empty() || path.front() == '/' || path.back() == '/' ||
      path.find("//") != std::string_view::npos) {
    return bad("has an empty path component");
  }
  for (char c : path) {
    if (!IsPathChar(c))
      return bad("repository path may only hold lowercase letters, digits, '.', '_', '-' and '/'");
  }
  std::string full_path(path);
  if (domain == oci::kDockerHub && full_path.find('/') == std::string::npos)
    full_path = "library/" + full_path;
  id.repository = domain + "/" + full_path;
  return id;
}

}  // namespace promote::sigstore

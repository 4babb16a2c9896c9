#include "oci/reference.h"

#include <cctype>

namespace promote::oci {
namespace {

constexpr size_t kMaxNameLength = 255;  // distribution's NameTotalLengthMax (registry + path)
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

Status BadReference(std::string_view input, const std::string& why) {
  return InvalidArgument("reference '" + std::string(input) + "': " + why);
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool ValidPathComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < c.size() && !IsLowerAlnum(c[i])) ++i;
    std::string_view sep = c.substr(start, i - start);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
  }
  return true;
}

// domain := host[:port]; host is DNS labels or a bracketed IPv6 address.
bool ValidDomain(std::string_view d) {
  std::string_view host = d;
  std::string_view port;
  if (!d.empty() && d.front() == '[') {
    auto close = d.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view ip = d.substr(1, close - 1);
    if (ip.empty() || ip.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) return false;
    std::string_view rest = d.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    auto colon = d.rfind(':');
    if (colon != std::string_view::npos) {
      host = d.substr(0, colon);
      port = d.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    size_t start = 0;
    while (start <= host.size()) {
      auto dot = host.find('.', start);
      std::string_view label = host.substr(start, dot == std::string_view::npos ? host.size() - start : dot - start);
      if (label.empty() || !IsAlnum(label.front()) || !IsAlnum(label.back())) return false;
      for (char c : label) {
        if (!IsAlnum(c) && c != '-') return false;
      }
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return false;
    if (std::stoi(std::string(port)) > 65535) return false;
  }
  return true;
}

// Docker's rule: the first component is a registry if it has '.' or ':', is "localhost",
// or contains uppercase letters (which a repository path never may).
bool LooksLikeDomain(std::string_view first) {
  if (first == "localhost") return true;
  if (first.find_first_of(".:[") != std::string_view::npos) return true;
  for (char c : first) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

Result<Reference> ParseName(std::string_view input, std::string_view name) {
  if (name.empty()) return BadReference(input, "missing repository name");
  Reference ref;
  std::string_view path = name;
  auto slash = name.find('/');
  if (slash != std::string_view::npos && LooksLikeDomain(name.substr(0, slash))) {
    ref.registry = std::string(name.substr(0, slash));
    path = name.substr(slash + 1);
    if (!ValidDomain(ref.registry)) return BadReference(input, "invalid registry host '" + ref.registry + "'");
  } else {
    ref.registry = std::string(kDockerHub);
  }
  // Docker Hub's historical host names all mean the same registry.
  if (IsDockerHub(ref.registry)) ref.registry = std::string(kDockerHub);
  if (path.empty()) return BadReference(input, "missing repository name after the registry");
  size_t start = 0;
  while (true) {
    auto next = path.find('/', start);
    std::string_view comp = path.substr(start, next == std::string_view::npos ? path.size() - start : next - start);
    if (!ValidPathComponent(comp)) {
      bool upper = false;
      for (char c : comp) upper = upper || (c >= 'A' && c <= 'Z');
      if (upper) return BadReference(input, "repository name must be lowercase ('" + std::string(comp) + "')");
      return BadReference(input, "invalid repository path component '" + std::string(comp) +
                            "' (allowed: a-z 0-9 separated by '.', '_', '__' or '-')");
    }
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  ref.repository = std::string(path);
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.registry.size() + 1 + ref.repository.size() > kMaxNameLength) {
    return BadReference(input, "name longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  return ref;
}

}  // namespace

Status ValidateTag(std::string_view tag) {
  if (tag.empty()) return InvalidArgument("tag is empty");
  if (tag.size() > kMaxTagLength) {
    return InvalidArgument("tag '" + std::string(tag.substr(0, 40)) + "…' is longer than 128 characters");
  }
  auto word = [](char c) { return IsAlnum(c) || c == '_'; };
  if (!word(tag.front())) {
    return InvalidArgument("tag '" + std::string(tag) + "' must start with a letter, digit or '_'");
  }
  for (char c : tag) {
    if (!word(c) && c != '.' && c != '-') {
      return InvalidArgument("tag '" + std::string(tag) + "' may only contain letters, digits, '_', '.' and '-'");
    }
  }
  return OkStatus();
}

Result<Reference> ParseReference(std::string_view text) {
  if (text.empty()) return InvalidArgument("reference is empty");
  if (text.size() > 4096) return InvalidArgument("reference is longer than 4096 characters");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return BadReference(text, "contains whitespace or control characters");
    }
  }
  if (text.find("://") != std::string_view::npos) {
    return BadReference(text, "a reference has no URL scheme; write host/repo:tag");
  }
  std::string_view rest = text;
  std::optional<Digest> digest;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto d = Digest::Parse(rest.substr(at + 1));
    if (!d.ok()) return BadReference(text, d.status().message());
    digest = *d;
    rest = rest.substr(0, at);
  }
  std::string tag;
  // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (auto st = ValidateTag(tag); !st.ok()) return BadReference(text, st.message());
  }
  PROMOTE_ASSIGN_OR_RETURN(Reference ref, ParseName(text, rest));
  ref.tag = std::move(tag);
  ref.digest = digest;
  return ref;
}

Result<Reference> ParseRepository(std::string_view text) {
  PROMOTE_ASSIGN_OR_RETURN(Reference ref, ParseReference(text));
  if (!ref.tag.empty() || ref.digest) {
    return BadReference(text, "expected a repository without tag or digest");
  }
  return ref;
}

std::string Reference::str() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

Reference Reference::WithTag(std::string t) const {
  Reference r{registry, repository, std::move(t), std::nullopt};
  return r;
}

Reference Reference::WithDigest(const Digest& d) const {
  Reference r{registry, repository, "", d};
  return r;
}

std::string Reference::Identifier() const {
  if (digest) return digest->str();
  if (!tag.empty()) return tag;
  return "latest";
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // Exactly four decimal parts of 1-3 digits, each at most 255, the first 127.
  int parts = 0;
  size_t i = 0;
  while (i <= host.size()) {
    size_t end = host.find('.', i);
    if (end == std::string_view::npos) end = host.size();
    std::string_view part = host.substr(i, end - i);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string_view::npos) return false;
    int value = 0;
    for (char c : part) value = value * 10 + (c - '0');
    if (value > 255 || (parts == 0 && value != 127)) return false;
    ++parts;
    i = end + 1;
  }
  return parts == 4;
}

bool IsLoopbackRegistry(std::string_view registry) {
  std::string_view host = registry;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close != std::string_view::npos && host.substr(1, close - 1) == "::1" &&
           (close + 1 == host.size() || host[close + 1] == ':');
  }
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  return IsLoopbackHost(host);
}

}  // namespace promote::oci

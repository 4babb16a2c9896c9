#include "oci/platform.h"

#include <algorithm>

namespace promote::oci {
namespace {

constexpr size_t kMaxComponent = 64;

bool IsComponent(std::string_view s) {
  if (s.empty() || s.size() > kMaxComponent) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

std::string_view DefaultVariant(std::string_view architecture) {
  if (architecture == "arm64") return "v8";
  if (architecture == "arm") return "v7";
  if (architecture == "amd64") return "v1";
  return "";
}

std::string_view VariantOrDefault(const Platform& p) {
  return p.variant.empty() ? DefaultVariant(p.architecture) : std::string_view(p.variant);
}

}  // namespace

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Result<Platform> ParsePlatform(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t slash = text.find('/', start);
    parts.push_back(
        text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  auto bad = [&](const std::string& why) {
    return InvalidArgument("platform '" + std::string(text.substr(0, 200)) + "': " + why +
                           " (write os/arch[/variant], e.g. linux/amd64 or linux/arm/v7)");
  };
  if (text.empty()) return bad("empty");
  if (parts.size() < 2 || parts.size() > 3) return bad("needs two or three components separated by '/'");
  for (auto p : parts) {
    if (!IsComponent(p)) {
      return bad("each component must be 1-64 lowercase letters, digits, '.', '_' or '-'");
    }
  }
  Platform out{std::string(parts[0]), std::string(parts[1]), parts.size() == 3 ? std::string(parts[2]) : ""};
  if (out.architecture == "x86_64") out.architecture = "amd64";
  if (out.architecture == "aarch64") out.architecture = "arm64";
  return out;
}

Result<std::vector<Platform>> ParsePlatforms(const std::vector<std::string>& texts) {
  std::vector<Platform> out;
  for (const auto& text : texts) {
    std::string_view rest = text;
    for (;;) {
      size_t comma = rest.find(',');
      PROMOTE_ASSIGN_OR_RETURN(Platform p, ParsePlatform(rest.substr(0, comma)));
      bool seen = std::any_of(out.begin(), out.end(), [&](const Platform& q) { return q.str() == p.str(); });
      if (!seen) out.push_back(std::move(p));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

bool PlatformMatches(const Platform& want, const Platform& have) {
  if (want.os != have.os || want.architecture != have.architecture) return false;
  return want.variant.empty() || VariantOrDefault(want) == VariantOrDefault(have);
}

}  // namespace promote::oci

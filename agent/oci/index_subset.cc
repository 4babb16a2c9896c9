#include "oci/index_subset.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace promote::oci {
namespace {

using nlohmann::json;

constexpr std::string_view kReferenceType = "vnd.docker.reference.type";
constexpr std::string_view kReferenceDigest = "vnd.docker.reference.digest";

// [begin, end) of the index bytes.
struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// Finds where values start and end in JSON that ParseManifest has already parsed, so it skips
// rather than validates; running off the end is reported, never read past.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : s_(text) {}

  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= s_.size(); }

  void SkipSpace() {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // One value of any kind, from its first to just past its last character.
  std::optional<Span> Value() {
    SkipSpace();
    if (at_end()) return std::nullopt;
    Span span{pos_, pos_};
    char c = s_[pos_];
    if (c == '"') {
      if (!SkipString()) return std::nullopt;
    } else if (c == '{' || c == '[') {
      int depth = 0;
      do {
        if (at_end()) return std::nullopt;
        char d = s_[pos_];
        if (d == '"') {
          if (!SkipString()) return std::nullopt;
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') --depth;
        ++pos_;
      } while (depth > 0);
    } else {
      while (!at_end() && std::string_view(",]} \t\n\r").find(s_[pos_]) == std::string_view::npos) ++pos_;
    }
    span.end = pos_;
    return span;
  }

 private:
  bool SkipString() {
    ++pos_;  // the opening quote
    while (!at_end()) {
      char c = s_[pos_++];
      if (c == '\\') {
        ++pos_;
      } else if (c == '"') {
        return true;
      }
    }
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// Where the `manifests` array and each of its entries are in the bytes.
struct ManifestsArray {
  size_t open = 0;   // the '['
  size_t close = 0;  // the ']'
  std::vector<Span> entries;
};

Result<ManifestsArray> FindManifests(std::string_view bytes, const std::string& what) {
  auto cannot = [&](const std::string& why) {
    return RegistryError(what + " cannot be cut to a subset: " + why);
  };
  JsonScanner sc(bytes);
  if (!sc.Consume('{')) return cannot("not a JSON object");
  std::optional<ManifestsArray> found;
  if (!sc.Consume('}')) {
    for (;;) {
      auto key_span = sc.Value();
      if (!key_span) return cannot("truncated");
      // Keys may be written with escapes ("manifest\u0073"): compare the decoded key.
      json key = json::parse(bytes.substr(key_span->begin, key_span->end - key_span->begin), nullptr, false);
      if (!key.is_string()) return cannot("an object key is not a string");
      if (!sc.Consume(':')) return cannot("a key has no value");
      if (key.get<std::string>() == "manifests") {
        if (found) return cannot("it has more than one manifests key");
        ManifestsArray array;
        if (!sc.Consume('[')) return cannot("manifests is not an array");
        array.open = sc.pos() - 1;
        if (!sc.Consume(']')) {
          for (;;) {
            auto entry = sc.Value();
            if (!entry) return cannot("truncated");
            array.entries.push_back(*entry);
            if (sc.Consume(',')) continue;
            if (sc.Consume(']')) break;
            return cannot("manifests is not a well-formed array");
          }
        }
        array.close = sc.pos() - 1;
        found = std::move(array);
      } else if (!sc.Value()) {
        return cannot("truncated");
      }
      if (sc.Consume(',')) continue;
      if (sc.Consume('}')) break;
      return cannot("not a well-formed object");
    }
  }
  if (!found) return cannot("it has no manifests");
  return *found;
}

// The digest a buildx attestation manifest describes, or nothing for any other entry.
std::optional<std::string> AttestedDigest(std::string_view entry_bytes) {
  json entry = json::parse(entry_bytes, nullptr, false);
  if (!entry.is_object()) return std::nullopt;
  auto annotations = entry.find("annotations");
  if (annotations == entry.end() || !annotations->is_object()) return std::nullopt;
  auto type = annotations->find(kReferenceType);
  auto digest = annotations->find(kReferenceDigest);
  if (type == annotations->end() || !type->is_string() || *type != "attestation-manifest")
    return std::nullopt;
  if (digest == annotations->end() || !digest->is_string())
    return std::string();  // describes nothing we keep
  return digest->get<std::string>();
}

std::string Join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s.empty() ? "none" : s;
}

// Which entries of the index stay: each image whose platform one of `wanted` matches, and each
// attestation manifest (buildx's, naming its image in an annotation) whose image stays. A wanted
// platform no image has is kInvalidArgument listing what the index has.
struct ChosenEntries {
  std::vector<bool> images;  // the images chosen by platform
  std::vector<bool> keep;    // those and the attestations of them
};

Result<ChosenEntries> ChooseEntries(const Manifest& index, const ManifestsArray& array,
                                    const std::vector<Platform>& wanted, const std::string& what) {
  const size_t n = index.children.size();
  std::vector<std::optional<std::string>> attests(n);
  std::vector<std::string> available;
  for (size_t i = 0; i < n; ++i) {
    const Span& e = array.entries[i];
    attests[i] = AttestedDigest(std::string_view(index.bytes).substr(e.begin, e.end - e.begin));
    const auto& platform = index.children[i].platform;
    if (attests[i] || !platform) continue;
    if (std::find(available.begin(), available.end(), platform->str()) == available.end()) {
      available.push_back(platform->str());
    }
  }
  std::vector<bool> keep(n, false);
  std::vector<std::string> missing;
  for (const auto& want : wanted) {
    bool matched = false;
    for (size_t i = 0; i < n; ++i) {
      const auto& platform = index.children[i].platform;
      if (attests[i] || !platform || !PlatformMatches(want, *platform)) continue;
      keep[i] = true;
      matched = true;
    }
    if (!matched) missing.push_back(want.str());
  }
  if (!missing.empty()) {
    return InvalidArgument(std::string(missing.size() == 1 ? "platform " : "platforms ") + Join(missing) +
                           (missing.size() == 1 ? " is" : " are") + " not in " + what + "; it has " +
                           Join(available));
  }
  // Attestations follow the image they describe.
  std::vector<bool> images = keep;
  for (size_t i = 0; i < n; ++i) {
    if (!attests[i]) continue;
    for (size_t j = 0; j < n; ++j) {
      if (images[j] && !attests[j] && index.children[j].digest.str() == *attests[i]) keep[i] = true;
    }
  }
  return ChosenEntries{std::move(images), std::move(keep)};
}

// The index's bytes with only the kept entries: the bytes before the array, the kept entries each
// with the separator that preceded it in the source (the first with the array's leading space),
// then the array's trailing space and the rest. Nothing is re-serialised.
std::string SpliceEntries(const std::string& src, const ManifestsArray& array, const std::vector<bool>& keep) {
  std::string bytes = src.substr(0, array.open + 1);
  bool first = true;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (!keep[i]) continue;
    size_t gap_begin = first ? array.open + 1 : array.entries[i - 1].end;
    size_t gap_end = first ? array.entries[0].begin : array.entries[i].begin;
    bytes.append(src, gap_begin, gap_end - gap_begin);
    bytes.append(src, array.entries[i].begin, array.entries[i].end - array.entries[i].begin);
    first = false;
  }
  bytes.append(src, array.entries.back().end, array.close - array.entries.back().end);
  bytes.append(src, array.close, std::string::npos);
  return bytes;
}

// The spliced index lists exactly the kept entries, in order.
Status CheckSubset(const Manifest& index, const Manifest& subset, const std::vector<bool>& keep,
                   const std::string& what) {
  size_t k = 0;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (!keep[i]) continue;
    if (k >= subset.children.size() || subset.children[k].digest != index.children[i].digest) {
      return Internal(what + ": the subset index does not list the entries kept");
    }
    ++k;
  }
  if (k != subset.children.size()) return Internal(what + ": the subset index lists more entries than kept");
  return OkStatus();
}

}  // namespace

Result<IndexSubset> SubsetIndex(const Manifest& index, const std::vector<Platform>& wanted) {
  const std::string what = "index " + index.digest.str();
  if (!index.is_index()) return InvalidArgument(index.digest.str() + " is not an index");
  if (wanted.empty()) return InvalidArgument("no platform given to choose from " + what);
  PROMOTE_ASSIGN_OR_RETURN(ManifestsArray array, FindManifests(index.bytes, what));
  if (array.entries.size() != index.children.size()) {
    return RegistryError(what + " cannot be cut to a subset: its manifests were read inconsistently");
  }
  PROMOTE_ASSIGN_OR_RETURN(ChosenEntries chosen, ChooseEntries(index, array, wanted, what));
  const std::vector<bool>& keep = chosen.keep;

  IndexSubset out;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (chosen.images[i]) out.platforms.push_back(index.children[i].platform->str());
  }
  if (std::all_of(keep.begin(), keep.end(), [](bool k) { return k; })) {
    out.index = index;
    return out;
  }
  PROMOTE_ASSIGN_OR_RETURN(out.index, ParseManifest(SpliceEntries(index.bytes, array, keep), index.media_type));
  PROMOTE_RETURN_IF_ERROR(CheckSubset(index, out.index, keep, what));
  return out;
}

}  // namespace promote::oci

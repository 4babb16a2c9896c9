#include "copy/image_walker.h"

#include <set>

#include <nlohmann/json.hpp>

#include "oci/index_subset.h"
#include "oci/media_types.h"
#include "util/json_nesting.h"

namespace promote::copy {
namespace {

struct Walker {
  registry::RegistryClient& client;
  const std::string& repository;
  const registry::Scopes& scopes;
  const CancelToken* cancel;
  ImageGraph* graph;
  std::set<std::string> on_path;
  std::set<std::string> seen;

  Status Visit(const oci::Manifest& index, int depth) {
    if (depth > kMaxIndexDepth) {
      return RegistryError("index " + index.digest.str() + " nests deeper than " + std::to_string(kMaxIndexDepth) +
                           " levels");
    }
    on_path.insert(index.digest.str());
    for (const auto& child : index.children) {
      if (on_path.count(child.digest.str()) != 0) {
        return RegistryError("index " + index.digest.str() + " lists itself (directly or through a child)");
      }
      if (!seen.insert(child.digest.str()).second) continue;
      if (graph->children.size() >= kMaxChildren) {
        return RegistryError("image has more than " + std::to_string(kMaxChildren) + " child manifests");
      }
      PROMOTE_ASSIGN_OR_RETURN(oci::Manifest m, client.GetManifest(repository, child.digest.str(), scopes, cancel));
      if (m.is_index()) PROMOTE_RETURN_IF_ERROR(Visit(m, depth + 1));
      graph->children.push_back(std::move(m));
    }
    on_path.erase(index.digest.str());
    return OkStatus();
  }
};

}  // namespace

std::vector<oci::Descriptor> ImageGraph::UniqueBlobs() const {
  std::vector<oci::Descriptor> out;
  std::set<std::string> seen;
  auto add = [&](const oci::Manifest& m) {
    for (const auto& b : m.Blobs()) {
      if (oci::media_type::IsNonDistributable(b.media_type)) continue;
      if (seen.insert(b.digest.str()).second) out.push_back(b);
    }
  };
  add(root);
  for (const auto& c : children) add(c);
  return out;
}

Result<ImageGraph> WalkImage(registry::RegistryClient& client, const std::string& repository,
                             const std::string& identifier, const registry::Scopes& scopes,
                             const CancelToken* cancel) {
  ImageGraph graph;
  PROMOTE_ASSIGN_OR_RETURN(graph.root, client.GetManifest(repository, identifier, scopes, cancel));
  if (graph.root.is_index()) {
    Walker w{client, repository, scopes, cancel, &graph, {}, {}};
    PROMOTE_RETURN_IF_ERROR(w.Visit(graph.root, 1));
    for (const auto& c : graph.root.children) {
      if (c.platform) graph.platforms.push_back(c.platform->str());
    }
  } else if (graph.root.config && graph.root.config->size <= 1024 * 1024) {
    // A single image's platform lives in its config; read it (small) to report it.
    auto cfg = client.GetBlobBytes(repository, graph.root.config->digest, 1024 * 1024, scopes, cancel);
    // The config is the source's to choose (its digest proves only that it is the one named):
    // refuse deep nesting before parsing, like every other untrusted JSON.
    if (cfg.ok() && !JsonNestingExceeds(*cfg)) {
      auto j = nlohmann::json::parse(*cfg, nullptr, false);
      if (j.is_object() && j.contains("os") && j["os"].is_string() && j.contains("architecture") &&
          j["architecture"].is_string() && !j["os"].get<std::string>().empty()) {
        oci::Platform p{j["os"].get<std::string>(), j["architecture"].get<std::string>(),
                         j.contains("variant") && j["variant"].is_string() ? j["variant"].get<std::string>() : ""};
        graph.platforms.push_back(p.str());
        graph.image_platform = std::move(p);
      }
    }
  }
  return graph;
}

Result<ImageGraph> SelectPlatforms(ImageGraph graph, const std::vector<oci::Platform>& wanted) {
  if (wanted.empty()) return graph;
  if (!graph.root.is_index()) {
    const std::string what = "image " + graph.root.digest.str();
    if (!graph.image_platform) {
      return InvalidArgument(what +
                             " is a single image whose config names no platform (os/architecture); copy it "
                             "without a platform choice");
    }
    for (const auto& want : wanted) {
      if (!oci::PlatformMatches(want, *graph.image_platform)) {
        return InvalidArgument("platform " + want.str() + " is not in " + what +
                               "; it is a single image for " + graph.image_platform->str());
      }
    }
    return graph;
  }
  PROMOTE_ASSIGN_OR_RETURN(oci::IndexSubset subset, oci::SubsetIndex(graph.root, wanted));
  if (subset.index.digest == graph.root.digest) return graph;

  // What the kept entries reach. Parents come after their children in `children`, so walking it
  // backwards sees each nested index before the manifests it lists.
  std::set<std::string> reachable;
  for (const auto& d : subset.index.children) reachable.insert(d.digest.str());
  for (auto it = graph.children.rbegin(); it != graph.children.rend(); ++it) {
    if (reachable.count(it->digest.str()) == 0 || !it->is_index()) continue;
    for (const auto& d : it->children) reachable.insert(d.digest.str());
  }
  ImageGraph out;
  out.subset_of = graph.root.digest;
  out.root = std::move(subset.index);
  out.platforms = std::move(subset.platforms);
  for (auto& m : graph.children) {
    if (reachable.count(m.digest.str()) != 0) out.children.push_back(std::move(m));
  }
  return out;
}

}  // namespace promote::copy

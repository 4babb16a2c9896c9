// promote resolve REF: the digest, media type and platforms a reference names.
#include <sstream>

#include "copy/image_walker.h"
#include "oci/reference.h"
#include "service/promote_service.h"
#include "service/request_access.h"
#include "service/result_envelope.h"

namespace promote::service {

Outcome PromoteService::Resolve(const v1::ResolveRequest& request, OperationContext* ctx) const {
  const std::string kCommand = "resolve";
  auto ref = oci::ParseReference(request.reference());
  if (!ref.ok()) return FailedOutcome(kCommand, ref.status());
  auto pool = PoolFor(settings_, request.access(), nullptr);
  if (!pool.ok()) return FailedOutcome(kCommand, pool.status());
  auto client = (*pool)->Get(ref->registry, ref->repository);
  if (!client.ok()) return FailedOutcome(kCommand, client.status());
  ctx->progress.phase = "resolve";
  auto graph = copy::WalkImage(**client, ref->repository, ref->Identifier(),
                               {registry::RepositoryScope(ref->repository, "pull")}, &ctx->cancel);
  if (!graph.ok()) return FailedOutcome(kCommand, graph.status());
  if (ref->digest && *ref->digest != graph->root.digest) {
    return FailedOutcome(kCommand, DataLoss("reference " + ref->str() + " resolved to " + graph->root.digest.str()));
  }
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& c : graph->root.children) {
    manifests.push_back({{"digest", c.digest.str()},
                         {"media_type", c.media_type},
                         {"size", c.size},
                         {"platform", c.platform ? nlohmann::json(c.platform->str()) : nlohmann::json(nullptr)}});
  }
  nlohmann::json body = {{"reference", ref->str()},
                         {"digest", graph->root.digest.str()},
                         {"media_type", graph->root.media_type},
                         {"size", graph->root.bytes.size()},
                         {"platforms", graph->platforms},
                         {"manifests", manifests}};
  Outcome out;
  out.command = kCommand;
  out.json = ResultEnvelope(kCommand, OkStatus(), body);
  std::ostringstream text;
  text << graph->root.digest.str() << "\n  media type: " << graph->root.media_type << "\n  platforms:";
  for (const auto& p : graph->platforms) text << " " << p;
  text << "\n";
  out.text = text.str();
  return out;
}

}  // namespace promote::service

// The scan gate as a phase: who the scanners pull (the source digest, with the source registry's
// credentials), which ignore file applies (carried by the request), and whether the reports are
// kept as evidence. The scanning and judging is promotion/scan_gate.h.
#include "promotion/gates/gates.h"
#include "promotion/scan_gate.h"

namespace promote::promotion {
namespace {

// The scanners pull the source; only the promoted platforms are scanned.
Result<ScanSubject> SubjectOf(const PromotionContext& ctx, const PromotionPlan& plan) {
  const policy::Environment& source = *plan.target.source;
  ScanSubject s;
  s.repository_name = source.Name();
  s.digest = plan.source_digest.str();
  s.platforms = plan.graph.platforms;
  for (const auto& child : plan.graph.children) s.manifest_digests.push_back(child.digest.str());
  s.registry_host = source.registry;
  s.insecure_registry = oci::IsLoopbackRegistry(source.registry);
  if (ctx.keychain != nullptr) {
    PROMOTE_ASSIGN_OR_RETURN(s.credentials, ctx.keychain->Resolve(source.registry, source.repository));
  }
  return s;
}

// The environment's scan policy, with the ignore file the request carries for it.
Result<policy::ScanGateConfig> GateConfigOf(const PromotionContext& ctx, const policy::Environment& env) {
  policy::ScanGateConfig gate = *env.scan;
  if (gate.trivyignore.empty()) return gate;
  const std::string what =
      ctx.config.origin + ":" + std::to_string(env.line) + ": environment '" + env.name + "' trivyignore";
  PROMOTE_ASSIGN_OR_RETURN(std::string ignore_file, ctx.AttachedFile(gate.trivyignore, what));
  PROMOTE_RETURN_IF_ERROR(AddIgnoreFile(ignore_file, &gate));
  return gate;
}

}  // namespace

GateOutcome ScanGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  if (!env.scan) return NotApplicable();
  PROMOTE_ASSIGN_OR_RETURN(ScanSubject subject, SubjectOf(ctx, *plan));
  PROMOTE_ASSIGN_OR_RETURN(policy::ScanGateConfig gate, GateConfigOf(ctx, env));
  // The reports' bytes are attached as evidence only where the environment signs.
  ScanGateOutcome outcome = RunScanGate(gate, ctx.config.scanners, subject, ctx.request.cancel,
                                        env.sign ? ReportBytes::kKeep : ReportBytes::kDrop);
  if (outcome.cancelled) return Status(Code::kCancelled, "scan gate: " + outcome.gate.detail);
  plan->scanner_failed = outcome.scanner_failed;
  plan->scan_reports = std::move(outcome.reports);
  return Judged(std::move(outcome.gate));
}

}  // namespace promote::promotion

#include "scan/report_subject.h"

#include <algorithm>

namespace promote::scan {

std::string DigestOfReference(std::string_view reference) {
  size_t at = reference.rfind('@');
  if (at == std::string_view::npos) return "";
  std::string_view digest = reference.substr(at + 1);
  size_t colon = digest.find(':');
  // "algorithm:encoded", as oci::Digest spells it; anything else is not a digest.
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == digest.size()) return "";
  return std::string(digest);
}

void AddNamedDigest(std::string_view reference, std::vector<std::string>* digests) {
  std::string digest = DigestOfReference(reference);
  if (digest.empty() || std::find(digests->begin(), digests->end(), digest) != digests->end()) return;
  digests->push_back(std::move(digest));
}

Status CheckReportSubject(const ScanReport& report, const std::vector<std::string>& scanned) {
  for (const std::string& named : report.named_digests) {
    if (std::find(scanned.begin(), scanned.end(), named) != scanned.end()) continue;
    std::string message = "the report is for another image: it names " + named + ", promote scanned " +
                          (scanned.empty() ? std::string("no digest") : scanned.front());
    if (scanned.size() > 1) message += " (or one of its " + std::to_string(scanned.size() - 1) + " platform manifests)";
    return Unavailable(message);
  }
  return OkStatus();
}

}  // namespace promote::scan

// Which image digests each parser reads out of a report, and the rule that ties a report to the
// digest promote scanned.
#include "scan/report_subject.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "scan/grype_report.h"
#include "scan/sarif_report.h"
#include "scan/trivy_report.h"
#include "scan_test_files.h"

using namespace promote;
using namespace promote::scan;
using promote::scan::testing::Fixture;

namespace {

const std::string kScanned = "sha256:" + std::string(64, 'a');
const std::string kChild = "sha256:" + std::string(64, 'c');
const std::string kOther = "sha256:" + std::string(64, 'b');

}  // namespace

TEST_CASE("DigestOfReference takes the digest of a reference and nothing else") {
  CHECK(DigestOfReference("reg:5000/app@" + kScanned) == kScanned);
  CHECK(DigestOfReference("reg:5000/app:v1@" + kScanned) == kScanned);
  CHECK(DigestOfReference("reg:5000/app:v1") == "");
  CHECK(DigestOfReference("testdata/fixtures/images/photon-30.tar.gz") == "");
  CHECK(DigestOfReference("user@host") == "");
  CHECK(DigestOfReference("app@sha256:") == "");
}

TEST_CASE("the upstream fixtures: Trivy's name no digest, Grype's chainguard scan names its repo digest") {
  for (const char* name : {"trivy-photon30-high-critical.json", "trivy-slmicro54-clean.json",
                           "trivy-debian-buster-unfixed.json", "trivy-fluentd-gems-multi-result.json"}) {
    CAPTURE(name);
    auto r = ParseTrivyJson(Fixture(name));
    REQUIRE(r.ok());
    CHECK(r->named_digests.empty());
    CHECK(CheckReportSubject(*r, {kScanned}).ok());
  }
  auto chainguard = ParseGrypeJson(Fixture("grype-chainguard-ruby.json"));
  REQUIRE(chainguard.ok());
  // Its manifestDigest (sha256:86ab…) is not listed: Grype computes it from the copy it read.
  CHECK(chainguard->named_digests ==
        std::vector<std::string>{"sha256:3c9afb4f188827ea1062ec3b8acea32893236a0d7df31e0498df93486cff0978"});
  auto snapshot = ParseGrypeJson(Fixture("grype-presenter-image-snapshot.json"));
  REQUIRE(snapshot.ok());
  CHECK(snapshot->named_digests.empty());
}

TEST_CASE("a Trivy report naming the scanned digest passes; naming another image is a scanner failure") {
  nlohmann::json doc = nlohmann::json::parse(Fixture("trivy-slmicro54-clean.json"));
  doc["ArtifactName"] = "reg:5000/app@" + kScanned;
  doc["Metadata"]["RepoDigests"] = {"reg:5000/app@" + kScanned, "mirror/app@" + kScanned};
  auto same = ParseTrivyJson(doc.dump());
  REQUIRE(same.ok());
  CHECK(same->named_digests == std::vector<std::string>{kScanned});
  CHECK(CheckReportSubject(*same, {kScanned}).ok());

  // A platform manifest of the scanned index is the same image.
  doc["ArtifactName"] = "reg:5000/app@" + kScanned;
  doc["Metadata"]["RepoDigests"] = {"reg:5000/app@" + kChild};
  auto child = ParseTrivyJson(doc.dump());
  REQUIRE(child.ok());
  CHECK(CheckReportSubject(*child, {kScanned, kChild}).ok());
  CHECK_FALSE(CheckReportSubject(*child, {kScanned}).ok());

  // The tag names the scanned repository, the digest another image: refused.
  doc["ArtifactName"] = "reg:5000/app:v1";
  doc["Metadata"]["RepoDigests"] = {"reg:5000/app@" + kOther};
  auto other = ParseTrivyJson(doc.dump());
  REQUIRE(other.ok());
  Status st = CheckReportSubject(*other, {kScanned, kChild});
  CHECK(st.code() == Code::kUnavailable);
  CHECK(st.message() == "the report is for another image: it names " + kOther + ", promote scanned " + kScanned +
                            " (or one of its 1 platform manifests)");

  doc["Metadata"]["RepoDigests"] = {42};
  auto bad = ParseTrivyJson(doc.dump());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("Metadata.RepoDigests[0]") != std::string::npos);
}

TEST_CASE("Grype's userInput and repoDigests and SARIF's run properties name the image too") {
  nlohmann::json grype = nlohmann::json::parse(Fixture("grype-chainguard-ruby.json"));
  grype["source"]["target"]["userInput"] = "reg:5000/app@" + kOther;
  grype["source"]["target"]["repoDigests"] = {"reg:5000/app@" + kScanned};
  auto g = ParseGrypeJson(grype.dump());
  REQUIRE(g.ok());
  CHECK(g->named_digests == std::vector<std::string>{kOther, kScanned});
  CHECK_FALSE(CheckReportSubject(*g, {kScanned}).ok());
  grype["source"]["target"]["userInput"] = "reg:5000/app@" + kScanned;
  auto g2 = ParseGrypeJson(grype.dump());
  REQUIRE(g2.ok());
  CHECK(CheckReportSubject(*g2, {kScanned}).ok());

  nlohmann::json sarif = {
      {"version", "2.1.0"},
      {"runs",
       {{{"tool", {{"driver", {{"name", "Trivy"}, {"rules", nlohmann::json::array()}}}}},
         {"results", nlohmann::json::array()},
         {"properties",
          {{"imageName", "reg:5000/app:v1"}, {"repoDigests", {"reg:5000/app@" + kOther}}}}}}}};
  auto s = ParseSarif(sarif.dump());
  REQUIRE(s.ok());
  CHECK(s->named_digests == std::vector<std::string>{kOther});
  CHECK_FALSE(CheckReportSubject(*s, {kScanned}).ok());
}

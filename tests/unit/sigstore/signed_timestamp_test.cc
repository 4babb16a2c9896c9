// RFC 3161 signed timestamps in Sigstore bundles: the conformance suite's DSSE bundle (its Rekor
// entry verifies against its trusted root) gets timestamps from a test TSA made with the openssl
// CLI (tests/support/test_tsa.h), and the trusted root gets that TSA. A timestamp over the
// signature from a TSA of the root verifies and its time is reported; every other one refuses
// the bundle, each for its reason.
#include "sigstore/signed_timestamp.h"

#include <doctest/doctest.h>

#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>

#include "sigstore/bundle_verify.h"
#include "sigstore/sigstore_bundle.h"
#include "sigstore/trusted_root.h"
#include "sigstore_test_files.h"
#include "tests/support/test_tsa.h"
#include "util/base64.h"

namespace promote::sigstore {
namespace {

using json = nlohmann::json;
using promote::testing::TestTsa;
using testing::SigstoreFixture;

constexpr const char* kDir = "intoto-canonical-log-entry/";

// The TSAs, made once for the file (each is a few openssl runs).
const TestTsa& GoodTsa() {
  static const TestTsa tsa("promote test");
  return tsa;
}
const TestTsa& StrangerTsa() {
  static const TestTsa tsa("stranger");
  return tsa;
}

json AuthorityJson(const std::vector<std::string>& chain, const std::string& start,
                   const std::string& end = "") {
  json certs = json::array();
  for (const std::string& der : chain) certs.push_back({{"rawBytes", Base64Encode(der)}});
  json valid = {{"start", start}};
  if (!end.empty()) valid["end"] = end;
  return {{"subject", {{"organization", "promote tests"}, {"commonName", "test TSA"}}},
          {"uri", "https://tsa.test"},
          {"certChain", {{"certificates", certs}}},
          {"validFor", valid}};
}

// The fixture's trusted root with `authorities` as its timestampAuthorities.
TrustedRoot RootWith(const json& authorities) {
  json doc = json::parse(SigstoreFixture(std::string(kDir) + "trusted_root.json"));
  doc["timestampAuthorities"] = authorities;
  auto root = ParseTrustedRoot(doc.dump(), "trusted_root.json");
  REQUIRE_MESSAGE(root.ok(), root.status().ToString());
  return std::move(*root);
}

// The fixture's bundle carrying `timestamps` (DER) as its rfc3161Timestamps.
std::string BundleWith(const std::vector<std::string>& timestamps) {
  json doc = json::parse(SigstoreFixture(std::string(kDir) + "bundle.sigstore.json"));
  json list = json::array();
  for (const std::string& der : timestamps) list.push_back({{"signedTimestamp", Base64Encode(der)}});
  doc["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] = list;
  return doc.dump();
}

// The bytes a sigstore timestamp is over: the bundle's (only) DSSE signature.
std::string FixtureSignature() {
  json doc = json::parse(SigstoreFixture(std::string(kDir) + "bundle.sigstore.json"));
  auto sig = Base64Decode(doc["dsseEnvelope"]["signatures"][0]["sig"].get<std::string>());
  REQUIRE(sig.has_value());
  return *sig;
}

Result<VerifiedBundle> VerifyFixture(const std::string& bundle_json, const TrustedRoot* root) {
  auto key = VerificationKey::FromPem(SigstoreFixture(std::string(kDir) + "key.pub"), "key.pub");
  REQUIRE(key.ok());
  PROMOTE_ASSIGN_OR_RETURN(SigstoreBundle bundle, ParseSigstoreBundle(bundle_json));
  const std::string artifact = SigstoreFixture("a.txt");
  return VerifySigstoreBundle(bundle, *key, BundleExpectation{artifact, "", root});
}

TEST_CASE(
    "a timestamp over the bundle's signature verifies against the root's TSA, and any other is refused") {
  const std::string signature = FixtureSignature();
  const std::string token = GoodTsa().Timestamp(signature);
  const std::vector<std::string> chain = GoodTsa().ChainDer();
  const std::vector<std::string> stranger_chain = StrangerTsa().ChainDer();
  const json root = json::array({AuthorityJson(chain, "2020-01-01T00:00:00Z")});
  std::string truncated = token.substr(0, token.size() - 20);

  struct Case {
    std::string what;
    std::vector<std::string> timestamps;
    json authorities;    // the trusted root's timestampAuthorities
    std::string reason;  // empty: verifies
  };
  const Case cases[] = {
      {"good token", {token}, root, ""},
      {"good, as a whole TimeStampResp", {GoodTsa().TimestampResponse(signature)}, root, ""},
      {"good, with a second TSA in the root that does not vouch for it",
       {token},
       json::array({AuthorityJson(stranger_chain, "2020-01-01T00:00:00Z"),
                    AuthorityJson(chain, "2020-01-01T00:00:00Z")}),
       ""},
      {"over another signature", {GoodTsa().Timestamp(signature + "x")}, root, "message imprint mismatch"},
      {"over the artifact instead of the signature",
       {GoodTsa().Timestamp(SigstoreFixture("a.txt"))},
       root,
       "message imprint mismatch"},
      {"from a TSA not in the root",
       {StrangerTsa().Timestamp(signature)},
       root,
       "does not verify with this authority's certificate chain"},
      {"signed by another leaf than the root names",
       {token},
       json::array({AuthorityJson({stranger_chain[0], chain[1], chain[2]}, "2020-01-01T00:00:00Z")}),
       "signed by a certificate other than this authority's leaf"},
      {"genTime after the TSA's validity",
       {token},
       json::array({AuthorityJson(chain, "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z")}),
       "is outside this authority's validity (from 2020-01-01T00:00:00Z until 2021-01-01T00:00:00Z)"},
      {"genTime before the TSA's validity",
       {token},
       json::array({AuthorityJson(chain, "2999-01-01T00:00:00Z")}),
       "is outside this authority's validity (from 2999-01-01T00:00:00Z, no end)"},
      {"a root without timestamp authorities", {token}, json::array(), "has no timestamp authority"},
      {"one good, one from a stranger",
       {token, StrangerTsa().Timestamp(signature)},
       root,
       "timestamp 2 of 2"},
      {"not DER", {"not a timestamp"}, root, "is neither a DER RFC 3161 TimeStampToken nor a TimeStampResp"},
      {"truncated token", {truncated}, root, "is neither a DER RFC 3161 TimeStampToken nor a TimeStampResp"},
      {"token with trailing bytes", {token + "xx"}, root, "is neither a DER RFC 3161 TimeStampToken"},
  };
  const int64_t before = std::time(nullptr);
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const TrustedRoot trusted_root = RootWith(c.authorities);
    auto verdict = VerifyFixture(BundleWith(c.timestamps), &trusted_root);
    CHECK_MESSAGE(verdict.ok() == c.reason.empty(), verdict.status().ToString());
    if (verdict.ok()) {
      CHECK_FALSE(verdict->key_only);
      CHECK(verdict->tlog_entries_verified == 1);
      REQUIRE(verdict->timestamps.size() == 1);
      CHECK(verdict->timestamps[0].time >= before - 5);
      CHECK(verdict->timestamps[0].time <= std::time(nullptr) + 5);
      CHECK(verdict->timestamps[0].tsa_subject == "O=promote tests, CN=test TSA");
      CHECK(verdict->timestamps[0].tsa_uri == "https://tsa.test");
      CHECK(verdict->timestamps_unchecked == 0);
    } else {
      CHECK(verdict.status().code() == Code::kGateRefused);
      CHECK_MESSAGE(verdict.status().message().find(c.reason) != std::string::npos,
                    verdict.status().message());
      CHECK(verdict.status().message().find("RFC 3161 timestamp") == 0);
    }
  }
}

TEST_CASE(
    "without a trusted root, timestamps are counted as unchecked, not verified; bundles without any are "
    "unchanged") {
  const std::string token = GoodTsa().Timestamp(FixtureSignature());
  struct Case {
    std::vector<std::string> timestamps;
    size_t unchecked;
  };
  // Key-only mode trusts no TSA, so even a malformed token is not looked at.
  const Case cases[] = {{{}, 0}, {{token}, 1}, {{token, "not DER"}, 2}};
  for (const Case& c : cases) {
    CAPTURE(c.unchecked);
    auto verdict = VerifyFixture(BundleWith(c.timestamps), nullptr);
    REQUIRE_MESSAGE(verdict.ok(), verdict.status().ToString());
    CHECK(verdict->key_only);
    CHECK(verdict->timestamps.empty());
    CHECK(verdict->timestamps_unchecked == c.unchecked);
  }
  const TrustedRoot root =
      RootWith(json::array({AuthorityJson(GoodTsa().ChainDer(), "2020-01-01T00:00:00Z")}));
  auto none = VerifyFixture(BundleWith({}), &root);
  REQUIRE_MESSAGE(none.ok(), none.status().ToString());
  CHECK(none->timestamps.empty());
  CHECK(none->tlog_entries_verified == 1);
}

TEST_CASE("malformed timestamp fields are bundle parse errors naming the field") {
  json doc = json::parse(SigstoreFixture(std::string(kDir) + "bundle.sigstore.json"));
  json& data = doc["verificationMaterial"]["timestampVerificationData"];
  struct Case {
    json value;
    std::string message;
  };
  const Case cases[] = {
      {json{{"rfc3161Timestamps", json::array({{{"signedTimestamp", "***"}}})}},
       "sigstore bundle: timestampVerificationData.rfc3161Timestamps[0].signedTimestamp is not valid base64"},
      {json{{"rfc3161Timestamps", json::array({{{"signedTimestamp", ""}}})}},
       "sigstore bundle: timestampVerificationData.rfc3161Timestamps[0].signedTimestamp is empty"},
      {json{{"rfc3161Timestamps", json::array({json::object()})}},
       "sigstore bundle: timestampVerificationData.rfc3161Timestamps[0].signedTimestamp is missing or not a "
       "string"},
      {json{{"rfc3161Timestamps", json::array({"AAAA"})}},
       "sigstore bundle: timestampVerificationData.rfc3161Timestamps[0] is not an object"},
      {json{{"rfc3161Timestamps", "AAAA"}},
       "sigstore bundle: timestampVerificationData.rfc3161Timestamps is not an array"},
      {json::array(), "sigstore bundle: verificationMaterial.timestampVerificationData is not an object"},
      {json{{"rfc3161Timestamps",
             json(std::vector<json>(kMaxSignedTimestamps + 1, {{"signedTimestamp", "AAAA"}}))}},
       "sigstore bundle: timestampVerificationData.rfc3161Timestamps holds 33 timestamps, more than 32"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.message);
    data = c.value;
    auto parsed = ParseSigstoreBundle(doc.dump());
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK(parsed.status().message() == c.message);
  }
}

TEST_CASE(
    "timestamp authorities in a trusted root are read with their chain and window; unusable ones name the "
    "file") {
  const std::vector<std::string> chain = GoodTsa().ChainDer();
  const TrustedRoot root =
      RootWith(json::array({AuthorityJson(chain, "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z")}));
  REQUIRE(root.timestamp_authorities.size() == 1);
  const TimestampAuthority& tsa = root.timestamp_authorities[0];
  CHECK(tsa.subject == "O=promote tests, CN=test TSA");
  CHECK(tsa.uri == "https://tsa.test");
  CHECK(tsa.cert_chain == chain);
  CHECK(tsa.valid_from == 1577836800);
  CHECK(tsa.valid_until == 1893456000);

  auto with = [&](const std::function<void(json&)>& edit) {
    json tsa_json = AuthorityJson(chain, "2020-01-01T00:00:00Z");
    edit(tsa_json);
    json doc = json::parse(SigstoreFixture(std::string(kDir) + "trusted_root.json"));
    doc["timestampAuthorities"] = json::array({tsa_json});
    return ParseTrustedRoot(doc.dump(), "tr.json").status();
  };
  struct Case {
    std::function<void(json&)> edit;
    std::string message;
  };
  const Case cases[] = {
      {[](json& t) { t.erase("certChain"); },
       "tr.json: timestampAuthorities[0]: certChain.certificates is missing or empty"},
      {[](json& t) { t["certChain"]["certificates"] = json::array(); },
       "tr.json: timestampAuthorities[0]: certChain.certificates is missing or empty"},
      {[](json& t) { t["certChain"]["certificates"][1]["rawBytes"] = "%%"; },
       "tr.json: timestampAuthorities[0]: certChain.certificates[1].rawBytes is not base64"},
      {[](json& t) { t["certChain"]["certificates"][0]["rawBytes"] = Base64Encode("not a certificate"); },
       "tr.json: timestampAuthorities[0]: certChain.certificates[0].rawBytes is not a DER X.509 certificate"},
      {[&](json& t) { t["certChain"]["certificates"][0]["rawBytes"] = Base64Encode(chain[0] + "x"); },
       "tr.json: timestampAuthorities[0]: certChain.certificates[0].rawBytes is not a DER X.509 certificate"},
      {[](json& t) { t.erase("validFor"); }, "tr.json: timestampAuthorities[0]: validFor.start is missing"},
      {[](json& t) { t["validFor"]["end"] = "tomorrow"; },
       "tr.json: timestampAuthorities[0]: validFor.end is not an RFC 3339 time"},
  };
  for (const Case& c : cases) {
    Status st = with(c.edit);
    CHECK(st.code() == Code::kInvalidArgument);
    CHECK(st.message() == c.message);
  }
  json doc = json::parse(SigstoreFixture(std::string(kDir) + "trusted_root.json"));
  doc["timestampAuthorities"] = json::object();
  CHECK(ParseTrustedRoot(doc.dump(), "tr.json").status().message() ==
        "tr.json: timestampAuthorities is not an array");
}

TEST_CASE(
    "SignedTimestamp reads a token's claimed time before trusting it, and Covers checks the imprint only") {
  const int64_t before = std::time(nullptr);
  auto parsed = SignedTimestamp::Parse(GoodTsa().Timestamp("signature bytes"));
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  CHECK(parsed->claimed_time() >= before - 5);
  CHECK(parsed->Covers("signature bytes"));
  CHECK_FALSE(parsed->Covers("signature byteS"));
  CHECK_FALSE(parsed->Covers(""));
  CHECK(SignedTimestamp::Parse("").status().message() == "is empty");
  // A certificate is DER, but neither a token nor a response.
  CHECK(SignedTimestamp::Parse(GoodTsa().ChainDer()[0]).status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace promote::sigstore

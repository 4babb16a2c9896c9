#include "sigstore/dsse.h"

#include <doctest/doctest.h>

#include "sigstore_test_files.h"
#include "util/base64.h"

namespace promote::sigstore {
namespace {

using testing::ReplaceOnce;

TEST_CASE("PAE matches the DSSE specification's vectors") {
  struct Case {
    std::string type;
    std::string body;
    std::string pae;
  };
  const Case cases[] = {
      {"http://example.com/HelloWorld", "hello world",
       "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
      {"", "", "DSSEv1 0  0 "},
      {"t", "caf\xc3\xa9", "DSSEv1 1 t 5 caf\xc3\xa9"},  // lengths count bytes, not characters
  };
  for (const Case& c : cases) {
    CAPTURE(c.pae);
    CHECK(PreAuthEncoding(c.type, c.body) == c.pae);
  }
}

TEST_CASE("envelopes encode as go-securesystemslib writes them") {
  DsseEnvelope envelope{"http://example.com/HelloWorld", "hello world", {{"", "\x01\x02"}, {"k1", "\xff"}}};
  const std::string expected =
      R"({"payloadType":"http://example.com/HelloWorld","payload":"aGVsbG8gd29ybGQ=",)"
      R"("signatures":[{"keyid":"","sig":"AQI="},{"keyid":"k1","sig":"/w=="}]})";
  CHECK(EncodeDsseEnvelope(envelope) == expected);

  auto parsed = ParseDsseEnvelope(expected);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  CHECK(parsed->payload_type == envelope.payload_type);
  CHECK(parsed->payload == "hello world");
  REQUIRE(parsed->signatures.size() == 2);
  CHECK(parsed->signatures[1].keyid == "k1");
  CHECK(parsed->signatures[1].signature == "\xff");
}

TEST_CASE("envelope parsing accepts URL-safe base64 and refuses malformed envelopes") {
  const std::string good =
      R"({"payloadType":"t","payload":"aGVsbG8gd29ybGQ=","signatures":[{"keyid":"","sig":"AQI="}]})";
  auto url_safe =
      ParseDsseEnvelope(ReplaceOnce(ReplaceOnce(good, "aGVsbG8gd29ybGQ=", "-_-_"), "AQI=", "AQI"));
  REQUIRE_MESSAGE(url_safe.ok(), url_safe.status().ToString());
  CHECK(url_safe->payload == "\xfb\xff\xbf");
  CHECK(url_safe->signatures[0].signature == "\x01\x02");
  CHECK(ParseDsseEnvelope(ReplaceOnce(good, R"("keyid":"",)", "")).ok());  // keyid is optional on input

  struct Case {
    const char* name;
    std::string json;
    const char* error;
  };
  const Case cases[] = {
      {"not JSON", "{", "malformed JSON"},
      {"not an object", "\"x\"", "must be a JSON object"},
      {"payloadType missing", ReplaceOnce(good, R"("payloadType":"t",)", ""), "payloadType is missing"},
      {"payload missing", ReplaceOnce(good, R"("payload":"aGVsbG8gd29ybGQ=",)", ""), "payload is missing"},
      {"payload bad base64", ReplaceOnce(good, "aGVsbG8gd29ybGQ=", "a*b"), "payload is not valid base64"},
      {"signatures empty", ReplaceOnce(good, R"({"keyid":"","sig":"AQI="})", ""), "non-empty array"},
      {"signatures not array", ReplaceOnce(good, R"([{"keyid":"","sig":"AQI="}])", "{}"), "non-empty array"},
      {"sig missing", ReplaceOnce(good, R"(,"sig":"AQI=")", ""), "signatures[].sig is missing"},
      {"keyid not string", ReplaceOnce(good, R"("keyid":"")", R"("keyid":1)"), "keyid must be a string"},
      {"duplicate key", ReplaceOnce(good, R"("payloadType":"t")", R"("payloadType":"t","payloadType":"u")"),
       "duplicate JSON key"},
      {"deeply nested", ReplaceOnce(good, "{\"keyid\"", std::string(5000, '[') + std::string(5000, ']') + ",{\"keyid\""),
       "JSON nested deeper than 1000 levels"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto parsed = ParseDsseEnvelope(c.json);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::kInvalidArgument);
    CHECK_MESSAGE(parsed.status().message().find(c.error) != std::string::npos, parsed.status().message());
  }
}

TEST_CASE("DSSE sign and verify round trip; tampering and other keys are refused") {
  auto key = PrivateKey::Generate();
  auto other = PrivateKey::Generate();
  REQUIRE(key.ok());
  REQUIRE(other.ok());
  const std::string statement = R"({"_type":"https://in-toto.io/Statement/v0.1"})";
  auto envelope = SignDsse(kInTotoPayloadType, statement, *key);
  REQUIRE(envelope.ok());
  REQUIRE(envelope->signatures.size() == 1);
  CHECK(envelope->signatures[0].keyid.empty());

  auto reparsed = ParseDsseEnvelope(EncodeDsseEnvelope(*envelope));
  REQUIRE(reparsed.ok());
  CHECK(VerifyDsse(*reparsed, key->public_key()).ok());
  CHECK(VerifyDsse(*reparsed, other->public_key()).code() == Code::kGateRefused);

  DsseEnvelope tampered_payload = *reparsed;
  tampered_payload.payload += " ";
  CHECK(VerifyDsse(tampered_payload, key->public_key()).code() == Code::kGateRefused);

  DsseEnvelope tampered_type = *reparsed;
  tampered_type.payload_type = "application/json";
  CHECK(VerifyDsse(tampered_type, key->public_key()).code() == Code::kGateRefused);

  // One valid signature among several is enough.
  auto by_other = SignDsse(kInTotoPayloadType, statement, *other);
  REQUIRE(by_other.ok());
  DsseEnvelope both = *by_other;
  both.signatures.push_back(reparsed->signatures[0]);
  CHECK(VerifyDsse(both, key->public_key()).ok());
  CHECK(VerifyDsse(*by_other, key->public_key()).code() == Code::kGateRefused);
}

}  // namespace
}  // namespace promote::sigstore

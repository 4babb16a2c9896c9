#include "util/json_fields.h"

#include <doctest/doctest.h>

using promote::StringMember;

TEST_CASE("StringMember: a string member, or empty for anything else") {
  const auto doc = nlohmann::json::parse(R"({"name":"app","size":3,"tags":["a"],"none":null,"empty":""})");
  CHECK(StringMember(doc, "name") == "app");
  CHECK(StringMember(doc, "empty").empty());
  CHECK(StringMember(doc, "size").empty());
  CHECK(StringMember(doc, "tags").empty());
  CHECK(StringMember(doc, "none").empty());
  CHECK(StringMember(doc, "missing").empty());
  // Not an object: no member to read, and no exception.
  CHECK(StringMember(nlohmann::json::array({"name"}), "name").empty());
  CHECK(StringMember(nlohmann::json("name"), "name").empty());
  CHECK(StringMember(nlohmann::json(), "name").empty());
}

TEST_CASE("StringMember: ordered_json reads the same") {
  const auto doc = nlohmann::ordered_json::parse(R"({"digest":"sha256:00","size":3})");
  CHECK(StringMember(doc, "digest") == "sha256:00");
  CHECK(StringMember(doc, "size").empty());
  CHECK(StringMember(nlohmann::ordered_json::array(), "digest").empty());
}

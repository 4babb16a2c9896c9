// A promotion record's predicate is read back from the registry: whatever it holds, reading it
// gives a record or an error, never an exception.
#include "promotion/promotion_record.h"

#include <doctest/doctest.h>

using promote::promotion::PromotionRecord;

TEST_CASE("a record round-trips through its predicate") {
  PromotionRecord r;
  r.from_env = "stage";
  r.to_env = "prod";
  r.to_reference = "reg.io/prod/app:1.2.3";
  r.digest = "sha256:" + std::string(64, 'a');
  r.tags = {"1.2.3", "latest"};
  auto back = PromotionRecord::FromPredicate(r.ToPredicate());
  REQUIRE(back.ok());
  CHECK(back->to_env == "prod");
  CHECK(back->digest == r.digest);
  CHECK(back->tags == r.tags);
}

TEST_CASE("hostile predicates give an error or the fields that are well typed, never an exception") {
  const std::string digest = "\"sha256:" + std::string(64, 'b') + "\"";
  struct Case {
    std::string predicate;
    bool ok;
  } cases[] = {
      {"5", false},
      {"[]", false},
      {R"({"to":5,"digest":"x"})", false},
      {R"({"to":{"env":5},"digest":)" + digest + "}", false},  // to.env not a string: empty, refused
      {R"({"to":{"env":"prod"},"digest":7})", false},
      {R"({"to":{"env":"prod"},"digest":)" + digest +
           R"(,"from":[1],"git":"x","tags":"latest","ci":[],"time":5,"caller":{},"subset_of":{"digest":1,"platforms":[1,null,{}]}})",
       true},
      {R"({"to":{"env":"prod"},"digest":)" + digest + R"(,"tags":[1,"v1",null],"gates":"anything"})", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.predicate);
    nlohmann::json j = nlohmann::json::parse(c.predicate);
    auto r = PromotionRecord::FromPredicate(j);
    CHECK(r.ok() == c.ok);
    if (!r.ok()) CHECK(r.status().code() == promote::Code::kInvalidArgument);
  }
}

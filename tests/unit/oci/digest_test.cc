#include "oci/digest.h"

#include <doctest/doctest.h>

TEST_CASE("digests parse and compute") {
  auto d = promote::oci::Digest::Of("{}");
  CHECK(d.str() == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  CHECK(d.TagForm() == "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  auto p = promote::oci::Digest::Parse(d.str());
  REQUIRE(p.ok());
  CHECK(*p == d);
  CHECK_FALSE(promote::oci::Digest::Parse("sha256:").ok());
  CHECK_FALSE(promote::oci::Digest::Parse("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a").ok());
  CHECK_FALSE(promote::oci::Digest::Parse("sha512:" + std::string(128, 'a')).ok());
}

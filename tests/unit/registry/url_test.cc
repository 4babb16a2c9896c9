#include "registry/url.h"

#include <doctest/doctest.h>

using namespace promote::registry;

TEST_CASE("upload Locations are resolved against the registry and queries appended") {
  CHECK(ResolveLocation("http://r:5000", "/v2/a/blobs/uploads/u?_state=x") == "http://r:5000/v2/a/blobs/uploads/u?_state=x");
  CHECK(ResolveLocation("http://r:5000", "https://s3.example.com/up?sig=1") == "https://s3.example.com/up?sig=1");
  CHECK(AppendQuery("http://r/v2/a/blobs/uploads/u?_state=x", "digest", "sha256:ab") ==
        "http://r/v2/a/blobs/uploads/u?_state=x&digest=sha256%3Aab");
  CHECK(AppendQuery("http://r/u", "from", "dev/app") == "http://r/u?from=dev%2Fapp");
  CHECK(UrlEncode("repository:a/b:pull,push") == "repository%3Aa%2Fb%3Apull%2Cpush");
}

// Registry error bodies (registry/registry_error.h): whatever a registry answers, the parser
// returns a Status (never throws), with an error code, the context it was given and a bounded,
// printable message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "registry/registry_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace promote;
  using namespace promote::registry;
  if (size < 1) return 0;
  HttpResponse response;
  // The first byte picks the HTTP status and whether the body was cut at its bound.
  static const long kStatuses[] = {400, 401, 403, 404, 405, 408, 409, 416, 429, 500, 502, 503};
  response.status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
  response.body_truncated = (data[0] & 0x80) != 0;
  response.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  Status st = RegistryErrorFromResponse(response, "GET manifest r.io/app:v1");
  FUZZ_CHECK(!st.ok());
  FUZZ_CHECK(st.message().rfind("GET manifest r.io/app:v1", 0) == 0);
  FUZZ_CHECK(st.message().size() < 1000);
  for (char c : st.message()) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  return 0;
}

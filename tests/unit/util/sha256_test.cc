#include "util/sha256.h"

#include <doctest/doctest.h>

TEST_CASE("sha256 matches known vectors, one-shot and incremental") {
  CHECK(promote::Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(promote::Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  promote::Sha256 h;
  h.Update("a");
  h.Update("bc");
  CHECK(h.FinishHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Probe for tests/arrows: a module including its own headers compiles.
#include "oci/digest.h"

int PromoteArrowProbeOwn() { return 0; }

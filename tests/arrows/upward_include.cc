// Probe for tests/arrows: oci/ sits below copy/, so this include must not compile.
#include "oci/digest.h"
#include "copy/image_copier.h"

int PromoteArrowProbeUpward() { return 0; }

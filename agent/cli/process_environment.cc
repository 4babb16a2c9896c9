#include "cli/process_environment.h"

extern char** environ;

namespace promote::cli {

EnvironmentVariables ProcessEnvironment() { return EnvironmentVariables::FromEntries(environ); }

}  // namespace promote::cli

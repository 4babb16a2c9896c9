// promote's error codes and gRPC status codes, both ways: the agent ends a failed call with the
// gRPC code that says what failed (a refused gate is not a registry failure is not a bad
// argument); the client turns a call that failed before any result back into a promote code.
#pragma once

#include <grpcpp/grpcpp.h>

#include "util/status.h"

namespace promote::api {

grpc::StatusCode GrpcCodeFor(Code code);
Code CodeForGrpc(grpc::StatusCode code);

}  // namespace promote::api

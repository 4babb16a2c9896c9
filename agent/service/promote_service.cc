#include "service/promote_service.h"

namespace promote::service {

PromoteService::PromoteService(ServiceSettings settings) : settings_(std::move(settings)) {}

}  // namespace promote::service

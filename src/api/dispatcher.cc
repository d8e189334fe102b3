#include "api/dispatcher.h"

namespace stepfn::api {

void ServiceDispatcher::AddJson(AwsJsonProtocol* protocol) {
  if (observer_ != nullptr) protocol->SetObserver(observer_);
  json_[protocol->options().target_prefix] = protocol;
}

void ServiceDispatcher::AddRest(RestJsonProtocol* protocol) {
  if (observer_ != nullptr) protocol->SetObserver(observer_);
  rest_.push_back(protocol);
}

void ServiceDispatcher::SetObserver(RequestObserver* observer) {
  observer_ = observer;
  for (auto& [prefix, protocol] : json_) protocol->SetObserver(observer);
  for (RestJsonProtocol* protocol : rest_) protocol->SetObserver(observer);
}

Handler* ServiceDispatcher::Choose(const HttpRequest& request) const {
  if (const std::string* target = request.FindHeader("X-Amz-Target")) {
    std::string_view name = *target;
    size_t dot = name.find('.');
    auto found = json_.find(std::string(name.substr(0, dot)));
    return found != json_.end() ? found->second : fallback_;
  }
  for (RestJsonProtocol* protocol : rest_) {
    if (protocol->Matches(request.method, request.target)) return protocol;
  }
  for (RestJsonProtocol* protocol : rest_) {
    if (protocol->Claims(request.target)) return protocol;
  }
  return fallback_;
}

void ServiceDispatcher::Handle(HttpRequest request, Responder responder) {
  Choose(request)->Handle(std::move(request), std::move(responder));
}

HttpResponse ServiceDispatcher::Reject(RejectReason reason, std::string_view detail) {
  return fallback_->Reject(reason, detail);
}

size_t ServiceDispatcher::BodyLimit(const HttpRequest& head, size_t default_limit) {
  return Choose(head)->BodyLimit(head, default_limit);
}

}  // namespace stepfn::api

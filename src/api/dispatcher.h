// ServiceDispatcher: several AWS services on one port. A Handler that sends each request to the
// protocol of the service it is meant for:
//   1. an `X-Amz-Target: <prefix>.<Operation>` header names an awsJson service by its target
//      prefix ("AWSStepFunctions", "Logs_20140328", "DynamoDB_20120810");
//   2. otherwise a restJson service whose route matches the method and path takes it (Lambda:
//      "POST /2015-03-31/functions/{FunctionName}/invocations");
//   3. otherwise a restJson service that claims the path's first segment ("/2015-03-31/...")
//      answers it (404 UnknownOperationException in its own shape);
//   4. everything else goes to the fallback (Step Functions' awsJson protocol, which answers
//      a missing or unknown target and a wrong method as it always did).
// Each protocol checks its own signatures (with its own signing name), so one endpoint serves
// clients of every service. BodyLimit asks the protocol the request is meant for (a restJson
// route may take large bodies). Requests the HTTP server refuses are answered by the fallback
// (the server cannot say which service they were for); every AWS client reads that shape (the
// error code from x-amzn-ErrorType, the message from "message").
//
//   ServiceDispatcher services(&sfn_protocol);
//   services.AddJson(&logs_protocol);       // Logs_20140328.*
//   services.AddRest(&lambda_protocol);     // /2015-03-31/...
//   HttpServer::Start(options, &services);  // or behind a Router
//
// Thread safety: Add* and SetObserver before serving; then Handle, Reject and BodyLimit from any
// number of threads.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/aws_json.h"
#include "api/http_server.h"
#include "api/protocol.h"
#include "api/rest_json.h"

namespace stepfn::api {

class ServiceDispatcher final : public Handler {
 public:
  // `fallback` (usually Step Functions' AwsJsonProtocol, also reachable by its prefix when
  // added with AddJson) must outlive the dispatcher.
  explicit ServiceDispatcher(Handler* fallback) : fallback_(fallback) {}

  // Serves `protocol` under its options().target_prefix (a later one with the same prefix
  // replaces it). It gets the dispatcher's observer.
  void AddJson(AwsJsonProtocol* protocol);
  // Serves `protocol`'s routes (services added earlier win when two match). It gets the
  // dispatcher's observer.
  void AddRest(RestJsonProtocol* protocol);
  // Observes every protocol added, before or after this call (null for none).
  void SetObserver(RequestObserver* observer);

  void Handle(HttpRequest request, Responder responder) override;
  HttpResponse Reject(RejectReason reason, std::string_view detail) override;
  size_t BodyLimit(const HttpRequest& head, size_t default_limit) override;

 private:
  Handler* Choose(const HttpRequest& request) const;

  Handler* const fallback_;
  std::unordered_map<std::string, AwsJsonProtocol*> json_;
  std::vector<RestJsonProtocol*> rest_;
  RequestObserver* observer_ = nullptr;
};

}  // namespace stepfn::api

// Router: a Handler in front of the AWS protocol that sends a few (method, path) pairs to other
// handlers (`GET /metrics`, `GET /logs/...`, later the web console) and everything else to a
// fallback (the AwsJsonProtocol, which answers any path).
//
//   api::Router router(&protocol);
//   router.Route("GET", "/metrics", [&](HttpRequest r, Responder out) { ... });
//   router.RoutePrefix("GET", "/logs/", ...);   // "/logs/x", "/logs//aws/y"
//   HttpServer::Start(options, &router);
//
// Matching uses the target's path (before any '?'), still percent-encoded, compared byte for
// byte; an exact route wins over a prefix route, and the longest prefix wins among prefixes. A
// request whose method has no route for its path goes to the fallback, so a POST to /metrics is
// still an AWS request (the SDKs post to whatever path the endpoint URL has).
//
// Thread safety: Route* must all happen before the router serves its first request; after that
// Handle and Reject may run on any number of threads at once (as any Handler).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_server.h"

namespace stepfn::api {

// Answers one request through its Responder (now or later, from any thread), like
// Handler::Handle.
using RouteHandler = std::function<void(HttpRequest, Responder)>;

class Router final : public Handler {
 public:
  // `fallback` gets every request no route takes, and decides the shape of rejections (Reject).
  // It must outlive the router.
  explicit Router(Handler* fallback) : fallback_(fallback) {}

  // Requests with this method and exactly this path.
  void Route(std::string method, std::string path, RouteHandler handler);
  // Requests with this method and a path that starts with `prefix`.
  void RoutePrefix(std::string method, std::string prefix, RouteHandler handler);

  void Handle(HttpRequest request, Responder responder) override;
  // The fallback's rejection (the server cannot tell which route a refused request was for).
  HttpResponse Reject(RejectReason reason, std::string_view detail) override;
  // `default_limit` for a routed request, else the fallback's answer.
  size_t BodyLimit(const HttpRequest& head, size_t default_limit) override;

 private:
  struct Entry {
    std::string method;
    std::string path;
    bool prefix = false;
    RouteHandler handler;
  };
  const RouteHandler* Find(std::string_view method, std::string_view path) const;

  Handler* const fallback_;
  std::vector<Entry> routes_;
};

// The path part of a request target: "/logs/a%2Fb?x=1" -> "/logs/a%2Fb".
std::string_view TargetPath(std::string_view target);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings). False when
// an escape is malformed.
bool PercentDecode(std::string_view text, bool plus_is_space, std::string* out);

// The query parameters of a target, decoded, in order ("?a=1&b" gives {a,1}, {b,""}). Malformed
// escapes are kept as written.
std::vector<std::pair<std::string, std::string>> QueryParameters(std::string_view target);

// A response with a body and its content type ("text/plain; charset=utf-8", ...).
HttpResponse TextResponse(int status, std::string_view content_type, std::string body);

}  // namespace stepfn::api

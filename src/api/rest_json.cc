#include "api/rest_json.h"

#include <tuple>

#include "api/router.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::api {

namespace {

const std::string* FindParameter(const Parameters& parameters, std::string_view name) {
  for (const auto& [key, value] : parameters) {
    if (key == name) return &value;
  }
  return nullptr;
}

// "/a/b/" -> {"a", "b"}; "/" and "" -> {}. One trailing '/' is ignored; inner empty segments
// are kept ("/a//b" -> {"a", "", "b"}).
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return segments;
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

std::string Decoded(std::string_view raw) {
  std::string out;
  if (!PercentDecode(raw, false, &out)) return std::string(raw);
  return out;
}

}  // namespace

struct RestJsonProtocol::Route {
  enum class Kind { Literal, Label, Greedy };
  struct Segment {
    Kind kind = Kind::Literal;
    std::string text;  // the literal, or the label's name
  };
  struct QueryLiteral {
    std::string key;
    std::string value;
    bool has_value = false;
  };

  std::string name;
  std::string method;
  std::string path_template;
  std::vector<Segment> segments;
  std::vector<QueryLiteral> query;
  RestOperation operation;
  RestRouteOptions options;

  // Higher is more specific.
  std::tuple<int, int, int> Rank() const {
    int literals = 0;
    bool greedy = false;
    for (const Segment& s : segments) {
      if (s.kind == Kind::Literal) ++literals;
      if (s.kind == Kind::Greedy) greedy = true;
    }
    return {literals, query.empty() ? 0 : 1, greedy ? 0 : 1};
  }

  bool Match(const std::vector<std::string_view>& path, const Parameters& query_parameters,
             Parameters* labels) const {
    labels->clear();
    size_t i = 0;
    for (const Segment& segment : segments) {
      if (segment.kind == Kind::Greedy) {
        if (i >= path.size()) return false;
        std::string raw;
        for (size_t j = i; j < path.size(); ++j) {
          if (j > i) raw += '/';
          raw.append(path[j]);
        }
        std::string value = Decoded(raw);
        if (value.empty()) return false;
        labels->emplace_back(segment.text, std::move(value));
        i = path.size();
        break;
      }
      if (i >= path.size()) return false;
      if (segment.kind == Kind::Literal) {
        if (path[i] != segment.text) return false;
      } else {
        std::string value = Decoded(path[i]);
        if (value.empty()) return false;
        labels->emplace_back(segment.text, std::move(value));
      }
      ++i;
    }
    if (i != path.size()) return false;
    for (const QueryLiteral& literal : query) {
      const std::string* value = FindParameter(query_parameters, literal.key);
      if (value == nullptr) return false;
      if (literal.has_value && *value != literal.value) return false;
    }
    return true;
  }
};

const std::string* RestRequest::Label(std::string_view name) const {
  return FindParameter(labels, name);
}

const std::string* RestRequest::Query(std::string_view name) const {
  return FindParameter(query, name);
}

const std::string* RestRequest::Header(std::string_view name) const {
  return FindHeader(headers, name);
}

AwsOr<json::Value> RestRequest::JsonBody() const {
  bool blank = true;
  for (char c : body) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      blank = false;
      break;
    }
  }
  if (blank) return json::Value::EmptyObject();
  Result<json::Value> parsed = json::Parse(body);
  if (!parsed.ok()) {
    return AwsError::Serialization("The request body is not valid JSON: " +
                                   parsed.status().message());
  }
  if (!parsed->is_object()) {
    return AwsError::Serialization("The request body must be a JSON object, not " +
                                   std::string(json::TypeName(parsed->type())));
  }
  return std::move(parsed).value();
}

RestResponse RestResponse::Json(const json::Value& value, int status) {
  RestResponse response;
  response.status = status;
  json::WriteTo(value, &response.body);
  return response;
}

RestResponse RestResponse::Empty(int status) {
  RestResponse response;
  response.status = status;
  response.content_type.clear();
  return response;
}

HttpResponse RestJsonErrorResponse(const AwsError& error, std::string_view request_id,
                                   bool type_field) {
  HttpResponse response;
  response.status = error.http_status;
  response.headers.emplace_back("x-amzn-RequestId", std::string(request_id));
  response.headers.emplace_back("x-amzn-ErrorType", error.code);
  response.headers.emplace_back("Content-Type", "application/json");
  std::string& body = response.body;
  if (type_field) {
    body = "{\"Type\":";
    json::WriteString(error.http_status >= 500 ? "Service" : "User", &body);
    body += ",\"Message\":";
  } else {
    body = "{\"message\":";
  }
  json::WriteString(error.message, &body);
  body += "}";
  return response;
}

void RestResponder::Send(RestResponse response) {
  report_.Report(response.status, {}, {});
  HttpResponse http;
  http.status = response.status;
  http.headers = std::move(response.headers);
  if (!FindHeader(http.headers, "x-amzn-RequestId")) {
    http.headers.emplace_back("x-amzn-RequestId", report_.request_id);
  }
  if (!response.content_type.empty() && !FindHeader(http.headers, "Content-Type")) {
    http.headers.emplace_back("Content-Type", std::move(response.content_type));
  }
  http.body = std::move(response.body);
  responder_.Send(std::move(http));
}

void RestResponder::Fail(const AwsError& error) {
  report_.ReportError(error);
  responder_.Send(RestJsonErrorResponse(error, report_.request_id, error_type_field_));
}

void RestResponder::Finish(AwsOr<RestResponse> outcome) {
  if (auto* response = std::get_if<RestResponse>(&outcome)) {
    Send(std::move(*response));
  } else {
    Fail(std::get<AwsError>(outcome));
  }
}

RestJsonProtocol::RestJsonProtocol(RestJsonOptions options, const Credentials* credentials,
                                   Clock* clock)
    : options_(std::move(options)), credentials_(credentials), clock_(clock) {}

RestJsonProtocol::~RestJsonProtocol() = default;

Status RestJsonProtocol::Register(std::string name, std::string method,
                                  std::string_view path_template, RestOperation operation,
                                  RestRouteOptions route_options) {
  auto route = std::make_unique<Route>();
  route->name = std::move(name);
  route->method = std::move(method);
  route->path_template = std::string(path_template);
  route->operation = std::move(operation);
  route->options = route_options;
  std::string_view path = path_template;
  size_t question = path.find('?');
  if (question != std::string_view::npos) {
    std::string_view query = path.substr(question + 1);
    path = path.substr(0, question);
    for (const auto& [key, value] : QueryParameters("?" + std::string(query))) {
      Route::QueryLiteral literal;
      literal.key = key;
      literal.value = value;
      literal.has_value = query.find(key + "=") != std::string_view::npos;
      route->query.push_back(std::move(literal));
    }
  }
  if (path.empty() || path.front() != '/') {
    return InvalidArgument("path template '" + route->path_template + "' must start with '/'");
  }
  std::vector<std::string_view> parts = SplitPath(path);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    Route::Segment segment;
    if (!part.empty() && part.front() == '{') {
      if (part.size() < 3 || part.back() != '}') {
        return InvalidArgument("malformed label '" + std::string(part) + "' in path template '" +
                               route->path_template + "'");
      }
      std::string_view label = part.substr(1, part.size() - 2);
      segment.kind = Route::Kind::Label;
      if (label.back() == '+') {
        label.remove_suffix(1);
        segment.kind = Route::Kind::Greedy;
        if (i + 1 != parts.size()) {
          return InvalidArgument("the greedy label '" + std::string(part) +
                                 "' must be the last segment of '" + route->path_template + "'");
        }
      }
      if (label.empty() || label.find_first_of("{}/") != std::string_view::npos) {
        return InvalidArgument("malformed label '" + std::string(part) + "' in path template '" +
                               route->path_template + "'");
      }
      for (const Route::Segment& earlier : route->segments) {
        if (earlier.kind != Route::Kind::Literal && earlier.text == label) {
          return InvalidArgument("the label '" + std::string(label) + "' repeats in '" +
                                 route->path_template + "'");
        }
      }
      segment.text = std::string(label);
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) {
        return InvalidArgument("a label must be a whole segment in '" + route->path_template + "'");
      }
      segment.text = std::string(part);
    }
    route->segments.push_back(std::move(segment));
  }
  if (!parts.empty() && route->segments.front().kind == Route::Kind::Literal) {
    std::string first(parts.front());
    bool known = false;
    for (const std::string& s : first_segments_) known = known || s == first;
    if (!known) first_segments_.push_back(std::move(first));
  }
  for (auto& existing : routes_) {
    if (existing->method == route->method && existing->path_template == route->path_template) {
      existing = std::move(route);
      return Status::Ok();
    }
  }
  routes_.push_back(std::move(route));
  return Status::Ok();
}

Status RestJsonProtocol::RegisterSync(std::string name, std::string method,
                                      std::string_view path_template, SyncRestOperation operation,
                                      RestRouteOptions route) {
  return Register(
      std::move(name), std::move(method), path_template,
      [operation = std::move(operation)](RestRequest request, RestResponder responder) {
        responder.Finish(operation(request));
      },
      route);
}

const RestJsonProtocol::Route* RestJsonProtocol::Find(std::string_view method,
                                                      std::string_view target,
                                                      Parameters* labels) const {
  std::vector<std::string_view> path = SplitPath(TargetPath(target));
  Parameters query;
  bool query_parsed = false;
  const Route* best = nullptr;
  Parameters candidate;
  for (const auto& route : routes_) {
    if (route->method != method) continue;
    if (!route->query.empty() && !query_parsed) {
      query = QueryParameters(target);
      query_parsed = true;
    }
    if (!route->Match(path, query, &candidate)) continue;
    if (best == nullptr || route->Rank() > best->Rank()) {
      best = route.get();
      if (labels != nullptr) *labels = candidate;
    }
  }
  return best;
}

bool RestJsonProtocol::Matches(std::string_view method, std::string_view target) const {
  return Find(method, target, nullptr) != nullptr;
}

bool RestJsonProtocol::Claims(std::string_view target) const {
  std::vector<std::string_view> path = SplitPath(TargetPath(target));
  if (path.empty()) return false;
  for (const std::string& first : first_segments_) {
    if (path.front() == first) return true;
  }
  return false;
}

size_t RestJsonProtocol::BodyLimit(const HttpRequest& head, size_t default_limit) {
  const Route* route = Find(head.method, head.target, nullptr);
  if (route == nullptr || route->options.max_body_bytes == 0) return default_limit;
  return route->options.max_body_bytes;
}

void RestJsonProtocol::Handle(HttpRequest request, Responder responder) {
  AnswerReport report = AnswerReport::Begin(observer_, options_.signing_service, NewRequestId());
  auto fail = [&](const AwsError& error) {
    report.ReportError(error);
    responder.Send(RestJsonErrorResponse(error, report.request_id, false));
  };

  SigV4Options sigv4;
  sigv4.service = options_.signing_service;
  AwsOr<CallerIdentity> identity = Authenticate(request, *credentials_, sigv4, clock_->NowMillis());
  if (auto* error = std::get_if<AwsError>(&identity)) {
    error->http_status = options_.auth_error_status;
    fail(*error);
    return;
  }

  RestRequest call;
  const Route* route = Find(request.method, request.target, &call.labels);
  if (route == nullptr) {
    fail({404, "UnknownOperationException",
          "Unknown operation: " + request.method + " " + std::string(TargetPath(request.target)) +
              " is not a " + options_.service_name + " API"});
    return;
  }
  report.operation = route->name;
  call.operation = route->name;
  call.method = std::move(request.method);
  call.path = std::string(TargetPath(request.target));
  call.query = QueryParameters(request.target);
  call.body = std::move(request.body);
  call.request_id = report.request_id;
  const CallerIdentity& caller = std::get<CallerIdentity>(identity);
  call.access_key_id = caller.access_key_id;
  call.region = caller.region;
  if (const std::string* host = request.FindHeader("Host")) call.host = *host;
  call.headers = std::move(request.headers);
  route->operation(std::move(call), RestResponder(std::move(responder), std::move(report),
                                                  options_.error_type_field));
}

HttpResponse RestJsonProtocol::Reject(RejectReason reason, std::string_view detail) {
  AwsError error = RejectionError(reason, detail);
  AnswerReport report = AnswerReport::Begin(observer_, options_.signing_service, NewRequestId());
  report.ReportError(error);
  return RestJsonErrorResponse(error, report.request_id, false);
}

}  // namespace stepfn::api

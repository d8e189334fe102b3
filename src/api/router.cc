#include "api/router.h"

namespace stepfn::api {

void Router::Route(std::string method, std::string path, RouteHandler handler) {
  routes_.push_back({std::move(method), std::move(path), false, std::move(handler)});
}

void Router::RoutePrefix(std::string method, std::string prefix, RouteHandler handler) {
  routes_.push_back({std::move(method), std::move(prefix), true, std::move(handler)});
}

const RouteHandler* Router::Find(std::string_view method, std::string_view path) const {
  const Entry* best = nullptr;
  for (const Entry& e : routes_) {
    if (e.method != method) continue;
    if (!e.prefix) {
      if (e.path == path) return &e.handler;
      continue;
    }
    if (path.substr(0, e.path.size()) == e.path &&
        (best == nullptr || e.path.size() > best->path.size())) {
      best = &e;
    }
  }
  return best == nullptr ? nullptr : &best->handler;
}

void Router::Handle(HttpRequest request, Responder responder) {
  const RouteHandler* handler = Find(request.method, TargetPath(request.target));
  if (handler == nullptr) {
    fallback_->Handle(std::move(request), std::move(responder));
    return;
  }
  (*handler)(std::move(request), std::move(responder));
}

size_t Router::BodyLimit(const HttpRequest& head, size_t default_limit) {
  if (Find(head.method, TargetPath(head.target)) != nullptr) return default_limit;
  return fallback_->BodyLimit(head, default_limit);
}

HttpResponse Router::Reject(RejectReason reason, std::string_view detail) {
  return fallback_->Reject(reason, detail);
}

std::string_view TargetPath(std::string_view target) {
  size_t end = target.find_first_of("?#");
  return end == std::string_view::npos ? target : target.substr(0, end);
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool PercentDecode(std::string_view text, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return false;
      int hi = HexDigit(text[i + 1]);
      int lo = HexDigit(text[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> QueryParameters(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  size_t hash = query.find('#');
  if (hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view raw_key = part.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    std::string key, value;
    if (!PercentDecode(raw_key, true, &key)) key = std::string(raw_key);
    if (!PercentDecode(raw_value, true, &value)) value = std::string(raw_value);
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

HttpResponse TextResponse(int status, std::string_view content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", std::string(content_type));
  response.body = std::move(body);
  return response;
}

}  // namespace stepfn::api

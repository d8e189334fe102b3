#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <utility>

#include "json/parse.h"

namespace stepfn::api {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kInvalidToken = "The security token included in the request is invalid.";
constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void PercentEncode(std::string_view s, bool keep_slash, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Calls fn(part) for each sep-separated part of s.
template <typename Fn>
void ForEachPart(std::string_view s, char sep, Fn fn) {
  while (true) {
    size_t pos = s.find(sep);
    fn(s.substr(0, pos));
    if (pos == std::string_view::npos) return;
    s.remove_prefix(pos + 1);
  }
}

// All values of the headers named `lower_name`, canonicalised and joined with ','.
std::string CanonicalHeaderValue(const HttpHeaders& headers, std::string_view lower_name) {
  std::string joined;
  bool first = true;
  for (const auto& [name, value] : headers) {
    if (ToLower(name) != lower_name) continue;
    if (!first) joined.push_back(',');
    first = false;
    // Trim, and collapse runs of whitespace into one space.
    std::string_view v = Trim(value);
    bool in_space = false;
    for (char c : v) {
      if (c == ' ' || c == '\t') {
        in_space = true;
        continue;
      }
      if (in_space) joined.push_back(' ');
      in_space = false;
      joined.push_back(c);
    }
  }
  return joined;
}

// The parsed Authorization header.
struct Authorization {
  std::string access_key_id;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;
  std::string terminator;
  std::vector<std::string> signed_headers;
  std::string signature;
};

AwsError Incomplete(std::string message) {
  return {400, "IncompleteSignatureException", std::move(message)};
}
AwsError InvalidSignature(std::string message) {
  return {400, "InvalidSignatureException", std::move(message)};
}

// An Authorization header's fields, as views into it.
struct AuthorizationFields {
  std::string_view credential;
  std::array<std::string_view, 5> scope;  // keyid/date/region/service/terminator
  std::string_view signed_headers;
  std::string_view signature;
};

// Checks the header's shape and finds its fields (no copies: the identity of an unverified
// request needs only three of them).
AwsOr<AuthorizationFields> SplitAuthorization(std::string_view header) {
  std::string_view rest = Trim(header);
  size_t space = rest.find(' ');
  std::string_view algorithm = rest.substr(0, space);
  if (algorithm != kAlgorithm) {
    return Incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) +
                      "'. Authorization=" + std::string(header));
  }
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  AuthorizationFields f;
  bool have_credential = false, have_signed = false, have_signature = false;
  ForEachPart(rest, ',', [&](std::string_view part) {
    part = Trim(part);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return;
    std::string_view key = Trim(part.substr(0, eq));
    std::string_view value = Trim(part.substr(eq + 1));
    if (key == "Credential") {
      f.credential = value;
      have_credential = true;
    } else if (key == "SignedHeaders") {
      f.signed_headers = value;
      have_signed = true;
    } else if (key == "Signature") {
      f.signature = value;
      have_signature = true;
    }
  });
  std::string missing;
  if (!have_credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!have_signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!have_signed) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!missing.empty()) return Incomplete(missing + "Authorization=" + std::string(header));

  size_t parts = 0;
  ForEachPart(f.credential, '/', [&](std::string_view part) {
    if (parts < f.scope.size()) f.scope[parts] = part;
    ++parts;
  });
  if (parts != f.scope.size()) {
    return Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        std::string(f.credential) + "'");
  }
  return f;
}

AwsOr<Authorization> ParseAuthorization(std::string_view header) {
  AwsOr<AuthorizationFields> split = SplitAuthorization(header);
  if (auto* error = std::get_if<AwsError>(&split)) return std::move(*error);
  const AuthorizationFields& f = std::get<AuthorizationFields>(split);
  Authorization auth;
  auth.access_key_id = std::string(f.scope[0]);
  auth.date = std::string(f.scope[1]);
  auth.region = std::string(f.scope[2]);
  auth.service = std::string(f.scope[3]);
  auth.terminator = std::string(f.scope[4]);
  ForEachPart(f.signed_headers, ';', [&](std::string_view name) {
    if (!name.empty()) auth.signed_headers.push_back(ToLower(name));
  });
  auth.signature = std::string(f.signature);
  return auth;
}

// The request time from X-Amz-Date or Date, with the text it came from.
AwsOr<std::pair<EpochMillis, std::string>> RequestTime(const HttpRequest& request,
                                                       std::string_view authorization) {
  if (const std::string* amz_date = request.FindHeader("X-Amz-Date")) {
    Result<EpochMillis> t = ParseAmzDate(*amz_date);
    if (!t.ok()) {
      return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + *amz_date +
                        "'. See http://en.wikipedia.org/wiki/ISO_8601");
    }
    return std::make_pair(*t, *amz_date);
  }
  if (const std::string* date = request.FindHeader("Date")) {
    std::tm tm{};
    const char* end = strptime(date->c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') {
      return Incomplete("Date must be in RFC 1123 format. Got '" + *date + "'");
    }
    EpochMillis t = static_cast<EpochMillis>(timegm(&tm)) * 1000;
    return std::make_pair(t, FormatAmzDate(t));
  }
  return Incomplete(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
      "Authorization=" +
      std::string(authorization));
}

std::string PayloadHash(const HttpRequest& request) {
  if (const std::string* declared = request.FindHeader("X-Amz-Content-Sha256")) return *declared;
  return Sha256Hex(request.body);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Credentials

Credentials Credentials::AllowAll() { return Credentials(); }

Result<Credentials> Credentials::FromList(std::vector<Credential> keys) {
  if (keys.empty()) return InvalidArgument("the credentials list is empty");
  Credentials credentials;
  credentials.verify_ = true;
  for (Credential& key : keys) {
    if (key.access_key_id.empty() || key.secret_access_key.empty()) {
      return InvalidArgument("every credential needs an accessKeyId and a secretAccessKey");
    }
    std::string id = key.access_key_id;
    if (!credentials.keys_.emplace(id, std::move(key)).second) {
      return InvalidArgument("access key '" + id + "' appears twice");
    }
  }
  return credentials;
}

Result<Credentials> Credentials::FromJson(std::string_view text) {
  ASSIGN_OR_RETURN(json::Value doc, json::Parse(text));
  if (!doc.is_array()) {
    return InvalidArgument(
        "credentials must be a JSON array of {\"accessKeyId\", \"secretAccessKey\"} objects");
  }
  std::vector<Credential> keys;
  for (size_t i = 0; i < doc.size(); ++i) {
    const json::Value& item = *doc.at(i);
    std::string where = "credentials[" + std::to_string(i) + "]";
    if (!item.is_object()) return InvalidArgument(where + " is not an object");
    const json::Value* id = item.find("accessKeyId");
    const json::Value* secret = item.find("secretAccessKey");
    const json::Value* token = item.find("sessionToken");
    if (id == nullptr || !id->is_string() || secret == nullptr || !secret->is_string()) {
      return InvalidArgument(where + " needs string fields accessKeyId and secretAccessKey");
    }
    if (token != nullptr && !token->is_string() && !token->is_null()) {
      return InvalidArgument(where + ".sessionToken must be a string");
    }
    keys.push_back(Credential{id->as_string(), secret->as_string(),
                              token != nullptr && token->is_string() ? token->as_string() : ""});
  }
  return FromList(std::move(keys));
}

Result<Credentials> Credentials::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the credentials file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  Result<Credentials> credentials = FromJson(text.str());
  if (!credentials.ok()) return credentials.status().WithPrefix(path);
  return credentials;
}

const Credential* Credentials::Find(std::string_view access_key_id) const {
  auto it = keys_.find(std::string(access_key_id));
  return it == keys_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  STEPFN_CHECK(EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  STEPFN_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
                    &length) != nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k_date = HmacSha256("AWS4" + std::string(secret), date);
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, kTerminator);
}

std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  // Remove empty and "." segments, resolve "..".
  std::vector<std::string_view> segments;
  ForEachPart(path, '/', [&](std::string_view segment) {
    if (segment.empty() || segment == ".") return;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      return;
    }
    segments.push_back(segment);
  });
  std::string normalized = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) normalized.push_back('/');
    normalized.append(segments[i]);
  }
  if (path.back() == '/' && normalized != "/") normalized.push_back('/');
  std::string out;
  PercentEncode(normalized, /*keep_slash=*/true, &out);
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  ForEachPart(query, '&', [&](std::string_view part) {
    if (part.empty()) return;
    size_t eq = part.find('=');
    std::string key, value;
    PercentEncode(PercentDecode(part.substr(0, eq)), false, &key);
    if (eq != std::string_view::npos) {
      PercentEncode(PercentDecode(part.substr(eq + 1)), false, &value);
    }
    pairs.emplace_back(std::move(key), std::move(value));
  });
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out.push_back('&');
    out += pairs[i].first;
    out.push_back('=');
    out += pairs[i].second;
  }
  return out;
}

std::string CanonicalRequest(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  std::string_view target = request.target;
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  std::string out = request.method;
  out.push_back('\n');
  out += CanonicalUri(path);
  out.push_back('\n');
  out += CanonicalQuery(query);
  out.push_back('\n');
  for (const std::string& name : signed_headers) {
    out += name;
    out.push_back(':');
    out += CanonicalHeaderValue(request.headers, name);
    out.push_back('\n');
  }
  out.push_back('\n');
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out += signed_headers[i];
  }
  out.push_back('\n');
  out += payload_hash;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.push_back('\n');
  out += amz_date;
  out.push_back('\n');
  out += scope;
  out.push_back('\n');
  out += Sha256Hex(canonical_request);
  return out;
}

std::string FormatAmzDate(EpochMillis t) {
  std::time_t seconds = static_cast<std::time_t>(t / 1000);
  if (t < 0 && t % 1000 != 0) --seconds;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

Result<EpochMillis> ParseAmzDate(std::string_view text) {
  // yyyymmddThhmmssZ
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
    return InvalidArgument("not an ISO 8601 basic date-time: '" + std::string(text) + "'");
  }
  auto digits = [&](size_t pos, size_t count, int* out) {
    int value = 0;
    for (size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return true;
  };
  std::tm tm{};
  int year, month, day, hour, minute, second;
  if (!digits(0, 4, &year) || !digits(4, 2, &month) || !digits(6, 2, &day) ||
      !digits(9, 2, &hour) || !digits(11, 2, &minute) || !digits(13, 2, &second) || month < 1 ||
      month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return InvalidArgument("not an ISO 8601 basic date-time: '" + std::string(text) + "'");
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<EpochMillis>(timegm(&tm)) * 1000;
}

// ---------------------------------------------------------------------------------------------
// Verification and signing

AwsOr<CallerIdentity> Authenticate(const HttpRequest& request, const Credentials& credentials,
                                   const SigV4Options& options, EpochMillis now) {
  const std::string* header = request.FindHeader("Authorization");
  if (!credentials.verify_signatures()) {
    CallerIdentity identity;
    if (header != nullptr) {
      AwsOr<AuthorizationFields> parsed = SplitAuthorization(*header);
      if (auto* f = std::get_if<AuthorizationFields>(&parsed)) {
        identity = {std::string(f->scope[0]), std::string(f->scope[2]), std::string(f->scope[3])};
      }
    }
    return identity;
  }
  if (header == nullptr) {
    return AwsError{400, "MissingAuthenticationTokenException",
                    "Request is missing Authentication Token"};
  }
  AwsOr<Authorization> parsed = ParseAuthorization(*header);
  if (auto* error = std::get_if<AwsError>(&parsed)) return *error;
  const Authorization& auth = std::get<Authorization>(parsed);

  if (auth.terminator != kTerminator) {
    return InvalidSignature(
        "Credential should be scoped with a valid terminator: 'aws4_request', "
        "not '" +
        auth.terminator + "'.");
  }
  if (auth.service != options.service) {
    return InvalidSignature("Credential should be scoped to correct service: '" + options.service +
                            "'. ");
  }
  if (auth.region.empty()) {
    return InvalidSignature("Credential should be scoped to a valid region. ");
  }
  if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), "host") ==
      auth.signed_headers.end()) {
    return Incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (!std::is_sorted(auth.signed_headers.begin(), auth.signed_headers.end())) {
    return InvalidSignature(std::string(kMismatch));
  }

  auto time = RequestTime(request, *header);
  if (auto* error = std::get_if<AwsError>(&time)) return *error;
  const auto& [signed_at, amz_date] = std::get<std::pair<EpochMillis, std::string>>(time);
  if (amz_date.substr(0, 8) != auth.date) {
    return InvalidSignature(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '" +
        auth.date + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.");
  }

  const Credential* key = credentials.Find(auth.access_key_id);
  if (key == nullptr)
    return AwsError{400, "UnrecognizedClientException", std::string(kInvalidToken)};
  const std::string* token = request.FindHeader("X-Amz-Security-Token");
  std::string_view sent_token = token == nullptr ? std::string_view() : std::string_view(*token);
  if (sent_token != key->session_token) {
    return AwsError{400, "UnrecognizedClientException", std::string(kInvalidToken)};
  }

  int64_t skew_minutes = options.max_skew_millis / 60000;
  if (signed_at < now - options.max_skew_millis) {
    return InvalidSignature("Signature expired: " + amz_date + " is now earlier than " +
                            FormatAmzDate(now - options.max_skew_millis) + " (" +
                            FormatAmzDate(now) + " - " + std::to_string(skew_minutes) + " min.)");
  }
  if (signed_at > now + options.max_skew_millis) {
    return InvalidSignature("Signature not yet current: " + amz_date + " is still later than " +
                            FormatAmzDate(now + options.max_skew_millis) + " (" +
                            FormatAmzDate(now) + " + " + std::to_string(skew_minutes) + " min.)");
  }

  std::string payload_hash = PayloadHash(request);
  if (request.FindHeader("X-Amz-Content-Sha256") != nullptr && payload_hash != "UNSIGNED-PAYLOAD" &&
      payload_hash != Sha256Hex(request.body)) {
    return InvalidSignature(
        "The provided 'x-amz-content-sha256' header does not match what was "
        "computed.");
  }
  std::string canonical = CanonicalRequest(request, auth.signed_headers, payload_hash);
  std::string scope =
      auth.date + "/" + auth.region + "/" + auth.service + "/" + std::string(kTerminator);
  std::string to_sign = StringToSign(amz_date, scope, canonical);
  std::string expected = HexEncode(HmacSha256(
      SigningKey(key->secret_access_key, auth.date, auth.region, auth.service), to_sign));
  if (expected.size() != auth.signature.size() ||
      CRYPTO_memcmp(expected.data(), auth.signature.data(), expected.size()) != 0) {
    return InvalidSignature(
        std::string(kMismatch) + "\n\nThe Canonical String for this request should have been\n'" +
        canonical + "'\n\nThe String-to-Sign should have been\n'" + to_sign + "'\n");
  }
  return CallerIdentity{auth.access_key_id, auth.region, auth.service};
}

void SignRequest(HttpRequest* request, const Credential& credential, std::string_view region,
                 std::string_view service, EpochMillis now,
                 const std::vector<std::string>& extra_signed_headers) {
  auto erase = [&](std::string_view name) {
    std::erase_if(request->headers, [&](const auto& h) { return ToLower(h.first) == name; });
  };
  erase("authorization");
  erase("x-amz-date");
  erase("x-amz-security-token");
  std::string amz_date = FormatAmzDate(now);
  request->headers.emplace_back("X-Amz-Date", amz_date);
  std::vector<std::string> signed_headers = {"host", "x-amz-date"};
  if (!credential.session_token.empty()) {
    request->headers.emplace_back("X-Amz-Security-Token", credential.session_token);
    signed_headers.push_back("x-amz-security-token");
  }
  for (const std::string& name : extra_signed_headers) signed_headers.push_back(ToLower(name));
  std::sort(signed_headers.begin(), signed_headers.end());
  signed_headers.erase(std::unique(signed_headers.begin(), signed_headers.end()),
                       signed_headers.end());
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/" +
                      std::string(kTerminator);
  std::string canonical = CanonicalRequest(*request, signed_headers, PayloadHash(*request));
  std::string signature =
      HexEncode(HmacSha256(SigningKey(credential.secret_access_key, date, region, service),
                           StringToSign(amz_date, scope, canonical)));
  std::string names;
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) names.push_back(';');
    names += signed_headers[i];
  }
  request->headers.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + credential.access_key_id + "/" +
                           scope + ", SignedHeaders=" + names + ", Signature=" + signature);
}

}  // namespace stepfn::api

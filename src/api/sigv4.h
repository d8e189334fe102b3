// AWS Signature Version 4: verifying the requests AWS clients sign, and signing requests the
// same way (for tests, and later for calls to real AWS endpoints).
//
// Verification follows AWS's header scheme:
//   Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request,
//                  SignedHeaders=<h1;h2;...>, Signature=<hex>
//   X-Amz-Date: <yyyymmddThhmmssZ> (or an RFC 1123 Date header)
//   X-Amz-Security-Token: <token> (temporary credentials only)
// canonical request = method \n canonical URI \n canonical query \n canonical headers \n
//                     signed headers \n hex(sha256(body)) (or X-Amz-Content-Sha256 when sent)
// string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n hex(sha256(canonical request))
// signing key       = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request"
// The canonical URI is the path as sent, dot segments removed, percent-encoded once more (the
// rule for every service but S3). Query-string (presigned) authentication is not supported yet.
//
// Thread safety: everything here is a pure function or an immutable value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/aws_error.h"
#include "api/http_server.h"
#include "common/clock.h"
#include "common/status.h"

namespace stepfn::api {

struct Credential {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

// Who may call. Immutable after construction; safe to share between threads.
class Credentials {
 public:
  // Any access key is accepted and signatures are not checked (the loopback default).
  static Credentials AllowAll();
  // Only these keys; signatures are verified.
  static Result<Credentials> FromList(std::vector<Credential> keys);
  // A JSON array: [{"accessKeyId": "...", "secretAccessKey": "...", "sessionToken": "..."}]
  // (sessionToken optional). InvalidArgument when malformed, empty, or a key repeats.
  static Result<Credentials> FromJson(std::string_view text);
  // FromJson on a file's contents (the `--auth FILE` option); NotFound when unreadable.
  static Result<Credentials> LoadFile(const std::string& path);

  bool verify_signatures() const { return verify_; }
  // The key with this id, or nullptr.
  const Credential* Find(std::string_view access_key_id) const;

 private:
  bool verify_ = false;
  std::unordered_map<std::string, Credential> keys_;
};

// Who a request came from, as its credential scope says.
struct CallerIdentity {
  std::string access_key_id;
  std::string region;
  std::string service;
};

struct SigV4Options {
  std::string service = "states";  // the service credential scopes must name
  // AWS refuses a signature dated more than 15 minutes from its clock, either way.
  int64_t max_skew_millis = 15 * 60 * 1000;
};

// Authenticates `request` at time `now`.
// - With Credentials::AllowAll(): always succeeds; the identity is read from the Authorization
//   header when it parses (empty fields otherwise).
// - Otherwise: the errors AWS gives, all HTTP 400:
//   MissingAuthenticationTokenException (no Authorization header),
//   IncompleteSignatureException (a malformed Authorization header or scope, no date, host not
//   signed), UnrecognizedClientException "The security token included in the request is
//   invalid." (unknown key or wrong session token), InvalidSignatureException ("Signature
//   expired: ...", "Signature not yet current: ...", a scope for another service or date, or a
//   signature that does not match).
AwsOr<CallerIdentity> Authenticate(const HttpRequest& request, const Credentials& credentials,
                                   const SigV4Options& options, EpochMillis now);

// Signs `request` in place as an AWS SDK would: sets X-Amz-Date, X-Amz-Security-Token (when the
// credential has one) and Authorization, signing host, x-amz-date, x-amz-security-token and
// every header named in `extra_signed_headers` (lower case). REQUIRES: a Host header.
void SignRequest(HttpRequest* request, const Credential& credential, std::string_view region,
                 std::string_view service, EpochMillis now,
                 const std::vector<std::string>& extra_signed_headers = {});

// Building blocks (exposed for tests).
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string HexEncode(std::string_view bytes);                        // lower case
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);  // raw 32 bytes
// The canonical request for `signed_headers` (lower case, sorted) and the payload hash.
std::string CanonicalRequest(const HttpRequest& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);
std::string CanonicalUri(std::string_view path);
std::string CanonicalQuery(std::string_view query);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// "20150830T123600Z" <-> milliseconds since the epoch. Parse fails with InvalidArgument.
std::string FormatAmzDate(EpochMillis t);
Result<EpochMillis> ParseAmzDate(std::string_view text);

}  // namespace stepfn::api

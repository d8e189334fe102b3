// Reading and validating the members of a Step Functions API request as AWS does, for every
// operation group (ops_*.cc).
//
// AWS checks a request in two passes, and so do we:
//
//   1. Shape: the model's constraints on each member (required, string length, integer range,
//      enum values, list length), checked all at once. Every violation is collected and the
//      request fails with ONE ValidationException worded as AWS words it:
//        "1 validation error detected: Value 'x...' at 'name' failed to satisfy constraint:
//         Member must have length less than or equal to 80"
//        "2 validation errors detected: Value ... ; Value null at 'roleArn' failed to satisfy
//         constraint: Member must not be null"
//      A member of the wrong JSON type (a number where a string is expected, ...) is not a
//      violation but a SerializationException, answered at once (the first one wins).
//      Nested members are named as AWS names them: 'tags.1.member.key' (lists count from 1),
//      'loggingConfiguration.level'.
//   2. Meaning: ARNs (InvalidArn), names (InvalidName), tokens (InvalidToken), then the
//      operation's own rules. Those are the free functions below, called after Finish().
//
// Usage, inside a SyncOperation:
//
//   RequestReader in(request.input);
//   std::optional<std::string> arn = in.String("stateMachineArn", 1, kMaxArnLength,
//                                              Presence::Required);
//   std::optional<int64_t> max_results = in.MaxResults();
//   std::optional<std::string> token = in.NextToken();
//   if (auto error = in.Finish()) return *error;
//   auto parsed = ParseArnAs(*arn, {ArnKind::StateMachine});
//   if (auto* e = std::get_if<api::AwsError>(&parsed)) return *e;
//
// A member that is absent or JSON null reads as std::nullopt (for Required members a "Member
// must not be null" violation is recorded too). Unknown members are ignored, as AWS ignores
// them. String lengths count UTF-16 code units, as AWS (Java) does.
//
// Sensitive members (the model marks definition, version and alias descriptions, inputs,
// outputs ... as sensitive) are reported without their value: "Value at 'definition' failed to
// satisfy constraint: ...". This is our choice: AWS's recorded messages for sensitive members
// were not available to us.
//
// Thread safety: a RequestReader is used by one thread; the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/aws_error.h"
#include "common/clock.h"
#include "json/value.h"
#include "server/arn.h"

namespace stepfn::server {

// Constraints of the service model (botocore stepfunctions 2016-11-23).
inline constexpr size_t kMaxArnLength = 256;          // shape Arn
inline constexpr size_t kMaxLongArnLength = 2000;     // shape LongArn
inline constexpr size_t kMaxNameLength = 80;          // shape Name
inline constexpr size_t kMaxDescriptionLength = 256;  // VersionDescription, AliasDescription
inline constexpr size_t kMaxDefinitionLength = 1048576;
inline constexpr size_t kMaxPageTokenLength = 1024;  // shape PageToken
inline constexpr int64_t kMaxResultsLimit = 1000;    // shape PageSize: 0..1000
inline constexpr size_t kMaxTagKeyLength = 128;
inline constexpr size_t kMaxTagValueLength = 256;
inline constexpr size_t kMaxTagsPerResource = 50;  // AWS's quota of tags per resource
// The page size used when a List operation gets no maxResults, or 0 (AWS: "the default is
// 100").
inline constexpr int kDefaultPageSize = 100;

enum class Presence { Optional, Required };
enum class Sensitivity { Plain, Sensitive };

struct Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Tag&, const Tag&) = default;
};

class RequestReader {
 public:
  // `input` is the request body (an object). The reader keeps a reference: `input` must
  // outlive it.
  explicit RequestReader(const json::Value& input);
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // A string member of min..max characters (UTF-16 code units).
  std::optional<std::string> String(std::string_view member, size_t min, size_t max,
                                    Presence presence = Presence::Optional,
                                    Sensitivity sensitivity = Sensitivity::Plain);
  // An integer member in min..max. A JSON number with a fraction is a SerializationException.
  std::optional<int64_t> Int(std::string_view member, int64_t min, int64_t max,
                             Presence presence = Presence::Optional);
  // A float member in min..max.
  std::optional<double> Double(std::string_view member, double min, double max,
                               Presence presence = Presence::Optional);
  std::optional<bool> Bool(std::string_view member, Presence presence = Presence::Optional);
  // A string member that must be one of `values` ("Member must satisfy enum value set:
  // [STANDARD, EXPRESS]").
  std::optional<std::string> Enum(std::string_view member,
                                  std::initializer_list<std::string_view> values,
                                  Presence presence = Presence::Optional);
  // A structure member: nullptr when absent or null. Read its members with Nested.
  const json::Value* Struct(std::string_view member, Presence presence = Presence::Optional);
  // A list member of min..max items: nullptr when absent or null. Its items are not checked;
  // read them with Nested(item, "<member>.<i+1>.member") or ItemString.
  const json::Value* List(std::string_view member, size_t min = 0, size_t max = SIZE_MAX,
                          Presence presence = Presence::Optional);
  // A list of strings, each of item_min..item_max characters.
  std::optional<std::vector<std::string>> StringList(std::string_view member, size_t item_min,
                                                     size_t item_max,
                                                     Presence presence = Presence::Optional);
  // A TagList ([{"key": ..., "value": ...}]): keys 1..128 characters and present (a tag
  // without a key is a "Member must not be null" violation at 'tags.N.member.key'), values
  // 0..256 characters (absent reads as ""). The number of tags is not checked here (see
  // TooManyTagsError).
  std::optional<std::vector<Tag>> Tags(std::string_view member,
                                       Presence presence = Presence::Optional);

  // The common pagination members: "maxResults" (0..1000) and "nextToken" (1..1024).
  std::optional<int64_t> MaxResults() { return Int("maxResults", 0, kMaxResultsLimit); }
  std::optional<std::string> NextToken() { return String("nextToken", 1, kMaxPageTokenLength); }

  // A reader of a nested structure whose violations and errors go to this reader. `path` is
  // the structure's name in messages ("loggingConfiguration", "routingConfiguration.1.member").
  // `object` must be an object (SerializationException otherwise) and outlive the reader.
  RequestReader Nested(const json::Value& object, std::string path);

  // Records a violation of another constraint on `member` (its value rendered as AWS does).
  void AddViolation(std::string_view member, const json::Value* value, std::string_view constraint,
                    Sensitivity sensitivity = Sensitivity::Plain);

  // The first SerializationException, else one ValidationException with every violation, else
  // nullopt.
  std::optional<api::AwsError> Finish() const;

 private:
  struct Sink {
    std::optional<api::AwsError> serialization;
    std::vector<std::string> violations;
  };
  RequestReader(const json::Value& input, std::string path, Sink* sink);
  std::string PathOf(std::string_view member) const;
  // The member, or nullptr when absent or null (recording "must not be null" when required).
  const json::Value* Find(std::string_view member, Presence presence);
  void WrongType(std::string_view member, const json::Value& value, std::string_view expected);

  const json::Value& input_;
  std::string path_;
  Sink own_sink_;
  Sink* sink_;
};

// "1 validation error detected: A" or "N validation errors detected: A; B; C".
std::string ValidationMessage(const std::vector<std::string>& violations);
// One violation as AWS words it: "Value 'x' at 'name' failed to satisfy constraint: <c>".
// `value` null (the pointer) renders "Value null at"; sensitive values "Value at".
std::string ConstraintViolation(std::string_view path, const json::Value* value,
                                std::string_view constraint,
                                Sensitivity sensitivity = Sensitivity::Plain);
// A ValidationException with one violation.
api::AwsError ValidationError(std::string_view path, const json::Value* value,
                              std::string_view constraint,
                              Sensitivity sensitivity = Sensitivity::Plain);

// Length of UTF-8 text in UTF-16 code units (how AWS counts characters).
size_t Utf16Length(std::string_view utf8);

// --- ARNs ---------------------------------------------------------------------------------

// InvalidArn with AWS's message "Invalid Arn: '<reason>'".
api::AwsError InvalidArnError(std::string_view reason);
// Parses `text` as one of `kinds`. InvalidArn otherwise, worded as AWS words it:
//   not starting with "arn:"     "Invalid Arn: 'Invalid ARN prefix: <text>'"
//   a Step Functions ARN of another kind
//                                "Invalid Arn: 'Resource type not valid in this context: <type>'"
//                                (<type>: stateMachine, execution, express, activity, mapRun;
//                                versions and aliases are of type stateMachine)
//   anything else (too few parts, another service, an empty name)
//                                "Invalid Arn: 'Invalid ARN: <text>'" (our wording)
api::AwsOr<Arn> ParseArnAs(std::string_view text, std::initializer_list<ArnKind> kinds);

// --- Names --------------------------------------------------------------------------------

// InvalidName "Invalid Name: '<name>'" unless IsValidName(name).
std::optional<api::AwsError> CheckName(std::string_view name);

// --- Errors several groups answer ---------------------------------------------------------

// "State Machine Does Not Exist: '<arn>'" / "Execution Does Not Exist: '<arn>'".
api::AwsError StateMachineDoesNotExist(std::string_view arn);
api::AwsError ExecutionDoesNotExist(std::string_view arn);

// --- Tags ---------------------------------------------------------------------------------

// TooManyTags, as AWS words it: "Too many tags: <count> tags exceeds the limit of 50 for
// resource '<arn>'" (our wording; AWS's exact text was not available to us).
api::AwsError TooManyTagsError(std::string_view resource_arn);
// [{"key": k, "value": v}, ...] in the order given.
json::Value TagsToJson(const std::vector<Tag>& tags);

// --- Timestamps ---------------------------------------------------------------------------

// A timestamp as the awsJson protocol sends it: epoch seconds as a JSON number, with the
// milliseconds as a fraction (1700000000.123; whole seconds as an integer). botocore and the
// JS SDK parse both.
json::Value EpochSeconds(EpochMillis t);

// --- Pagination ---------------------------------------------------------------------------

// The page size a List operation asks the store for: maxResults, or kDefaultPageSize when it
// is absent or 0 (AWS treats 0 as the default).
int PageSize(const std::optional<int64_t>& max_results);
// AWS's nextToken around a store page token, bound to one listing (`scope`: the operation and
// its filter, e.g. "ListStateMachineVersions|<arn>"), so that a token from another listing is
// refused. Opaque URL-safe text (at most kMaxPageTokenLength for store tokens up to ~700 bytes).
std::string WrapPageToken(std::string_view scope, std::string_view store_token);
// The store token inside a nextToken made by WrapPageToken for the same `scope`; "" for an
// absent token. InvalidToken "Invalid Token: '<reason>'" otherwise.
api::AwsOr<std::string> UnwrapPageToken(std::string_view scope,
                                        const std::optional<std::string>& next_token);
// InvalidToken with AWS's shape: "Invalid Token: '<reason>'".
api::AwsError InvalidTokenError(std::string_view reason);

// --- Store errors -------------------------------------------------------------------------

// A store failure that the operation did not map to a modeled error itself (Unavailable ->
// ServiceUnavailable 503, anything else -> InternalFailure 500), without the store's text
// ("NotFound: ..." never reaches a client). REQUIRES: !status.ok().
api::AwsError StoreFailure(const Status& status);

// A fresh revision id (a UUID, as AWS's revisionId).
std::string NewRevisionId();

}  // namespace stepfn::server

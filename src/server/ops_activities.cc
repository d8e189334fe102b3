// CreateActivity, DescribeActivity, DeleteActivity, ListActivities. (GetActivityTask lives with
// the task callbacks, ops_tasks.cc.)
//
// As AWS: CreateActivity is idempotent on the name (a repeated create returns the existing
// activity and ignores its tags); DeleteActivity of a missing activity succeeds; names follow
// the resource-name rules (InvalidName).
#include <map>
#include <string>
#include <vector>

#include "server/request.h"
#include "server/service.h"

namespace stepfn::server {
namespace {

using api::AwsError;
using api::AwsOr;
using json::Value;

AwsError ActivityDoesNotExist(std::string_view arn) {
  return {400, "ActivityDoesNotExist", "Activity Does Not Exist: '" + std::string(arn) + "'"};
}

AwsOr<Value> CreateActivity(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto name = in.String("name", 1, kMaxNameLength, Presence::Required);
  auto tags = in.Tags("tags");
  if (const Value* encryption = in.Struct("encryptionConfiguration")) {
    RequestReader nested = in.Nested(*encryption, "encryptionConfiguration");
    nested.String("kmsKeyId", 1, 2048);
    nested.Int("kmsDataKeyReusePeriodSeconds", 60, 900);
    nested.Enum("type", {"AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"}, Presence::Required);
  }
  if (auto error = in.Finish()) return *error;
  if (auto error = CheckName(*name)) return *error;
  store::ActivityRecord record;
  record.arn = ctx->arns.Activity(*name);
  if (tags && tags->size() > kMaxTagsPerResource) return TooManyTagsError(record.arn);
  record.name = *name;
  record.creation_date = ctx->clock->NowMillis();
  Status created = ctx->store->CreateActivity(record);
  if (created.code() == StatusCode::AlreadyExists) {
    auto existing = ctx->store->GetActivity(record.arn);
    if (!existing.ok()) return StoreFailure(existing.status());
    return Value::Object({{"activityArn", Value::String(existing->arn)},
                          {"creationDate", EpochSeconds(existing->creation_date)}});
  }
  if (!created.ok()) return StoreFailure(created);
  if (tags && !tags->empty()) {
    std::map<std::string, std::string> tag_map;
    for (const Tag& t : *tags) tag_map[t.key] = t.value;
    Status tagged = ctx->store->TagResource(record.arn, tag_map);
    if (!tagged.ok()) return StoreFailure(tagged);
  }
  return Value::Object({{"activityArn", Value::String(record.arn)},
                        {"creationDate", EpochSeconds(record.creation_date)}});
}

// Reads and parses activityArn. On success returns nullopt and sets *arn.
std::optional<AwsError> ReadActivityArn(const api::OperationRequest& request, std::string* arn) {
  RequestReader in(request.input);
  auto arn_text = in.String("activityArn", 1, kMaxArnLength, Presence::Required);
  if (auto error = in.Finish()) return error;
  auto parsed = ParseArnAs(*arn_text, {ArnKind::Activity});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  *arn = *arn_text;
  return std::nullopt;
}

AwsOr<Value> DescribeActivity(ServiceContext* ctx, const api::OperationRequest& request) {
  std::string arn;
  if (auto error = ReadActivityArn(request, &arn)) return *error;
  auto activity = ctx->store->GetActivity(arn);
  if (!activity.ok()) {
    if (activity.status().code() == StatusCode::NotFound) return ActivityDoesNotExist(arn);
    return StoreFailure(activity.status());
  }
  return Value::Object({{"activityArn", Value::String(activity->arn)},
                        {"name", Value::String(activity->name)},
                        {"creationDate", EpochSeconds(activity->creation_date)}});
}

AwsOr<Value> DeleteActivity(ServiceContext* ctx, const api::OperationRequest& request) {
  std::string arn;
  if (auto error = ReadActivityArn(request, &arn)) return *error;
  Status deleted = ctx->store->DeleteActivity(arn);
  if (!deleted.ok() && deleted.code() != StatusCode::NotFound) return StoreFailure(deleted);
  return Value::EmptyObject();
}

AwsOr<Value> ListActivities(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto max_results = in.MaxResults();
  auto next_token = in.NextToken();
  if (auto error = in.Finish()) return *error;
  constexpr std::string_view kScope = "ListActivities";
  auto token = UnwrapPageToken(kScope, next_token);
  if (auto* e = std::get_if<AwsError>(&token)) return *e;
  auto page = ctx->store->ListActivities({PageSize(max_results), std::get<std::string>(token)});
  if (!page.ok()) {
    if (page.status().code() == StatusCode::InvalidArgument) {
      return InvalidTokenError("Invalid token");
    }
    return StoreFailure(page.status());
  }
  std::vector<Value> items;
  for (const auto& a : page->items) {
    items.push_back(Value::Object({{"activityArn", Value::String(a.arn)},
                                   {"name", Value::String(a.name)},
                                   {"creationDate", EpochSeconds(a.creation_date)}}));
  }
  json::ObjectBuilder out;
  out.Append("activities", Value::Array(std::move(items)));
  if (!page->next_token.empty()) {
    out.Append("nextToken", Value::String(WrapPageToken(kScope, page->next_token)));
  }
  return std::move(out).Build();
}

}  // namespace

void RegisterActivityOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  RegisterSyncOperations(ctx, protocol,
                         {
                             {"CreateActivity", CreateActivity},
                             {"DescribeActivity", DescribeActivity},
                             {"DeleteActivity", DeleteActivity},
                             {"ListActivities", ListActivities},
                         });
}

}  // namespace stepfn::server

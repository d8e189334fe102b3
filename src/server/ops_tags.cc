// TagResource, UntagResource, ListTagsForResource.
//
// As AWS: only state machines and activities carry tags. The resource must exist
// (ResourceNotFound "Resource not found: '<arn>'", also for a version or an alias, which AWS
// does not tag); other resource types (executions, ...) are InvalidArn. A resource holds at
// most 50 tags, counted after the new ones are merged (TooManyTags). Tag values may be empty;
// keys are 1 to 128 characters and values up to 256.
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

AwsError ResourceNotFound(std::string_view arn) {
  return {400, "ResourceNotFound", "Resource not found: '" + std::string(arn) + "'"};
}

// Checks that the tagged resource exists.
std::optional<AwsError> CheckResource(ServiceContext* ctx, const std::string& arn_text) {
  auto parsed = ParseArnAs(arn_text, {ArnKind::StateMachine, ArnKind::StateMachineVersion,
                                      ArnKind::StateMachineAlias, ArnKind::Activity});
  if (auto* e = std::get_if<AwsError>(&parsed)) return *e;
  const Arn& arn = std::get<Arn>(parsed);
  Status found;
  if (arn.kind == ArnKind::Activity) {
    found = ctx->store->GetActivity(arn_text).status();
  } else if (arn.kind == ArnKind::StateMachine) {
    auto machine = ctx->store->GetStateMachine(arn_text);
    found = machine.status();
    if (machine.ok() && machine->kind != store::StateMachineKind::StateMachine) {
      return ResourceNotFound(arn_text);
    }
  } else {
    return ResourceNotFound(arn_text);
  }
  if (found.code() == StatusCode::NotFound) return ResourceNotFound(arn_text);
  if (!found.ok()) return StoreFailure(found);
  return std::nullopt;
}

AwsOr<Value> TagResource(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("resourceArn", 1, kMaxArnLength, Presence::Required);
  auto tags = in.Tags("tags", Presence::Required);
  if (auto error = in.Finish()) return *error;
  if (auto error = CheckResource(ctx, *arn)) return *error;
  auto existing = ctx->store->ListTags(*arn);
  if (!existing.ok()) return StoreFailure(existing.status());
  std::map<std::string, std::string> merged = *existing;
  std::map<std::string, std::string> added;
  for (const Tag& t : *tags) {
    merged[t.key] = t.value;
    added[t.key] = t.value;
  }
  if (merged.size() > kMaxTagsPerResource) return TooManyTagsError(*arn);
  if (!added.empty()) {
    Status tagged = ctx->store->TagResource(*arn, added);
    if (!tagged.ok()) return StoreFailure(tagged);
  }
  return Value::EmptyObject();
}

AwsOr<Value> UntagResource(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("resourceArn", 1, kMaxArnLength, Presence::Required);
  auto keys = in.StringList("tagKeys", 1, kMaxTagKeyLength, Presence::Required);
  if (auto error = in.Finish()) return *error;
  if (auto error = CheckResource(ctx, *arn)) return *error;
  if (!keys->empty()) {
    Status untagged = ctx->store->UntagResource(*arn, *keys);
    if (!untagged.ok()) return StoreFailure(untagged);
  }
  return Value::EmptyObject();
}

AwsOr<Value> ListTagsForResource(ServiceContext* ctx, const api::OperationRequest& request) {
  RequestReader in(request.input);
  auto arn = in.String("resourceArn", 1, kMaxArnLength, Presence::Required);
  if (auto error = in.Finish()) return *error;
  if (auto error = CheckResource(ctx, *arn)) return *error;
  auto tags = ctx->store->ListTags(*arn);
  if (!tags.ok()) return StoreFailure(tags.status());
  std::vector<Tag> list;
  for (const auto& [key, value] : *tags) list.push_back({key, value});
  return Value::Object({{"tags", TagsToJson(list)}});
}

}  // namespace

void RegisterTagOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  RegisterSyncOperations(ctx, protocol,
                         {
                             {"TagResource", TagResource},
                             {"UntagResource", UntagResource},
                             {"ListTagsForResource", ListTagsForResource},
                         });
}

}  // namespace stepfn::server

// TestState: one state run in isolation (engine/test_state.h does the work).
//
// Here: the request's shape as the service model states it (request.h: one ValidationException
// listing every violation, a SerializationException for a member of the wrong JSON type), then
// engine::TestState, whose refusals (ValidationException, InvalidDefinition,
// InvalidExecutionInput) and response go back as they are. Payload members (definition, input,
// variables, context, mock.result, stateName, ...) are sensitive in the model: their values are
// left out of violation messages. TestState needs nothing from the store: it runs in the
// request's thread, at the context's clock.
#include <atomic>
#include <cstdint>
#include <variant>

#include "common/clock.h"
#include "engine/test_state.h"
#include "server/request.h"
#include "server/service.h"
#include "services/models/mock_validation.h"

namespace stepfn::server {
namespace {

using api::AwsError;
using api::AwsOr;

// Model constraints (botocore stepfunctions 2016-11-23).
constexpr size_t kMaxSensitiveData = 262144;  // SensitiveData: input, variables, context, ...
constexpr size_t kMaxStateName = 80;          // TestStateStateName
constexpr size_t kMaxError = 256;             // SensitiveError
constexpr size_t kMaxCause = 32768;           // SensitiveCause
constexpr int64_t kMaxCount = INT32_MAX;      // RetrierRetryCount, MapIterationFailureCount

std::optional<AwsError> CheckShape(const json::Value& body) {
  RequestReader in(body);
  in.String("definition", 1, kMaxDefinitionLength, Presence::Required, Sensitivity::Sensitive);
  in.String("roleArn", 1, kMaxArnLength);
  in.String("input", 0, kMaxSensitiveData, Presence::Optional, Sensitivity::Sensitive);
  in.Enum("inspectionLevel", {"INFO", "DEBUG", "TRACE"});
  in.Bool("revealSecrets");
  in.String("variables", 0, kMaxSensitiveData, Presence::Optional, Sensitivity::Sensitive);
  in.String("stateName", 1, kMaxStateName, Presence::Optional, Sensitivity::Sensitive);
  if (const json::Value* mock = in.Struct("mock")) {
    RequestReader m = in.Nested(*mock, "mock");
    m.String("result", 0, kMaxSensitiveData, Presence::Optional, Sensitivity::Sensitive);
    if (const json::Value* error = m.Struct("errorOutput")) {
      RequestReader e = m.Nested(*error, "mock.errorOutput");
      e.String("error", 0, kMaxError, Presence::Optional, Sensitivity::Sensitive);
      e.String("cause", 0, kMaxCause, Presence::Optional, Sensitivity::Sensitive);
    }
    m.Enum("fieldValidationMode", {"STRICT", "PRESENT", "NONE"});
  }
  in.String("context", 0, kMaxSensitiveData, Presence::Optional, Sensitivity::Sensitive);
  if (const json::Value* config = in.Struct("stateConfiguration")) {
    RequestReader c = in.Nested(*config, "stateConfiguration");
    c.Int("retrierRetryCount", 0, kMaxCount);
    c.String("errorCausedByState", 1, kMaxStateName, Presence::Optional, Sensitivity::Sensitive);
    c.Int("mapIterationFailureCount", 0, kMaxCount);
    c.String("mapItemReaderData", 0, kMaxSensitiveData, Presence::Optional, Sensitivity::Sensitive);
  }
  return in.Finish();
}

AwsOr<json::Value> TestState(const ServiceContext& ctx, const api::OperationRequest& request) {
  if (auto error = CheckShape(request.input)) return *error;
  static std::atomic<uint64_t> counter{0};
  engine::TestStateEnvironment env;
  env.region = ctx.config.region;
  env.account = ctx.config.account;
  SystemClock system_clock;
  env.now = ctx.clock != nullptr ? ctx.clock->NowMillis() : system_clock.NowMillis();
  env.seed = static_cast<uint64_t>(MonotonicNanos()) ^ (++counter * 0x9E3779B97F4A7C15ULL);
  env.check_mock_result = models::CheckMockResult;
  engine::TestStateOutcome outcome =
      engine::TestState(engine::TestStateRequestFromJson(request.input), env);
  if (const auto* refused = std::get_if<engine::TestStateRefusal>(&outcome)) {
    return AwsError{400, refused->code, refused->message};
  }
  return std::get<engine::TestStateResponse>(outcome).ToJson();
}

}  // namespace

void RegisterTestStateOperation(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  protocol->RegisterSync("TestState", [ctx](const api::OperationRequest& request) {
    return TestState(*ctx, request);
  });
}

}  // namespace stepfn::server

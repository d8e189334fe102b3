// AsyncInvocations: retries of Event invocations and their destination records, with scripted
// attempts and no waiting (time_scale 0).
#include "services/lambda/async_invocations.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::lambda {
namespace {

// Answers attempt i with outcomes[i] (the last one again when there are fewer), and records
// what was delivered.
class Script {
 public:
  explicit Script(std::vector<InvokeOutcome> outcomes) : outcomes_(std::move(outcomes)) {}

  AsyncEvent Event(EventInvokeConfig config) {
    AsyncEvent event;
    event.request_id = "r-1";
    event.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST";
    event.payload = R"({"n": 1})";
    event.config = std::move(config);
    event.run = [this](InvokeDone done) {
      InvokeOutcome outcome;
      {
        std::lock_guard<std::mutex> lock(mu_);
        outcome = outcomes_[std::min(attempts_, outcomes_.size() - 1)];
        ++attempts_;
      }
      done(std::move(outcome));
    };
    event.deliver = [this](const std::string& destination, std::string record) {
      std::lock_guard<std::mutex> lock(mu_);
      delivered_.emplace_back(destination, std::move(record));
    };
    return event;
  }

  size_t attempts() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }
  std::vector<std::pair<std::string, std::string>> delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }

 private:
  std::mutex mu_;
  std::vector<InvokeOutcome> outcomes_;
  size_t attempts_ = 0;
  std::vector<std::pair<std::string, std::string>> delivered_;
};

InvokeResponse Ok(std::string payload) {
  InvokeResponse r;
  r.payload = std::move(payload);
  r.executed_version = "$LATEST";
  return r;
}
InvokeResponse FunctionError() {
  InvokeResponse r = Ok(R"({"errorMessage":"boom","errorType":"Boom"})");
  r.function_error = "Unhandled";
  return r;
}
InvokeError Refused(int status, std::string code) {
  return InvokeError{status, std::move(code), "refused", ""};
}

void WaitIdle(const AsyncInvocations& async) {
  for (int i = 0; i < 2000 && async.InFlight() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(async.InFlight(), 0);
}

json::Value Parsed(const std::string& text) {
  auto parsed = json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : json::Value();
}

std::string Str(const json::Value& v, std::string_view a, std::string_view b = "") {
  const json::Value* x = v.find(a);
  if (x != nullptr && !b.empty()) x = x->find(b);
  if (x == nullptr) return "<missing>";
  return x->is_string() ? x->as_string() : json::Write(*x);
}

TEST(AsyncInvocations, FunctionErrorsAreRetriedTwiceThenGoToOnFailure) {
  AsyncInvocations async({/*time_scale=*/0});
  Script script({FunctionError()});
  async.Submit(script.Event({2, 21'600, "arn:aws:lambda:us-east-1:123456789012:function:ok",
                             "arn:aws:lambda:us-east-1:123456789012:function:failed"}));
  WaitIdle(async);
  EXPECT_EQ(script.attempts(), 3u);
  auto delivered = script.delivered();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].first, "arn:aws:lambda:us-east-1:123456789012:function:failed");
  json::Value record = Parsed(delivered[0].second);
  EXPECT_EQ(Str(record, "version"), "1.0");
  EXPECT_EQ(Str(record, "requestContext", "condition"), "RetriesExhausted");
  EXPECT_EQ(Str(record, "requestContext", "approximateInvokeCount"), "3");
  EXPECT_EQ(Str(record, "requestContext", "requestId"), "r-1");
  EXPECT_EQ(Str(record, "requestContext", "functionArn"),
            "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST");
  EXPECT_EQ(json::Write(*record.find("requestPayload")), R"({"n":1})");
  EXPECT_EQ(Str(record, "responseContext", "functionError"), "Unhandled");
  EXPECT_EQ(Str(record, "responsePayload", "errorType"), "Boom");
}

TEST(AsyncInvocations, MaximumRetryAttemptsZeroRunsOnce) {
  AsyncInvocations async({0});
  Script script({FunctionError()});
  async.Submit(script.Event({0, 21'600, "", ""}));
  WaitIdle(async);
  EXPECT_EQ(script.attempts(), 1u);
  EXPECT_TRUE(script.delivered().empty());
}

TEST(AsyncInvocations, SuccessAfterARetryGoesToOnSuccess) {
  AsyncInvocations async({0});
  Script script({FunctionError(), Ok(R"({"done": true})")});
  async.Submit(script.Event({2, 21'600, "arn:aws:sqs:us-east-1:123456789012:ok", ""}));
  WaitIdle(async);
  EXPECT_EQ(script.attempts(), 2u);
  auto delivered = script.delivered();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].first, "arn:aws:sqs:us-east-1:123456789012:ok");
  json::Value record = Parsed(delivered[0].second);
  EXPECT_EQ(Str(record, "requestContext", "condition"), "Success");
  EXPECT_EQ(Str(record, "requestContext", "approximateInvokeCount"), "2");
  EXPECT_EQ(Str(record, "responseContext", "functionError"), "<missing>");
  EXPECT_EQ(Str(record, "responsePayload", "done"), "true");
}

TEST(AsyncInvocations, ThrottlingIsRetriedUntilTheEventIsTooOld) {
  AsyncInvocations async({0});
  Script script({Refused(429, "TooManyRequestsException")});
  // Backoff 1, 2, 4, ... s: the sixth retry would start 63 s after the event came.
  async.Submit(script.Event({2, 60, "", "arn:aws:lambda:us-east-1:123456789012:function:dlq"}));
  WaitIdle(async);
  EXPECT_EQ(script.attempts(), 6u);
  auto delivered = script.delivered();
  ASSERT_EQ(delivered.size(), 1u);
  json::Value record = Parsed(delivered[0].second);
  EXPECT_EQ(Str(record, "requestContext", "condition"), "EventAgeExceeded");
  EXPECT_EQ(Str(record, "responseContext", "statusCode"), "429");
  EXPECT_EQ(Str(record, "responsePayload", "errorType"), "TooManyRequestsException");
}

TEST(AsyncInvocations, ThrottlingThenSuccessDoesNotCountAsAnAttempt) {
  AsyncInvocations async({0});
  Script script({Refused(429, "TooManyRequestsException"), FunctionError(), FunctionError(),
                 FunctionError()});
  async.Submit(script.Event({1, 21'600, "", ""}));
  WaitIdle(async);
  // One throttled try, then the first attempt and one retry of the function error.
  EXPECT_EQ(script.attempts(), 3u);
}

TEST(AsyncInvocations, OtherRefusalsAreNotRetried) {
  AsyncInvocations async({0});
  Script script({Refused(404, "ResourceNotFoundException")});
  async.Submit(script.Event({2, 21'600, "", "arn:aws:lambda:us-east-1:123456789012:function:x"}));
  WaitIdle(async);
  EXPECT_EQ(script.attempts(), 1u);
  ASSERT_EQ(script.delivered().size(), 1u);
}

TEST(AsyncInvocations, RetriesWaitScaledDelays) {
  // 60 s before the second attempt, at a time scale of 1/1000: about 60 ms.
  AsyncInvocations async({0.001});
  Script script({FunctionError(), Ok("{}")});
  auto start = std::chrono::steady_clock::now();
  async.Submit(script.Event({2, 21'600, "", ""}));
  WaitIdle(async);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(script.attempts(), 2u);
  EXPECT_GE(waited, std::chrono::milliseconds(55));
}

TEST(AsyncInvocations, StoppingDropsWaitingRetries) {
  Script script({FunctionError()});
  {
    AsyncInvocations async({1.0});  // the retry would wait a whole minute
    async.Submit(script.Event({2, 21'600, "", "arn:aws:lambda:us-east-1:123456789012:function:x"}));
    for (int i = 0; i < 1000 && script.attempts() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(async.InFlight(), 1);
  }
  EXPECT_EQ(script.attempts(), 1u);
  EXPECT_TRUE(script.delivered().empty());
}

}  // namespace
}  // namespace stepfn::lambda

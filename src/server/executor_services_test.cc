// The executor with task services (services/task_service.h): a registered service runs the
// Task states no mock answers, its outcome becomes TaskSucceeded/TaskFailed (LambdaFunction*
// for a function ARN), callbacks wait for their token after the service accepted them, and
// CancelTask reaches the service.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "asl/program.h"
#include "json/parse.h"
#include "json/write.h"
#include "server/executor.h"
#include "store/memory_store.h"

namespace stepfn::server {
namespace {

// Answers "ok:<resource>" with its parameters, fails "fail:" resources, and keeps "hold:"
// tasks until the test lets them go (counting cancellations).
class FakeService : public services::TaskService {
 public:
  std::string_view name() const override { return "fake"; }
  bool Handles(std::string_view resource) const override {
    return services::BaseResource(resource).starts_with("arn:aws:states:::fake:") ||
           resource.starts_with("arn:aws:lambda:");
  }
  void Run(services::TaskRequest request, services::TaskDone done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    std::string_view base = services::BaseResource(request.resource);
    if (base.ends_with(":fail")) {
      done(services::TaskError{"Fake.Error", "it failed in " + request.state_name});
    } else if (base.ends_with(":hold")) {
      std::lock_guard<std::mutex> lock(mu_);
      held_.push_back(std::move(done));
      cv_.notify_all();
    } else {
      // Answered from another thread, as a real service does.
      std::thread([done = std::move(done), p = request.parameters] {
        done(json::Value::Object({{"echo", p}}));
      }).detach();
    }
  }
  void Cancel(const std::string& /*arn*/, uint64_t /*task_id*/) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++cancelled_;
  }
  bool WaitHeld(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return held_.size() >= n; });
  }
  int cancelled() {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }
  std::vector<services::TaskRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void ReleaseAll(json::Value v) {
    std::vector<services::TaskDone> held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      held.swap(held_);
    }
    for (auto& d : held) d(v);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<services::TaskRequest> requests_;
  std::vector<services::TaskDone> held_;
  int cancelled_ = 0;
};

class ExecutorServicesTest : public ::testing::Test {
 protected:
  ExecutorServicesTest() {
    services_.AddBorrowed(&fake_);
    executor_ =
        std::make_unique<Executor>(&store_, &clock_, nullptr, ExecutorOptions{.workers = 2});
    executor_->SetTaskServices(&services_);
  }
  ~ExecutorServicesTest() override {
    executor_->Stop();
    fake_.ReleaseAll(json::Value());  // after Stop: ignored
  }

  // Starts an execution; the future gets its final record.
  std::future<store::ExecutionRecord> Start(const std::string& definition,
                                            const std::string& input = "{}",
                                            const std::string& trace = "", bool express = false) {
    auto program = asl::Program::Compile(*json::Parse(definition));
    EXPECT_TRUE(program.ok()) << program.status().ToString();
    Launch launch;
    launch.program = *program;
    std::string name = "e" + std::to_string(++count_);
    launch.record.arn = std::string("arn:aws:states:us-east-1:123456789012:") +
                        (express ? "express:m:" : "execution:m:") + name;
    launch.info.express = express;
    launch.record.name = name;
    launch.record.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
    launch.record.input = input;
    launch.record.definition = definition;
    launch.record.start_date = clock_.NowMillis();
    launch.info.execution_arn = launch.record.arn;
    launch.info.execution_name = name;
    launch.info.state_machine_arn = launch.record.state_machine_arn;
    launch.info.state_machine_name = "m";
    launch.info.start_time = launch.record.start_date;
    launch.input = *json::Parse(input);
    launch.trace_header = trace;
    last_arn_ = launch.record.arn;
    auto promise = std::make_shared<std::promise<store::ExecutionRecord>>();
    auto future = promise->get_future();
    executor_->Start(
        std::move(launch), [](Status s) { EXPECT_TRUE(s.ok()) << s.ToString(); },
        [this, promise](const store::ExecutionRecord& r) {
          ended_on_ = std::this_thread::get_id();
          promise->set_value(r);
        });
    return future;
  }

  static store::ExecutionRecord Wait(std::future<store::ExecutionRecord>& f) {
    EXPECT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return f.get();
  }

  std::vector<std::string> Types(const std::string& arn) {
    auto history = store_.GetHistory(arn, 1, 1000, false);
    EXPECT_TRUE(history.ok());
    std::vector<std::string> types;
    if (history.ok()) {
      for (const auto& e : *history) types.push_back(e.type);
    }
    return types;
  }

  SystemClock clock_;
  store::MemoryStore store_;
  FakeService fake_;
  services::TaskServices services_;
  std::unique_ptr<Executor> executor_;
  int count_ = 0;
  std::string last_arn_;
  std::thread::id ended_on_;  // the thread that ran the last execution's last Step
};

TEST_F(ExecutorServicesTest, AServiceRunsTheTask) {
  auto f = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::fake:echo","Parameters":{"x.$":"$.x"},"End":true}}})",
                 R"({"x":5})", "Root=1-abc");
  store::ExecutionRecord r = Wait(f);
  EXPECT_EQ(r.status, store::ExecutionStatus::Succeeded);
  EXPECT_EQ(r.output, R"({"echo":{"x":5}})");
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].resource, "arn:aws:states:::fake:echo");
  EXPECT_EQ(requests[0].state_name, "T");
  EXPECT_EQ(requests[0].execution_arn, r.arn);
  EXPECT_EQ(requests[0].trace_header, "Root=1-abc");
  EXPECT_EQ(requests[0].retry_count, 0);
  EXPECT_EQ(Types(r.arn), (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                                    "TaskScheduled", "TaskStarted", "TaskSucceeded",
                                                    "TaskStateExited", "ExecutionSucceeded"}));
}

TEST_F(ExecutorServicesTest, AnIdleExpressExecutionGoesOnOnTheThreadOfTheOutcome) {
  // EXPRESS: the thread that delivers the outcome runs the next Step (no hop to a worker);
  // STANDARD: a worker does (its commits are answered on the store's thread).
  for (bool express : {true, false}) {
    SCOPED_TRACE(express ? "express" : "standard");
    auto f = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::fake:hold","End":true}}})",
                   "{}", "", express);
    ASSERT_TRUE(fake_.WaitHeld(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the execution is idle
    std::thread::id releaser;
    std::thread release([&] {
      releaser = std::this_thread::get_id();
      fake_.ReleaseAll(json::Value::Int(7));
    });
    release.join();
    store::ExecutionRecord r = Wait(f);
    EXPECT_EQ(r.status, store::ExecutionStatus::Succeeded);
    EXPECT_EQ(r.output, "7");
    if (express) {
      EXPECT_EQ(ended_on_, releaser);
    } else {
      EXPECT_NE(ended_on_, releaser);
    }
  }
}

TEST_F(ExecutorServicesTest, AFailureIsRetriedThenCaught) {
  auto f = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::fake:fail",
      "Retry":[{"ErrorEquals":["Fake.Error"],"IntervalSeconds":1,"MaxAttempts":1,
                "BackoffRate":1}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
      "C":{"Type":"Pass","End":true}}})");
  store::ExecutionRecord r = Wait(f);
  EXPECT_EQ(r.status, store::ExecutionStatus::Succeeded);
  EXPECT_EQ(r.output, R"({"Error":"Fake.Error","Cause":"it failed in T"})");
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].retry_count, 1);
}

TEST_F(ExecutorServicesTest, AFunctionArnRecordsLambdaFunctionEvents) {
  auto f = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}})",
                 R"({"a":1})");
  store::ExecutionRecord r = Wait(f);
  EXPECT_EQ(r.status, store::ExecutionStatus::Succeeded);
  EXPECT_EQ(r.output, R"({"echo":{"a":1}})");
  EXPECT_EQ(Types(r.arn), (std::vector<std::string>{
                              "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                              "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                              "ExecutionSucceeded"}));
}

TEST_F(ExecutorServicesTest, ACallbackWaitsForItsTokenButFailsWithTheService) {
  auto fails = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::fake:fail.waitForTaskToken","End":true}}})");
  store::ExecutionRecord r = Wait(fails);
  EXPECT_EQ(r.status, store::ExecutionStatus::Failed);
  EXPECT_EQ(r.error, "Fake.Error");

  auto waits = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::fake:echo.waitForTaskToken","End":true}}})");
  // The service answered; the execution still waits for SendTaskSuccess.
  EXPECT_EQ(waits.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  auto requests = fake_.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().task_token.size(), 32u);
  eval::Input answer;
  answer.kind = eval::InputKind::TaskSucceeded;
  answer.id = requests.back().task_id;
  answer.value = *json::Parse(R"({"from":"token"})");
  executor_->Deliver(requests.back().execution_arn, std::move(answer), nullptr);
  r = Wait(waits);
  EXPECT_EQ(r.status, store::ExecutionStatus::Succeeded);
  EXPECT_EQ(r.output, R"({"from":"token"})");
}

TEST_F(ExecutorServicesTest, ATimeoutCancelsTheTask) {
  auto f = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::fake:hold","TimeoutSeconds":1,"End":true}}})");
  ASSERT_TRUE(fake_.WaitHeld(1));
  store::ExecutionRecord r = Wait(f);
  EXPECT_EQ(r.status, store::ExecutionStatus::Failed);
  EXPECT_EQ(r.error, "States.Timeout");
  EXPECT_EQ(fake_.cancelled(), 1);
  // The late outcome is ignored.
  fake_.ReleaseAll(json::Value::Int(1));
}

TEST_F(ExecutorServicesTest, UnknownResourcesStillFailClearly) {
  auto f = Start(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::s3:putObject","End":true}}})");
  store::ExecutionRecord r = Wait(f);
  EXPECT_EQ(r.status, store::ExecutionStatus::Failed);
  EXPECT_EQ(r.error, "States.TaskFailed");
  EXPECT_NE(r.cause.find("No service answers the resource"), std::string::npos) << r.cause;
}

TEST(TaskServices, BaseResourceAndFind) {
  std::string_view pattern;
  EXPECT_EQ(services::BaseResource("arn:aws:states:::lambda:invoke.waitForTaskToken", &pattern),
            "arn:aws:states:::lambda:invoke");
  EXPECT_EQ(pattern, "waitForTaskToken");
  EXPECT_EQ(services::BaseResource("arn:aws:states:::states:startExecution.sync:2", &pattern),
            "arn:aws:states:::states:startExecution");
  EXPECT_EQ(pattern, "sync:2");
  EXPECT_EQ(services::BaseResource("arn:aws:states:::lambda:invoke", &pattern),
            "arn:aws:states:::lambda:invoke");
  EXPECT_EQ(pattern, "");
  services::TaskServices registry;
  EXPECT_EQ(registry.Find("arn:aws:states:::fake:x"), nullptr);
  registry.Add(std::make_unique<FakeService>());
  EXPECT_NE(registry.Find("arn:aws:states:::fake:x"), nullptr);
  EXPECT_EQ(registry.Find("arn:aws:states:::sns:publish"), nullptr);
}

}  // namespace
}  // namespace stepfn::server

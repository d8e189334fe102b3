#include "services/lambda/environments.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace stepfn::lambda {
namespace {

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// This machine's python3 (through any version-manager shim), for the test bootstrap's #! line.
std::string RealPython() {
  static std::string python = [] {
    std::string out;
    FILE* pipe = ::popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r");
    if (pipe == nullptr) return out;
    char buf[512];
    while (fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
    ::pclose(pipe);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }();
  return python;
}

// True when the process is gone (or a zombie nobody waits for).
bool ProcessGone(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

struct Logged {
  std::string group;
  std::string stream;
  std::string message;
};

class EnvironmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stepfn-env-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    code_dir_ = root_ + "/code";
    std::filesystem::create_directories(code_dir_);
    if (RealPython().empty()) GTEST_SKIP() << "python3 is not installed";
    std::string bootstrap = "#!" + RealPython() + "\n" +
                            ReadFile(std::string(STEPFN_LAMBDA_TESTDATA) + "/bootstrap.py");
    std::ofstream(code_dir_ + "/bootstrap") << bootstrap;
    ::chmod((code_dir_ + "/bootstrap").c_str(), 0755);
  }

  void TearDown() override {
    if (env_) env_->Stop();
    env_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void StartEnvironments(int max_workers = 0, int idle_timeout_seconds = 600) {
    EnvironmentsOptions options;
    options.idle_timeout_seconds = idle_timeout_seconds;
    options.work_dir = root_ + "/work";
    options.max_workers = max_workers;
    options.endpoint_url = "http://127.0.0.1:8083";
    options.log = [this](const std::string& group, const std::string& stream,
                         std::vector<LogLine> lines) {
      std::lock_guard<std::mutex> lock(log_mu_);
      for (auto& line : lines) logs_.push_back({group, stream, std::move(line.message)});
    };
    auto env = Environments::Start(std::move(options));
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = std::move(env).value();
  }

  std::shared_ptr<FunctionConfig> Config(const std::string& name = "fn") {
    auto config = std::make_shared<FunctionConfig>();
    config->name = name;
    config->arn = "arn:aws:lambda:us-east-1:123456789012:function:" + name;
    config->version = "$LATEST";
    config->runtime = "provided.al2023";
    config->handler = "unused";
    config->code_dir = code_dir_;
    config->timeout_seconds = 5;
    config->memory_mb = 128;
    return config;
  }

  std::future<InvokeOutcome> InvokeAsync(std::shared_ptr<const FunctionConfig> config,
                                         std::string payload, bool log_tail = false) {
    auto promise = std::make_shared<std::promise<InvokeOutcome>>();
    std::future<InvokeOutcome> future = promise->get_future();
    InvokeRequest request;
    request.function_name = config->name;
    request.payload = std::move(payload);
    request.log_tail = log_tail;
    env_->Invoke(std::move(config), std::move(request),
                 [promise](InvokeOutcome outcome) { promise->set_value(std::move(outcome)); });
    return future;
  }

  InvokeOutcome Invoke(std::shared_ptr<const FunctionConfig> config, std::string payload,
                       bool log_tail = false) {
    std::future<InvokeOutcome> future =
        InvokeAsync(std::move(config), std::move(payload), log_tail);
    if (future.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "the invocation did not end";
      return InvokeError{0, "Hung", "", ""};
    }
    return future.get();
  }

  static InvokeResponse Response(const InvokeOutcome& outcome) {
    if (const auto* error = std::get_if<InvokeError>(&outcome)) {
      ADD_FAILURE() << "InvokeError " << error->code << ": " << error->message;
      return {};
    }
    return std::get<InvokeResponse>(outcome);
  }

  // The pid the echo action reports.
  static std::string Pid(const InvokeResponse& response) {
    size_t at = response.payload.find("\"pid\": ");
    if (at == std::string::npos) return "";
    size_t end = response.payload.find_first_of(",}", at);
    return response.payload.substr(at + 7, end - at - 7);
  }

  std::vector<Logged> Logs() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return logs_;
  }

  bool LogContains(const std::string& text) {
    for (const Logged& line : Logs()) {
      if (line.message.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::string root_;
  std::string code_dir_;
  std::unique_ptr<Environments> env_;
  std::mutex log_mu_;
  std::vector<Logged> logs_;
};

TEST_F(EnvironmentsTest, WarmWorkerIsReused) {
  StartEnvironments();
  auto config = Config();
  InvokeResponse first = Response(Invoke(config, R"({"action":"echo","n":1})"));
  EXPECT_EQ(first.status_code, 200);
  EXPECT_EQ(first.function_error, "");
  EXPECT_EQ(first.executed_version, "$LATEST");
  EXPECT_EQ(first.request_id.size(), 36u);
  EXPECT_NE(first.payload.find("\"n\": 1"), std::string::npos) << first.payload;
  InvokeResponse second = Response(Invoke(config, R"({"action":"echo","n":2})"));
  EXPECT_EQ(Pid(first), Pid(second));
  EXPECT_FALSE(Pid(first).empty());
  EXPECT_NE(first.request_id, second.request_id);
  // The runtime saw AWS's headers.
  EXPECT_NE(second.payload.find("lambda-runtime-deadline-ms"), std::string::npos);
  EXPECT_NE(second.payload.find("\"lambda-runtime-invoked-function-arn\": "
                                "\"arn:aws:lambda:us-east-1:123456789012:function:fn\""),
            std::string::npos)
      << second.payload;
  EXPECT_NE(second.payload.find("lambda-runtime-trace-id\": \"Root=1-"), std::string::npos);
  Environments::Stats stats = env_->stats();
  EXPECT_EQ(stats.workers, 1);
  EXPECT_EQ(stats.busy, 0);
  EXPECT_EQ(stats.queued, 0);
}

TEST_F(EnvironmentsTest, EmptyPayloadIsAnEmptyObject) {
  StartEnvironments();
  InvokeResponse response = Response(Invoke(Config(), ""));
  EXPECT_NE(response.payload.find("\"event\": {}"), std::string::npos) << response.payload;
}

TEST_F(EnvironmentsTest, EnvironmentAsAwsSetsIt) {
  StartEnvironments();
  auto config = Config("env-fn");
  config->environment = {
      {"MY_VAR", "mine"}, {"AWS_LAMBDA_FUNCTION_NAME", "hijack"}, {"TZ", ":Europe/Paris"}};
  InvokeResponse response = Response(Invoke(config, R"({"action":"env"})"));
  const std::string& p = response.payload;
  EXPECT_NE(p.find("\"AWS_LAMBDA_FUNCTION_NAME\": \"env-fn\""), std::string::npos) << p;
  EXPECT_NE(p.find("\"MY_VAR\": \"mine\""), std::string::npos);
  EXPECT_NE(p.find("\"TZ\": \":Europe/Paris\""), std::string::npos);
  EXPECT_NE(p.find("\"AWS_LAMBDA_FUNCTION_MEMORY_SIZE\": \"128\""), std::string::npos);
  EXPECT_NE(p.find("\"AWS_LAMBDA_LOG_GROUP_NAME\": \"/aws/lambda/env-fn\""), std::string::npos);
  EXPECT_NE(p.find("\"AWS_LAMBDA_LOG_STREAM_NAME\": \"20"), std::string::npos);
  EXPECT_NE(p.find("[$LATEST]"), std::string::npos);
  EXPECT_NE(p.find("\"AWS_REGION\": \"us-east-1\""), std::string::npos);
  EXPECT_NE(p.find("\"AWS_ENDPOINT_URL\": \"http://127.0.0.1:8083\""), std::string::npos);
  EXPECT_NE(p.find("\"LAMBDA_TASK_ROOT\": \"" + code_dir_ + "\""), std::string::npos);
  EXPECT_NE(p.find("\"cwd\": \"" + code_dir_ + "\""), std::string::npos);
  EXPECT_NE(p.find("\"TMPDIR\": \"" + root_ + "/work/tmp/"), std::string::npos);
  EXPECT_NE(p.find("\"AWS_ACCESS_KEY_ID\": "), std::string::npos);
  EXPECT_EQ(p.find("hijack"), std::string::npos);
}

TEST_F(EnvironmentsTest, LogsStartEndReportAndTail) {
  StartEnvironments();
  auto config = Config("logged");
  InvokeResponse first = Response(Invoke(config, R"({"action":"print"})", /*log_tail=*/true));
  InvokeResponse second = Response(Invoke(config, R"({"action":"print"})", true));
  ASSERT_FALSE(first.log_result.empty());
  // The tail holds the function's output between START and END.
  std::string decoded;
  {
    // Decode with python-free logic: the tail is base64 of plain text.
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int bits = 0;
    uint32_t acc = 0;
    for (char c : first.log_result) {
      if (c == '=') break;
      acc = (acc << 6) | static_cast<uint32_t>(kAlphabet.find(c));
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        decoded.push_back(static_cast<char>((acc >> bits) & 0xff));
      }
    }
  }
  EXPECT_EQ(decoded.rfind("START RequestId: " + first.request_id + " Version: $LATEST\n", 0), 0u)
      << decoded;
  EXPECT_NE(decoded.find("hello from the function " + first.request_id + "\n"), std::string::npos);
  EXPECT_NE(decoded.find("no newline at the end\nEND RequestId: " + first.request_id),
            std::string::npos)
      << decoded;
  EXPECT_NE(decoded.find("REPORT RequestId: " + first.request_id + "\tDuration: "),
            std::string::npos);
  EXPECT_NE(decoded.find("\tInit Duration: "), std::string::npos) << decoded;
  EXPECT_NE(decoded.find(" ms\tMemory Size: 128 MB\tMax Memory Used: "), std::string::npos);

  ASSERT_TRUE(WaitFor([&] { return LogContains("REPORT RequestId: " + second.request_id); }));
  std::vector<Logged> logs = Logs();
  std::vector<std::string> mine;
  for (const Logged& line : logs) {
    EXPECT_EQ(line.group, "/aws/lambda/logged");
    EXPECT_EQ(line.stream, logs[0].stream);  // one environment, one stream
    mine.push_back(line.message);
  }
  ASSERT_GE(mine.size(), 10u);
  EXPECT_EQ(mine[0], "START RequestId: " + first.request_id + " Version: $LATEST");
  EXPECT_EQ(mine[1], "hello from the function " + first.request_id);
  EXPECT_EQ(mine[2], "no newline at the end");
  EXPECT_EQ(mine[3], "END RequestId: " + first.request_id);
  EXPECT_EQ(mine[4].rfind("REPORT RequestId: " + first.request_id + "\tDuration: ", 0), 0u);
  EXPECT_NE(mine[4].find("\tInit Duration: "), std::string::npos);
  EXPECT_EQ(mine[5], "START RequestId: " + second.request_id + " Version: $LATEST");
  EXPECT_EQ(mine[9].find("Init Duration"), std::string::npos) << mine[9];  // warm
}

TEST_F(EnvironmentsTest, ParallelInvocationsGetTheirOwnWorkers) {
  StartEnvironments();
  auto config = Config();
  std::vector<std::future<InvokeOutcome>> futures;
  for (int i = 0; i < 3; ++i)
    futures.push_back(InvokeAsync(config, R"({"action":"sleep","ms":1000})"));
  std::set<std::string> pids;
  for (auto& future : futures) {
    ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
    pids.insert(Pid(Response(future.get())));
  }
  // Three workers were started; each normally ran one (a worker that finished early may take
  // an invocation whose own worker was slow to start on a loaded machine).
  EXPECT_GE(pids.size(), 2u);
  EXPECT_EQ(env_->stats().workers, 3);
}

TEST_F(EnvironmentsTest, ReservedConcurrencyThrottles) {
  StartEnvironments();
  auto config = Config();
  config->reserved_concurrency = 1;
  auto slow = InvokeAsync(config, R"({"action":"sleep","ms":500})");
  ASSERT_TRUE(WaitFor([&] { return env_->stats().workers == 1; }));
  InvokeOutcome throttled = Invoke(config, R"({"action":"echo"})");
  ASSERT_TRUE(std::holds_alternative<InvokeError>(throttled));
  EXPECT_EQ(std::get<InvokeError>(throttled).http_status, 429);
  EXPECT_EQ(std::get<InvokeError>(throttled).code, "TooManyRequestsException");
  EXPECT_EQ(std::get<InvokeError>(throttled).message, "Rate Exceeded.");
  ASSERT_EQ(slow.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(Response(slow.get()).function_error, "");
  EXPECT_EQ(Response(Invoke(config, R"({"action":"echo"})")).function_error, "");

  auto zero = Config("zero");
  zero->reserved_concurrency = 0;
  EXPECT_TRUE(std::holds_alternative<InvokeError>(Invoke(zero, "{}")));
}

TEST_F(EnvironmentsTest, QueueAtMaxWorkersEvictsIdleWorkersOfOtherFunctions) {
  StartEnvironments(/*max_workers=*/1);
  auto a = Config("a");
  auto b = Config("b");
  auto slow = InvokeAsync(a, R"({"action":"sleep","ms":600})");
  ASSERT_TRUE(WaitFor([&] { return env_->stats().busy == 1; }));
  auto waiting = InvokeAsync(b, R"({"action":"echo"})");
  ASSERT_TRUE(WaitFor([&] { return env_->stats().queued == 1; }));
  EXPECT_EQ(env_->stats().workers, 1);
  ASSERT_EQ(slow.wait_for(20s), std::future_status::ready);
  ASSERT_EQ(waiting.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(Response(slow.get()).function_error, "");
  EXPECT_EQ(Response(waiting.get()).function_error, "");
  EXPECT_EQ(env_->stats().workers, 1);
  EXPECT_EQ(env_->stats().queued, 0);
}

TEST_F(EnvironmentsTest, HandlerThatExits) {
  StartEnvironments();
  auto config = Config();
  std::string pid = Pid(Response(Invoke(config, R"({"action":"echo"})")));
  InvokeResponse crashed = Response(Invoke(config, R"({"action":"exit"})", true));
  EXPECT_EQ(crashed.status_code, 200);
  EXPECT_EQ(crashed.function_error, "Unhandled");
  EXPECT_EQ(crashed.payload, "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":\"RequestId: " +
                                 crashed.request_id +
                                 " Error: Runtime exited with error: exit status 1\"}");
  ASSERT_TRUE(WaitFor([&] { return env_->stats().workers == 0; }));
  EXPECT_TRUE(ProcessGone(std::stoi(pid)));
  // Replaced on demand.
  InvokeResponse again = Response(Invoke(config, R"({"action":"echo"})"));
  EXPECT_NE(Pid(again), pid);
  ASSERT_TRUE(WaitFor([&] { return LogContains("exiting now"); }));
  EXPECT_TRUE(LogContains("RequestId: " + crashed.request_id +
                          " Error: Runtime exited with error: exit status 1"));
}

TEST_F(EnvironmentsTest, TimeoutKillsTheWholeProcessGroup) {
  StartEnvironments();
  auto config = Config();
  config->timeout_seconds = 1;
  std::string pidfile = root_ + "/grandchild.pid";
  InvokeResponse response =
      Response(Invoke(config, R"({"action":"hang","pidfile":")" + pidfile + R"("})"));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_EQ(response.payload, "{\"errorType\":\"Sandbox.Timedout\",\"errorMessage\":\"RequestId: " +
                                  response.request_id +
                                  " Error: Task timed out after 1.00 seconds\"}");
  std::string grandchild = ReadFile(pidfile);
  ASSERT_FALSE(grandchild.empty());
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(std::stoi(grandchild)); }));
  EXPECT_TRUE(WaitFor([&] { return env_->stats().workers == 0; }));
  ASSERT_TRUE(WaitFor([&] { return LogContains("REPORT RequestId: " + response.request_id); }));
  EXPECT_TRUE(LogContains(" " + response.request_id + " Task timed out after 1.00 seconds"));
  EXPECT_TRUE(LogContains("\tStatus: timeout"));
  // A fresh worker takes the next invocation.
  EXPECT_EQ(Response(Invoke(config, R"({"action":"echo"})")).function_error, "");
}

TEST_F(EnvironmentsTest, GarbageAndMegabytesOfOutput) {
  StartEnvironments();
  auto config = Config();
  InvokeResponse response = Response(Invoke(config, R"({"action":"garbage","kb":5000})", true));
  EXPECT_EQ(response.function_error, "");
  EXPECT_LE(response.log_result.size(), 4 * 4096u);
  ASSERT_TRUE(WaitFor([&] { return LogContains("REPORT RequestId: " + response.request_id); }));
  size_t x_lines = 0;
  bool sanitized = false;
  for (const Logged& line : Logs()) {
    EXPECT_LE(line.message.size(), 256u * 1024);
    if (line.message.size() == 1000 && line.message[0] == 'x') ++x_lines;
    if (line.message == "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD") sanitized = true;
  }
  EXPECT_TRUE(sanitized);
  EXPECT_GT(x_lines, 1000u);  // kept, up to the buffer bound
  EXPECT_EQ(Response(Invoke(config, R"({"action":"echo"})")).function_error, "");
}

TEST_F(EnvironmentsTest, ResponseOverSixMegabytesIsRefused) {
  StartEnvironments();
  auto config = Config();
  InvokeResponse response = Response(Invoke(config, R"({"action":"big","mb":10})"));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_EQ(response.payload,
            "{\"errorType\":\"Function.ResponseSizeTooLarge\",\"errorMessage\":\"RequestId: " +
                response.request_id +
                " Error: Response payload size (10485762 bytes) exceeded "
                "maximum allowed payload size (6291556 bytes).\"}");
  // Just under the limit passes.
  InvokeResponse fits = Response(Invoke(config, R"({"action":"big","mb":5})"));
  EXPECT_EQ(fits.function_error, "");
  EXPECT_EQ(fits.payload.size(), 5u * 1024 * 1024 + 2);
}

TEST_F(EnvironmentsTest, MemoryLimitKillsTheWorker) {
  StartEnvironments();
  auto config = Config();
  InvokeResponse response = Response(Invoke(config, R"({"action":"memory"})"));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_EQ(response.payload,
            "{\"errorType\":\"Runtime.OutOfMemory\",\"errorMessage\":\"RequestId: " +
                response.request_id + " Error: Runtime exited with error: signal: killed\"}");
  ASSERT_TRUE(WaitFor([&] { return LogContains("REPORT RequestId: " + response.request_id); }));
  std::string report;
  for (const Logged& line : Logs()) {
    if (line.message.rfind("REPORT RequestId: " + response.request_id, 0) == 0)
      report = line.message;
  }
  EXPECT_NE(report.find("\tMax Memory Used: 128 MB\tInit Duration: "), std::string::npos) << report;
  EXPECT_NE(report.find("\tStatus: error\tError Type: Runtime.OutOfMemory"), std::string::npos);
  EXPECT_EQ(Response(Invoke(config, R"({"action":"echo"})")).function_error, "");
}

TEST_F(EnvironmentsTest, FunctionErrorIsUnhandled) {
  StartEnvironments();
  InvokeResponse response = Response(Invoke(Config(), R"({"action":"error"})"));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_EQ(response.payload,
            R"({"errorType": "MyError", "errorMessage": "it failed", "stackTrace": []})");
}

TEST_F(EnvironmentsTest, RuntimeApiRefusesWrongIdsAndSecondAnswers) {
  StartEnvironments();
  InvokeResponse response = Response(Invoke(Config(), R"({"action":"protocol"})"));
  EXPECT_EQ(response.payload, R"({"first": true})");
  ASSERT_TRUE(WaitFor([&] { return LogContains("protocol "); }));
  std::string line;
  for (const Logged& l : Logs()) {
    if (l.message.rfind("protocol ", 0) == 0) line = l.message;
  }
  EXPECT_EQ(line.rfind("protocol 400 202 403 404 ", 0), 0u) << line;
  EXPECT_NE(line.find("\"errorType\":\"InvalidRequestID\""), std::string::npos);
  EXPECT_NE(line.find("\"errorType\":\"InvalidStateTransition\""), std::string::npos);
}

TEST_F(EnvironmentsTest, MissingBootstrap) {
  StartEnvironments();
  auto config = Config();
  config->code_dir = root_ + "/empty";
  std::filesystem::create_directories(config->code_dir);
  InvokeResponse response = Response(Invoke(config, "{}", true));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_EQ(response.payload,
            "{\"errorType\":\"Runtime.InvalidEntrypoint\",\"errorMessage\":\"RequestId: " +
                response.request_id + " Error: Couldn't find valid bootstrap(s): [" + root_ +
                "/empty/bootstrap]\"}");
  EXPECT_FALSE(response.log_result.empty());
  EXPECT_EQ(env_->stats().workers, 0);
  EXPECT_EQ(env_->stats().queued, 0);
}

TEST_F(EnvironmentsTest, RuntimeNotInstalled) {
  StartEnvironments();
  auto config = Config();
  config->runtime = "java21";
  InvokeResponse response = Response(Invoke(config, "{}"));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_NE(response.payload.find("\"errorType\":\"Runtime.InvalidEntrypoint\""), std::string::npos)
      << response.payload;
  EXPECT_EQ(env_->stats().workers, 0);
}

TEST_F(EnvironmentsTest, InitFailures) {
  StartEnvironments();
  auto posted = Config("init-error");
  posted->environment = {{"INIT_FAIL", "1"}};
  InvokeResponse response = Response(Invoke(posted, "{}"));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_NE(response.payload.find("Runtime.TestInitError"), std::string::npos) << response.payload;

  auto exits = Config("init-exit");
  exits->environment = {{"INIT_EXIT", "1"}};
  response = Response(Invoke(exits, "{}"));
  EXPECT_EQ(response.function_error, "Unhandled");
  EXPECT_EQ(response.payload,
            "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":\"RequestId: " +
                response.request_id + " Error: Runtime exited with error: exit status 3\"}");
  EXPECT_TRUE(WaitFor([&] { return env_->stats().workers == 0; }));
}

TEST_F(EnvironmentsTest, RetireReplacesWorkers) {
  StartEnvironments();
  auto config = Config();
  std::string first = Pid(Response(Invoke(config, R"({"action":"echo"})")));
  env_->Retire(config->arn, "$LATEST");
  ASSERT_TRUE(WaitFor([&] { return env_->stats().workers == 0; }));
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(std::stoi(first)); }));
  std::string second = Pid(Response(Invoke(config, R"({"action":"echo"})")));
  EXPECT_NE(first, second);

  // A busy worker finishes its invocation, then goes.
  auto slow = InvokeAsync(config, R"({"action":"sleep","ms":300})");
  ASSERT_TRUE(WaitFor([&] { return env_->stats().busy == 1; }));
  env_->Retire(config->arn, "");
  ASSERT_EQ(slow.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(Response(slow.get()).function_error, "");
  EXPECT_TRUE(WaitFor([&] { return env_->stats().workers == 0; }));
}

TEST_F(EnvironmentsTest, IdleWorkersAreReaped) {
  StartEnvironments(0, /*idle_timeout_seconds=*/1);
  std::string pid = Pid(Response(Invoke(Config(), R"({"action":"echo"})")));
  EXPECT_EQ(env_->stats().workers, 1);
  ASSERT_TRUE(WaitFor([&] { return env_->stats().workers == 0; }, 5s));
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(std::stoi(pid)); }));
}

TEST_F(EnvironmentsTest, StopFailsInvocationsInFlight) {
  StartEnvironments();
  auto config = Config();
  std::string pidfile = root_ + "/grandchild.pid";
  auto hanging = InvokeAsync(config, R"({"action":"hang","pidfile":")" + pidfile + R"("})");
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(pidfile).empty(); }));
  env_->Stop();
  ASSERT_EQ(hanging.wait_for(5s), std::future_status::ready);
  InvokeOutcome outcome = hanging.get();
  ASSERT_TRUE(std::holds_alternative<InvokeError>(outcome));
  EXPECT_EQ(std::get<InvokeError>(outcome).code, "ServiceException");
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(std::stoi(ReadFile(pidfile))); }));
  // Later invocations fail the same way; Stop is idempotent.
  EXPECT_TRUE(std::holds_alternative<InvokeError>(Invoke(config, "{}")));
  env_->Stop();
}

// The runtime clients built into the binary (runtimes/), with real handlers.
TEST_F(EnvironmentsTest, PythonAndNodeFunctions) {
  StartEnvironments();
  std::string python_dir = root_ + "/py";
  std::filesystem::create_directories(python_dir);
  std::ofstream(python_dir + "/app.py") << "import os\n"
                                           "def handler(event, context):\n"
                                           "    print('python says hi')\n"
                                           "    return {'echo': event, 'pid': os.getpid()}\n";
  auto python = Config("py-fn");
  python->runtime = "python3.12";
  python->handler = "app.handler";
  python->code_dir = python_dir;
  if (!std::filesystem::exists(root_ + "/work/runtimes/python/runtime.py")) {
    GTEST_SKIP() << "no python runtime client was embedded";
  }
  InvokeResponse response = Response(Invoke(python, R"({"a":1})", true));
  EXPECT_EQ(response.function_error, "") << response.payload;
  EXPECT_NE(response.payload.find("\"echo\": {\"a\": 1}"), std::string::npos) << response.payload;
  EXPECT_EQ(Pid(response), Pid(Response(Invoke(python, R"({"a":2})"))));

  std::string node_dir = root_ + "/node";
  std::filesystem::create_directories(node_dir);
  std::ofstream(node_dir + "/index.js")
      << "exports.handler = async (event) => ({echo: event, pid: process.pid});\n";
  auto node = Config("node-fn");
  node->runtime = "nodejs20.x";
  node->handler = "index.handler";
  node->code_dir = node_dir;
  if (!std::filesystem::exists(root_ + "/work/runtimes/node/runtime.js")) {
    GTEST_SKIP() << "no node runtime client was embedded";
  }
  response = Response(Invoke(node, R"({"b":2})"));
  EXPECT_EQ(response.function_error, "") << response.payload;
  EXPECT_NE(response.payload.find("\"echo\":{\"b\":2}"), std::string::npos) << response.payload;
}

TEST(EnvironmentsStartTest, NeedsAWorkDir) {
  EXPECT_FALSE(Environments::Start(EnvironmentsOptions{}).ok());
}

}  // namespace
}  // namespace stepfn::lambda

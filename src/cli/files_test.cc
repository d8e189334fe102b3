#include "cli/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::cli {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("stepfn_files_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(FilesTest, ReadsWholeFilesWithParsePadding) {
  for (size_t size : {0, 1, 15, 16, 64, 4095, 4096, 70000, 300000}) {
    std::string text;
    for (size_t i = 0; i < size; ++i) text.push_back(static_cast<char>('a' + i % 26));
    std::string path = Write("f" + std::to_string(size), text);
    Result<std::string> read = ReadFile(path, 1 << 20);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_EQ(*read, text);
    // Moves keep the spare capacity; it is what lets the parser skip its copy.
    std::string moved = *std::move(read);
    EXPECT_TRUE(HasParsePadding(moved)) << size;
  }
  EXPECT_FALSE(HasParsePadding(std::string(100, 'x')));
}

TEST_F(FilesTest, ParsesJsonFilesInPlace) {
  std::string path = Write("doc.json", R"({"a": [1, 2, {"b": "\u00e9"}], "c": null})");
  Result<json::Value> v = ReadJsonFile(path, 1 << 20);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(json::Write(*v), "{\"a\":[1,2,{\"b\":\"\xc3\xa9\"}],\"c\":null}");
  std::string bad = Write("bad.json", "[1, 2");
  Result<json::Value> e = ReadJsonFile(bad, 1 << 20);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message().rfind(bad + ": invalid JSON at line 1", 0), 0u)
      << e.status().message();
}

TEST_F(FilesTest, ErrorsNameTheFileAndSayWhy) {
  std::string missing = (dir_ / "missing.json").string();
  Result<std::string> r = ReadFile(missing, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), missing + ": no such file");

  r = ReadFile((dir_ / "missing" / "x.json").string(), 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), (dir_ / "missing" / "x.json").string() + ": no such file");

  r = ReadFile(dir_.string(), 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), dir_.string() + ": is a directory");

  std::string big = Write("big", std::string(101, ' '));
  r = ReadFile(big, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), big + ": 101 bytes is larger than the limit of 100 bytes");
  r = ReadFile(big, 101);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 101u);
}

TEST_F(FilesTest, ReadsFilesWithoutAKnownSize) {
  // A character device reports size 0 and is read to its end.
  Result<std::string> r = ReadFile("/dev/null", 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "");
  EXPECT_TRUE(HasParsePadding(*r));
  // An endless one stops at the limit with an error.
  r = ReadFile("/dev/zero", 100000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/dev/zero: larger than the limit of 100000 bytes");
}

}  // namespace
}  // namespace stepfn::cli

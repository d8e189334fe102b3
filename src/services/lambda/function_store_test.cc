#include "services/lambda/function_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "services/lambda/testing_zip.h"

namespace stepfn::lambda {
namespace {

using testing::MakeZip;
using testing::ReadFile;
using testing::TempDir;
namespace fs = std::filesystem;

FunctionRecord NewFunction(const std::string& name, const CodeRef& code) {
  FunctionRecord f;
  f.name = name;
  f.latest.runtime = "provided.al2023";
  f.latest.handler = "bootstrap";
  f.latest.role = "arn:aws:iam::123456789012:role/r";
  f.latest.environment = {{"A", "1"}};
  f.latest.code = code;
  f.latest.revision_id = NewRevisionId();
  f.latest.last_modified = LambdaTimestampNow();
  return f;
}

TEST(FunctionStore, CreateUpdateDeleteAndRestart) {
  TempDir dir;
  std::string code_dir;
  {
    auto store = FunctionStore::Open({.dir = dir.path(), .fsync = false});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::string package = MakeZip({{"bootstrap", "#!/bin/sh\n", 0100755}});
    auto code = (*store)->AddZip(package);
    ASSERT_TRUE(code.ok()) << code.status().ToString();
    code_dir = (*store)->CodeDir(*code);
    EXPECT_EQ(ReadFile(code_dir + "/bootstrap"), "#!/bin/sh\n");
    // The package is kept as it was sent, beside its directory.
    EXPECT_EQ((*store)->PackagePath(*code), code_dir + ".zip");
    EXPECT_EQ(ReadFile(code_dir + ".zip"), package);
    ASSERT_TRUE((*store)->Create(NewFunction("f1", *code)).ok());
    (*store)->Unpin(*code);
    EXPECT_EQ((*store)->Create(NewFunction("f1", *code)).code(), StatusCode::AlreadyExists);
    auto updated = (*store)->Update("f1", [](FunctionRecord* f) {
      f->versions[1] = f->latest;
      f->versions[1].version = "1";
      f->last_version = 1;
      f->aliases["live"] = {"live", "1", "d", {}, NewRevisionId()};
      f->reserved_concurrency = 3;
      return Status::Ok();
    });
    ASSERT_TRUE(updated.ok());
    EXPECT_EQ(
        (*store)->Update("nope", [](FunctionRecord*) { return Status::Ok(); }).status().code(),
        StatusCode::NotFound);
    // A refused change leaves the function as it was.
    EXPECT_FALSE((*store)
                     ->Update("f1",
                              [](FunctionRecord* f) {
                                f->latest.handler = "changed";
                                return InvalidArgument("no");
                              })
                     .ok());
    EXPECT_EQ((*store)->Get("f1")->latest.handler, "bootstrap");
  }
  // What a crash in the middle of AddZip leaves is removed when the store opens.
  fs::create_directories(dir.path() + "/code/.unpack-abc123/sub");
  std::ofstream(dir.path() + "/code/0123.zip.tmp") << "partial";
  {
    auto store = FunctionStore::Open({.dir = dir.path(), .fsync = false});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_FALSE(fs::exists(dir.path() + "/code/.unpack-abc123"));
    EXPECT_FALSE(fs::exists(dir.path() + "/code/0123.zip.tmp"));
    EXPECT_TRUE(fs::exists(code_dir + ".zip"));
    auto f1 = (*store)->Get("f1");
    ASSERT_TRUE(f1.ok());
    EXPECT_EQ(f1->latest.environment.at("A"), "1");
    ASSERT_EQ(f1->versions.size(), 1u);
    EXPECT_EQ(f1->versions.at(1).version, "1");
    EXPECT_EQ(f1->aliases.at("live").function_version, "1");
    EXPECT_EQ(f1->reserved_concurrency, 3);
    EXPECT_TRUE(fs::exists(code_dir + "/bootstrap"));
    // New code for $LATEST: the old package stays while version 1 uses it.
    auto code2 = (*store)->AddZip(MakeZip({{"bootstrap", "#!/bin/sh\necho 2\n", 0100755}}));
    ASSERT_TRUE(code2.ok());
    ASSERT_TRUE((*store)
                    ->Update("f1",
                             [&](FunctionRecord* f) {
                               f->latest.code = *code2;
                               return Status::Ok();
                             })
                    .ok());
    (*store)->Unpin(*code2);
    EXPECT_TRUE(fs::exists(code_dir));
    ASSERT_TRUE((*store)->Delete("f1").ok());
    EXPECT_EQ((*store)->Delete("f1").code(), StatusCode::NotFound);
    EXPECT_FALSE(fs::exists(code_dir));
    EXPECT_FALSE(fs::exists(code_dir + ".zip"));
    EXPECT_FALSE(fs::exists((*store)->CodeDir(*code2)));
    EXPECT_EQ((*store)->PackagePath(*code2), "");
    EXPECT_TRUE((*store)->List().empty());
  }
}

TEST(FunctionStore, FolderCodeAndTemporaryStore) {
  TempDir folder;
  std::string temp_dir;
  {
    auto store = FunctionStore::Open({});
    ASSERT_TRUE(store.ok());
    temp_dir = (*store)->dir();
    EXPECT_TRUE(fs::is_directory(temp_dir));
    auto code = (*store)->AddFolder(folder.path() + "/");
    ASSERT_TRUE(code.ok());
    EXPECT_EQ((*store)->CodeDir(*code), folder.path());
    EXPECT_FALSE((*store)->AddFolder("relative/path").ok());
    EXPECT_FALSE((*store)->AddFolder(folder.path() + "/missing").ok());
    ASSERT_TRUE((*store)->Create(NewFunction("f", *code)).ok());
    ASSERT_TRUE((*store)->Delete("f").ok());
    EXPECT_TRUE(fs::is_directory(folder.path()));  // used in place, never removed
  }
  EXPECT_FALSE(fs::exists(temp_dir));
}

TEST(FunctionStore, RefusedZipLeavesNothing) {
  TempDir dir;
  auto store = FunctionStore::Open({.dir = dir.path(), .fsync = false});
  ASSERT_TRUE(store.ok());
  auto code = (*store)->AddZip(MakeZip({{"../x", "evil"}}));
  ASSERT_FALSE(code.ok());
  EXPECT_TRUE(fs::is_empty(dir.path() + "/code"));
}

}  // namespace
}  // namespace stepfn::lambda

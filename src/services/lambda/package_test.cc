#include "services/lambda/package.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "services/lambda/testing_zip.h"

namespace stepfn::lambda {
namespace {

using testing::MakeZip;
using testing::ReadFile;
using testing::TempDir;
namespace fs = std::filesystem;

TEST(Package, UnpacksFilesDirectoriesAndModes) {
  std::string zip = MakeZip({{"bootstrap", "#!/bin/sh\necho hi\n", 0100755},
                             {"lib/", "", 040755},
                             {"lib/app.py", "print(1)\n", 0100644},
                             {"./deep/./er/x.txt", "x", 0100600}});
  TempDir dir;
  auto result = UnpackZip(zip, dir.path());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->entries, 4u);
  EXPECT_EQ(ReadFile(dir.path() + "/lib/app.py"), "print(1)\n");
  EXPECT_EQ(ReadFile(dir.path() + "/deep/er/x.txt"), "x");
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/bootstrap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(::stat((dir.path() + "/lib/app.py").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(Package, RefusesPathsLeavingTheRoot) {
  for (const char* name : {"../evil", "a/../../evil", "/etc/evil", "a\\..\\evil"}) {
    TempDir dir;
    auto result = UnpackZip(MakeZip({{name, "x"}}), dir.path());
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.status().code(), StatusCode::InvalidArgument);
    EXPECT_EQ(result.status().message().rfind(std::string(kCouldNotUnzip), 0), 0u)
        << result.status().message();
    EXPECT_FALSE(fs::exists(fs::path(dir.path()).parent_path() / "evil"));
  }
}

TEST(Package, SymbolicLinks) {
  {
    // Inside the root: kept as links.
    TempDir dir;
    auto result = UnpackZip(MakeZip({{"real/file", "data"},
                                     {"link", "real/file", 0120777},
                                     {"sub/up", "../real", 0120777}}),
                            dir.path());
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_TRUE(fs::is_symlink(dir.path() + "/link"));
    EXPECT_EQ(ReadFile(dir.path() + "/sub/up/file"), "data");
  }
  for (std::vector<testing::ZipEntry> entries : std::vector<std::vector<testing::ZipEntry>>{
           {{"out", "../outside", 0120777}},
           {{"abs", "/etc/passwd", 0120777}},
           {{"a/b/s", "../../t", 0120777}, {"t/", "", 040755}, {"a/b/q", "s/../..", 0120777}},
           // A link, then a file written "through" it: the file is written first, as a real
           // directory, and the link then collides with it.
           {{"dir", "../escape", 0120777}, {"dir/file", "x"}}}) {
    TempDir dir;
    auto result = UnpackZip(MakeZip(entries), dir.path());
    ASSERT_FALSE(result.ok()) << entries[0].name;
    EXPECT_EQ(result.status().code(), StatusCode::InvalidArgument) << result.status().ToString();
    EXPECT_FALSE(fs::exists(fs::path(dir.path()).parent_path() / "escape"));
  }
}

TEST(Package, SizeLimitsAndBombs) {
  UnpackLimits limits;
  limits.max_unpacked_bytes = 1000;
  TempDir small;
  auto too_big = UnpackZip(MakeZip({{"a", std::string(600, 'a')}, {"b", std::string(600, 'b')}}),
                           small.path(), limits);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), StatusCode::OutOfRange);
  EXPECT_EQ(too_big.status().message(), "Unzipped size must be smaller than 1000 bytes");

  // A bomb: 20 MB of zeros compress to ~20 KB; the default limit passes it, a 1 MB limit stops
  // it while inflating.
  std::string bomb = MakeZip({{"zeros", std::string(20 * 1024 * 1024, '\0')}});
  EXPECT_LT(bomb.size(), 100'000u);
  limits.max_unpacked_bytes = 1024 * 1024;
  TempDir dir;
  auto stopped = UnpackZip(bomb, dir.path(), limits);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), StatusCode::OutOfRange);
}

TEST(Package, RefusesWhatIsNotAZip) {
  TempDir dir;
  for (std::string bytes :
       {std::string(), std::string("not a zip at all"), MakeZip({{"a", "x"}}).substr(0, 20)}) {
    auto result = UnpackZip(bytes, dir.path());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().message(), kCouldNotUnzip);
  }
}

TEST(Package, Base64AndSha256) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  std::string out;
  ASSERT_TRUE(Base64Decode("Zm9vYg==", &out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(Base64Decode("Zm9vYg", &out));
  EXPECT_EQ(out, "foob");
  EXPECT_FALSE(Base64Decode("Zm9v!", &out));
  EXPECT_FALSE(Base64Decode("Z", &out));
  EXPECT_EQ(Sha256Base64(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(Sha256HexOf("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace stepfn::lambda

// The bearer-token flow: docker-registry configured with `auth: token:` answers 401 with
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...`; a token service the test runs on
// loopback (token_server.py) signs JWTs with a key whose certificate the registry trusts.
#include "tests/integration/registry/registry_fixture.hpp"

namespace berth::test {
namespace {

class BearerToken : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string out;
    ASSERT_EQ(run_command("cd " + sh_quote(dir_.string()) +
                              " && openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2"
                              " -subj /CN=berth-test-token",
                          &out),
              0)
        << out;
    int port = free_loopback_port();
    log_ = dir_ / "token.log";
    spawn({"/usr/bin/python3", std::string(BERTH_SOURCE_DIR) + "/tests/integration/registry/token_server.py", std::to_string(port),
           (dir_ / "token.key").string(), (dir_ / "token.crt").string(), "berth-test-issuer", "alice:open sesame", log_.string()},
          dir_ / "token-server.out");
    std::string realm = "http://127.0.0.1:" + std::to_string(port) + "/token";
    ASSERT_TRUE(wait_http(realm)) << read_text(dir_ / "token-server.out");
    host_ = start_registry({.auth_yaml = "auth:\n  token:\n    realm: " + realm +
                                         "\n    service: berth-test-registry\n    issuer: berth-test-issuer\n    rootcertbundle: " +
                                         (dir_ / "token.crt").string() + "\n"});
    std::ofstream(dir_ / "password") << "open sesame\n";
  }

  std::string login_args(const std::string& user) {
    return "login -u " + user + " --password-stdin " + host_ + " < " + sh_quote((dir_ / "password").string());
  }

  fs::path log_;
  std::string host_;
};

TEST_F(BearerToken, LoginThenPushAndPullWithScopedTokens) {
  std::string out;
  std::string ref = host_ + "/bearer/busybox:1";
  make_local_image("a", ref);
  // Anonymous: the token service hands out a token that grants nothing; the registry refuses it.
  EXPECT_NE(berth("a", "image push " + ref, &out, "", true), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("unauthorized"), std::string::npos) << out;
  EXPECT_NE(out.find("berth login " + host_), std::string::npos) << out;
  EXPECT_FALSE(lines_with(read_text(log_), "auth=anonymous service=berth-test-registry scope=repository:bearer/busybox:pull,push").empty())
      << read_text(log_);

  ASSERT_EQ(berth("a", login_args("alice"), &out), 0) << out;
  EXPECT_NE(out.find("Login Succeeded"), std::string::npos) << out;
  ASSERT_EQ(berth("a", "image push " + ref, &out), 0) << out;
  EXPECT_FALSE(lines_with(read_text(log_), "auth=alice service=berth-test-registry scope=repository:bearer/busybox:pull,push").empty())
      << read_text(log_);

  ASSERT_EQ(berth("b", "image pull " + ref, &out), 0) << out;
  EXPECT_FALSE(lines_with(read_text(log_), "auth=alice service=berth-test-registry scope=repository:bearer/busybox:pull").empty())
      << read_text(log_);
  ASSERT_EQ(berth("b", "container run --rm " + ref + " echo with-token", &out), 0) << out;
  EXPECT_EQ(out, "with-token\n");
}

TEST_F(BearerToken, WrongCredentialsAreOneLine) {
  std::string out;
  EXPECT_NE(berth("a", login_args("mallory"), &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("incorrect username or password"), std::string::npos) << out;
  EXPECT_FALSE(lines_with(read_text(log_), "auth=bad").empty()) << read_text(log_);
  EXPECT_FALSE(fs::exists(dir_ / "docker" / "config.json"));
  // A pull with no credentials at all: one line, nothing stored.
  EXPECT_NE(berth("b", "image pull " + host_ + "/bearer/busybox:1", &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("unauthorized"), std::string::npos) << out;
  EXPECT_EQ(store_contents("b"), "");
}

}  // namespace
}  // namespace berth::test

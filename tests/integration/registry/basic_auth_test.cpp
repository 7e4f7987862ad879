// HTTP Basic authentication against docker-registry with an htpasswd file: `berth login`, then
// push and pull; wrong or missing credentials; credentials from a hand-written Docker config.json.
#include <sys/stat.h>

#include "tests/integration/registry/registry_fixture.hpp"

namespace berth::test {
namespace {

class BasicAuth : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string out;
    ASSERT_EQ(run_command("htpasswd -Bbn alice 'open sesame' > " + sh_quote((dir_ / "htpasswd").string()), &out), 0) << out;
    host_ = start_registry({.auth_yaml = "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + (dir_ / "htpasswd").string() + "\n"});
  }

  // A Docker config dir holding `auth` (base64 of user:password) for this registry.
  std::string config_env(const std::string& name, const std::string& user_password) {
    fs::path d = dir_ / name;
    fs::create_directories(d);
    std::string b64;
    run_command("printf %s " + sh_quote(user_password) + " | base64 -w0", &b64);
    std::ofstream(d / "config.json") << "{\"auths\": {\"" << host_ << "\": {\"auth\": \"" << b64 << "\"}}, \"other\": 1}\n";
    return "DOCKER_CONFIG=" + sh_quote(d.string());
  }

  std::string host_;
};

TEST_F(BasicAuth, LoginThenPushAndPull) {
  std::string out;
  std::string ref = host_ + "/auth/busybox:1";
  make_local_image("a", ref);
  // Without credentials the registry refuses, and berth says what to do.
  EXPECT_NE(berth("a", "image push " + ref, &out, "", true), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("unauthorized"), std::string::npos) << out;
  EXPECT_NE(out.find("berth login " + host_), std::string::npos) << out;

  std::ofstream(dir_ / "password") << "open sesame\n";
  ASSERT_EQ(berth("a", "login -u alice --password-stdin " + host_ + " < " + sh_quote((dir_ / "password").string()), &out), 0) << out;
  EXPECT_NE(out.find("Login Succeeded"), std::string::npos) << out;
  // Stored as docker login stores it: auths.<host>.auth = base64("alice:open sesame"), mode 0600.
  fs::path cfg = dir_ / "docker" / "config.json";
  std::string stored = read_text(cfg);
  EXPECT_NE(stored.find("\"" + host_ + "\""), std::string::npos) << stored;
  EXPECT_NE(stored.find("YWxpY2U6b3BlbiBzZXNhbWU="), std::string::npos) << stored;
  struct stat st {};
  ASSERT_EQ(::stat(cfg.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_EQ(berth("a", "image push " + ref, &out), 0) << out;
  ASSERT_EQ(berth("b", "image pull " + ref, &out), 0) << out;
  ASSERT_EQ(berth("b", "container run --rm " + ref + " echo authorized", &out), 0) << out;
  EXPECT_EQ(out, "authorized\n");

  // After logout the next pull is anonymous again and refused; the store stays empty.
  ASSERT_EQ(berth("c", "logout " + host_, &out), 0) << out;
  EXPECT_EQ(read_text(cfg).find(host_), std::string::npos) << read_text(cfg);
  EXPECT_NE(berth("c", "image pull " + ref, &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("unauthorized"), std::string::npos) << out;
  EXPECT_EQ(store_contents("c"), "");
}

TEST_F(BasicAuth, WrongCredentialsAreOneLineAndStoreNothing) {
  std::string out;
  EXPECT_NE(berth("a", "login -u alice -p wrong " + host_, &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("incorrect username or password"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_ / "docker" / "config.json")) << read_text(dir_ / "docker" / "config.json");
  EXPECT_NE(berth("a", "login -u mallory -p 'open sesame' " + host_, &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;

  // Wrong credentials in a config file: the pull fails with one line, nothing stored.
  EXPECT_NE(berth("b", "image pull " + host_ + "/auth/busybox:1", &out, config_env("bad", "alice:nope")), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("incorrect username or password for " + host_), std::string::npos) << out;
  EXPECT_NE(out.find((dir_ / "bad" / "config.json").string()), std::string::npos) << out;
  EXPECT_EQ(store_contents("b"), "");
}

TEST_F(BasicAuth, CredentialsComeFromDockerConfigJson) {
  std::string out;
  std::string ref = host_ + "/auth/busybox:2";
  make_local_image("a", ref);
  // A config.json written the way docker writes it, found through DOCKER_CONFIG.
  std::string env = config_env("dockercfg", "alice:open sesame");
  ASSERT_EQ(berth("a", "image push " + ref, &out, env), 0) << out;
  ASSERT_EQ(berth("b", "image pull " + ref, &out, env), 0) << out;
  ASSERT_EQ(berth("b", "container run --rm " + ref + " echo from-config", &out), 0) << out;
  EXPECT_EQ(out, "from-config\n");
  // berth only reads it: the other keys stay as they were.
  EXPECT_NE(read_text(dir_ / "dockercfg" / "config.json").find("\"other\": 1"), std::string::npos);
}

}  // namespace
}  // namespace berth::test

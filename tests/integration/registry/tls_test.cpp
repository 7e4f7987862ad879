// A registry serving TLS with a certificate from a CA the test makes. Without trust a pull fails
// with a certificate error; each way berth offers to trust a CA (--registry-ca, BERTH_REGISTRY_CA,
// <root>/certs.d/HOST:PORT/*.crt) makes it work. The host's trust store is never touched.
#include "tests/integration/registry/registry_fixture.hpp"

namespace berth::test {
namespace {

class Tls : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fs::path c = dir_ / "certs";
    fs::create_directories(c);
    std::ofstream(c / "ext.cnf") << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
    std::string d = sh_quote(c.string());
    std::string out;
    ASSERT_EQ(run_command("cd " + d +
                              " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=berth-test-ca"
                              " && openssl req -newkey rsa:2048 -nodes -keyout reg.key -out reg.csr -subj /CN=127.0.0.1"
                              " && openssl x509 -req -in reg.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out reg.crt",
                          &out),
              0)
        << out;
    ca_ = (c / "ca.crt").string();
    host_ = start_registry({.tls_cert = (c / "reg.crt").string(), .tls_key = (c / "reg.key").string()});
    ref_ = host_ + "/tls/busybox:1";
    make_local_image("a", ref_);
    ASSERT_EQ(berth("a", "image push --registry-ca " + sh_quote(ca_) + " " + ref_, &out), 0) << out;
  }

  std::string ca_, host_, ref_;
};

TEST_F(Tls, UntrustedCertificateIsOneClearLine) {
  std::string out;
  EXPECT_NE(berth("b", "image pull " + ref_, &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("TLS certificate of " + host_ + " not trusted"), std::string::npos) << out;
  EXPECT_NE(out.find("local issuer certificate"), std::string::npos) << out;
  EXPECT_EQ(store_contents("b"), "");
  // No silent fallback to plain HTTP either (the registry would refuse it anyway).
  EXPECT_EQ(out.find("http://"), std::string::npos) << out;
}

TEST_F(Tls, TrustedCaFromFlagEnvOrCertsDir) {
  std::string out;
  ASSERT_EQ(berth("b", "image pull --registry-ca " + sh_quote(ca_) + " " + ref_, &out), 0) << out;
  ASSERT_EQ(berth("c", "image pull " + ref_, &out, "BERTH_REGISTRY_CA=" + sh_quote(ca_)), 0) << out;
  fs::path certs_d = dir_ / "d" / "certs.d" / host_;
  fs::create_directories(certs_d);
  fs::copy_file(ca_, certs_d / "ca.crt");
  ASSERT_EQ(berth("d", "image pull " + ref_, &out), 0) << out;
  ASSERT_EQ(berth("d", "container run --rm " + ref_ + " echo over-tls", &out), 0) << out;
  EXPECT_EQ(out, "over-tls\n");
  // The CA of one registry's certs.d is not trusted for another name of it.
  fs::create_directories(dir_ / "e" / "certs.d" / "127.0.0.2:1");
  fs::copy_file(ca_, dir_ / "e" / "certs.d" / "127.0.0.2:1" / "ca.crt");
  EXPECT_NE(berth("e", "image pull " + ref_, &out), 0);
  EXPECT_NE(out.find("not trusted"), std::string::npos) << out;
}

TEST_F(Tls, CertificateForAnotherNameIsRefused) {
  // The certificate names 127.0.0.1 only; the same registry reached as localhost does not match.
  std::string port = host_.substr(host_.find(':') + 1);
  std::string other = "localhost:" + port + "/tls/busybox:1";
  std::string out;
  EXPECT_NE(berth("b", "image pull --registry-ca " + sh_quote(ca_) + " " + other, &out), 0);
  EXPECT_EQ(count_lines(out), 1) << out;
  EXPECT_NE(out.find("not trusted"), std::string::npos) << out;
  EXPECT_NE(out.find("hostname mismatch"), std::string::npos) << out;
  EXPECT_EQ(store_contents("b"), "");
  // --insecure-registry skips verification, as docker's insecure-registries do.
  ASSERT_EQ(berth("c", "image pull --insecure-registry localhost:" + port + " " + other, &out), 0) << out;
}

}  // namespace
}  // namespace berth::test

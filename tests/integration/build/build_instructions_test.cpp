// Instructions beyond the basics: ADD of a local tar, COPY heredocs and --chmod, globs, RUN
// --mount=type=bind|tmpfs|secret, SHELL, ONBUILD triggers of a base image, the image config.
#include "tests/integration/build/build_fixture.hpp"

namespace berth::test {

TEST_F(BuildTest, AddExtractsLocalTarsCopyHeredocsGlobsAndChmod) {
  fs::create_directories(dir_ / "tarsrc" / "pkg");
  std::ofstream(dir_ / "tarsrc" / "pkg" / "inside.txt") << "from the tar\n";
  std::string out;
  ASSERT_EQ(run_command("tar -czf '" + (ctx_ / "bundle.tar.gz").string() + "' -C '" + (dir_ / "tarsrc").string() + "' pkg", &out), 0) << out;
  write("a1.conf", "1");
  write("a2.conf", "2");
  write("b.txt", "b");
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "ADD bundle.tar.gz /opt/\n"
        "COPY --chmod=0751 a*.conf /etc/app/\n"
        "COPY <<EOF /etc/app/generated\n"
        "generated $HOSTNAME_NOT_EXPANDED_HERE\n"
        "EOF\n"
        "CMD cat /opt/pkg/inside.txt && ls -l /etc/app | awk 'NR>1{print $1, $NF}'\n");
  ASSERT_EQ(build("-t built:add", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:add", &out), 0) << out;
  EXPECT_NE(out.find("from the tar\n"), std::string::npos) << out;
  EXPECT_NE(out.find("-rwxr-x--x a1.conf"), std::string::npos) << out;
  EXPECT_NE(out.find("-rwxr-x--x a2.conf"), std::string::npos) << out;
  EXPECT_NE(out.find(" generated"), std::string::npos) << out;
  EXPECT_EQ(out.find("b.txt"), std::string::npos) << out;
}

TEST_F(BuildTest, RunMountsBindTmpfsSecretAndShell) {
  write("data/input.txt", "bound\n");
  write("../secret.txt", "s3cr3t\n");
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN --mount=type=bind,source=data,target=/in cat /in/input.txt > /bound.txt\n"
        "RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && grep -q ' /scratch tmpfs' /proc/mounts && echo tmpfs > /tmpfs.txt\n"
        "RUN --mount=type=secret,id=token cat /run/secrets/token | wc -c > /secret-len.txt\n"
        "CMD cat /bound.txt /tmpfs.txt /secret-len.txt; ls /scratch /run/secrets 2>&1; cat /shell.txt\n"
        "SHELL [\"/bin/sh\", \"-ec\"]\n"
        "RUN echo $0 $- > /shell.txt\n");
  std::string out;
  ASSERT_EQ(build("--secret id=token,src=" + (dir_ / "secret.txt").string() + " -t built:mounts", &out), 0) << out;
  EXPECT_EQ(out.find("s3cr3t"), std::string::npos) << out;
  ASSERT_EQ(berth("container run --rm built:mounts", &out), 0) << out;
  EXPECT_NE(out.find("bound\ntmpfs\n"), std::string::npos) << out;
  EXPECT_NE(out.find("7\n"), std::string::npos) << out;                  // the secret was readable
  EXPECT_NE(out.find("/scratch: No such file"), std::string::npos) << out;  // mount points not in the image
  EXPECT_NE(out.find("/run/secrets: No such file"), std::string::npos) << out;
  EXPECT_NE(out.find("/bin/sh ce"), std::string::npos) << out;  // SHELL ["/bin/sh", "-ec"]: $- has e

  // history keeps no secret and the image has no trace of it
  ASSERT_EQ(berth("image history --no-trunc built:mounts", &out), 0) << out;
  EXPECT_EQ(out.find("s3cr3t"), std::string::npos);
}

// SHELL is kept in the image's config (as Docker keeps it) and a build FROM that image starts
// with it.
TEST_F(BuildTest, ShellIsInTheConfigAndABuildFromTheImageUsesIt) {
  write("Dockerfile", "FROM berth-test/busybox\nSHELL [\"/bin/sh\", \"-ec\"]\n");
  std::string out;
  ASSERT_EQ(build("-t built:shell", &out), 0) << out;
  ASSERT_EQ(berth("image inspect built:shell", &out), 0) << out;
  EXPECT_NE(out.find("\"Shell\": [\n"), std::string::npos) << out;
  write("Dockerfile", "FROM built:shell\nRUN echo $- > /flags\nCMD cat /flags\n");
  ASSERT_EQ(build("-t built:shellchild", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:shellchild", &out), 0) << out;
  EXPECT_NE(out.find('e'), std::string::npos) << "RUN did not use the base image's SHELL: " << out;
  berth("image rm built:shellchild built:shell");
}

TEST_F(BuildTest, OnbuildTriggersRunInTheChild) {
  write("Dockerfile", "FROM berth-test/busybox\nONBUILD RUN echo triggered > /onbuild.txt\nLABEL role=base\n");
  std::string out;
  ASSERT_EQ(build("-t built:base", &out), 0) << out;
  ASSERT_EQ(berth("image inspect built:base", &out), 0) << out;
  EXPECT_NE(out.find("RUN echo triggered > /onbuild.txt"), std::string::npos) << out;
  write("Dockerfile", "FROM built:base\nCMD cat /onbuild.txt\n");
  ASSERT_EQ(build("-t built:child", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:child", &out), 0) << out;
  EXPECT_EQ(out, "triggered\n");
  ASSERT_EQ(berth("image inspect built:child", &out), 0) << out;
  EXPECT_EQ(out.find("RUN echo triggered"), std::string::npos) << "triggers are not inherited:\n" << out;
  EXPECT_NE(out.find("\"role\": \"base\""), std::string::npos) << out;
}

TEST_F(BuildTest, ConfigInstructions) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "EXPOSE 80 53/udp\n"
        "VOLUME /data\n"
        "STOPSIGNAL SIGINT\n"
        "HEALTHCHECK --interval=5s CMD true\n"
        "MAINTAINER someone\n"
        "ENTRYPOINT [\"/bin/echo\"]\n");
  std::string out;
  ASSERT_EQ(build("-t built:config", &out), 0) << out;
  ASSERT_EQ(berth("image inspect built:config", &out), 0) << out;
  for (const char* want : {"80/tcp", "53/udp", "/data", "SIGINT", "5000000000", "\"Author\": \"someone\""})
    EXPECT_NE(out.find(want), std::string::npos) << want << "\n" << out;
  // ENTRYPOINT resets the inherited CMD: the container prints an empty line.
  ASSERT_EQ(berth("container run --rm built:config", &out), 0) << out;
  EXPECT_EQ(out, "\n");
}

TEST_F(BuildTest, IntermediateImagesHiddenFromImageLs) {
  write("Dockerfile", "FROM berth-test/busybox\nRUN touch /x\nENV A=b\n");
  std::string out;
  ASSERT_EQ(build("-t built:ls", &out), 0) << out;
  ASSERT_EQ(berth("image ls", &out), 0) << out;
  EXPECT_EQ(out.find("<none>"), std::string::npos) << out;
  ASSERT_EQ(berth("image ls -a", &out), 0) << out;
  EXPECT_NE(out.find("<none>"), std::string::npos) << out;
}

}  // namespace berth::test

namespace berth::test {

TEST_F(BuildTest, CopyWritesThroughTheImagesDirectorySymlinks) {
  write("a.txt", "through\n");
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN mkdir -p /usr/lib && ln -s usr/lib /lib && ln -s /tmp /var/tmpdir\n"
        "COPY a.txt /lib/\n"
        "COPY a.txt /var/tmpdir/sub/b.txt\n"
        "RUN test -L /lib && test -L /var/tmpdir && stat -c %a /tmp > /tmp-mode\n"
        "CMD cat /usr/lib/a.txt /tmp/sub/b.txt /tmp-mode\n");
  std::string out;
  ASSERT_EQ(build("-t built:links", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:links", &out), 0) << out;
  EXPECT_EQ(out, "through\nthrough\n1777\n");  // /tmp kept its mode although COPY wrote below it
}

}  // namespace berth::test

namespace berth::test {

TEST_F(BuildTest, RunHeredocsAsScriptAndAsShellInput) {
  write("Dockerfile",
        "FROM berth-test/busybox\n"
        "RUN <<EOF\n"
        "echo script-ran\n"
        "echo second-line > /s2\n"
        "EOF\n"
        "RUN cat <<EOT > /x\n"
        "home is $HOME\n"
        "EOT\n"
        "CMD cat /s2 /x\n");
  std::string out;
  ASSERT_EQ(build("-t built:heredoc", &out), 0) << out;
  EXPECT_NE(out.find(" script-ran\n"), std::string::npos) << out;
  ASSERT_EQ(berth("container run --rm built:heredoc", &out), 0) << out;
  EXPECT_EQ(out, "second-line\nhome is /root\n");
}

}  // namespace berth::test

namespace berth::test {

// ADD of a URL from a server on loopback (started here, stopped at the end).
TEST_F(BuildTest, AddFetchesUrls) {
  if (run_command("command -v python3") != 0) GTEST_SKIP() << "python3 missing";
  fs::create_directories(dir_ / "www");
  std::ofstream(dir_ / "www" / "file.txt") << "served\n";
  std::string out;
  std::string server =
      "import http.server, functools, sys\n"
      "h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
      "s = http.server.HTTPServer(('127.0.0.1', 0), h)\n"
      "open(sys.argv[2], 'w').write(str(s.server_address[1]))\n"
      "s.serve_forever()\n";
  std::ofstream(dir_ / "server.py") << server;
  ASSERT_EQ(run_command("python3 '" + (dir_ / "server.py").string() + "' '" + (dir_ / "www").string() + "' '" +
                            (dir_ / "port").string() + "' >/dev/null 2>&1 & echo $!",
                        &out),
            0);
  struct Server {  // stopped however the test ends
    std::string pid;
    ~Server() { run_command("kill " + pid); }
  } srv{out.substr(0, out.find('\n'))};
  for (int i = 0; i < 50 && !fs::exists(dir_ / "port"); ++i) ::usleep(100000);
  std::string port;
  std::ifstream(dir_ / "port") >> port;
  ASSERT_FALSE(port.empty());
  std::string base = "http://127.0.0.1:" + port;
  write("Dockerfile", "FROM berth-test/busybox\nADD " + base + "/file.txt /dl/\nADD " + base +
                          "/file.txt /named\nCMD stat -c '%a %n' /dl/file.txt /named && cat /named\n");
  int rc = build("-t built:url", &out);
  std::string second;
  int rc2 = build("-t built:url", &second);
  write("Dockerfile", "FROM berth-test/busybox\nADD " + base + "/missing.txt /dl/\n");
  std::string missing;
  int rc3 = build("-t bad:url", &missing);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_EQ(rc2, 0) << second;
  EXPECT_EQ(count(second, " CACHED"), 3) << second;  // same content: cache hits
  ASSERT_EQ(berth("container run --rm built:url", &out), 0) << out;
  EXPECT_EQ(out, "600 /dl/file.txt\n600 /named\nserved\n");
  EXPECT_NE(rc3, 0);
  EXPECT_NE(missing.find("berth: Dockerfile:2: ADD: GET " + base + "/missing.txt: HTTP 404"), std::string::npos) << missing;
}

}  // namespace berth::test

namespace berth::test {

TEST_F(BuildTest, StagesNamedByIndexOrAnyCaseAndBindMountedFromAStage) {
  write("Dockerfile",
        "FROM berth-test/busybox AS Producer\n"
        "RUN echo produced > /p.txt\n"
        "FROM berth-test/busybox\n"
        "COPY --from=0 /p.txt /by-index.txt\n"
        "RUN --mount=type=bind,from=PRODUCER,source=/p.txt,target=/mnt/p.txt cp /mnt/p.txt /by-mount.txt\n"
        "CMD cat /by-index.txt /by-mount.txt\n");
  std::string out;
  ASSERT_EQ(build("-t built:stages", &out), 0) << out;
  ASSERT_EQ(berth("container run --rm built:stages", &out), 0) << out;
  EXPECT_EQ(out, "produced\nproduced\n");
}

}  // namespace berth::test

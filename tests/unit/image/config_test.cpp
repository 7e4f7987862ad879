#include <gtest/gtest.h>

#include "base/error.hpp"
#include "engine/image/image_changes.hpp"
#include "engine/image/image_store.hpp"

using namespace berth::engine;

TEST(ImageConfig, ReadsEveryField) {
  auto c = parse_image_config(R"({
    "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {
      "Env": ["PATH=/bin", "A=b"], "Cmd": ["nginx", "-g", "daemon off;"], "Entrypoint": [],
      "WorkingDir": "/srv", "User": "app:app", "StopSignal": "SIGQUIT",
      "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
      "Labels": {"k": "v"},
      "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000, "Timeout": 5000000000,
                      "StartPeriod": 1000000000, "StartInterval": 2000000000, "Retries": 3}
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:aa", "sha256:bb"]}
  })");
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/bin", "A=b"}));
  ASSERT_TRUE(c.cmd);
  EXPECT_EQ(c.cmd->at(2), "daemon off;");
  ASSERT_TRUE(c.entrypoint);  // present but empty is not absent
  EXPECT_TRUE(c.entrypoint->empty());
  EXPECT_EQ(c.working_dir, "/srv");
  EXPECT_EQ(c.user, "app:app");
  EXPECT_EQ(c.stop_signal, "SIGQUIT");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c.volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(c.labels.at("k"), "v");
  ASSERT_TRUE(c.healthcheck);
  EXPECT_EQ(c.healthcheck->test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(c.healthcheck->interval_ns, 30000000000);
  EXPECT_EQ(c.healthcheck->start_interval_ns, 2000000000);
  EXPECT_EQ(c.healthcheck->retries, 3);
  EXPECT_EQ(c.diff_ids.size(), 2u);
  EXPECT_EQ(c.architecture, "amd64");
}

TEST(ImageConfig, AbsentAndNullAreUnset) {
  auto c = parse_image_config(R"({"config": {"Cmd": null}})");
  EXPECT_FALSE(c.cmd);
  EXPECT_FALSE(c.entrypoint);
  EXPECT_FALSE(c.healthcheck);
}

TEST(ImageConfig, BadFieldsAreNamed) {
  try {
    parse_image_config(R"({"config": {"Env": "A=b"}})");
    FAIL();
  } catch (const berth::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("config.Env"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_image_config("not json"), berth::UserError);
  EXPECT_THROW(parse_image_config(R"({"config": {"Healthcheck": {"Retries": "3"}}})"), berth::UserError);
}

TEST(ImageConfig, SerializeRoundTrips) {
  ImageConfig c;
  c.cmd = std::vector<std::string>{};
  c.env = {"A=1"};
  c.exposed_ports = {"80/tcp"};
  c.diff_ids = {"sha256:" + std::string(64, 'a')};
  Healthcheck h;
  h.test = {"NONE"};
  c.healthcheck = h;
  auto back = parse_image_config(serialize_image_config(c));
  ASSERT_TRUE(back.cmd);
  EXPECT_TRUE(back.cmd->empty());
  EXPECT_FALSE(back.entrypoint);
  EXPECT_EQ(back.env, c.env);
  EXPECT_EQ(back.exposed_ports, c.exposed_ports);
  EXPECT_EQ(back.diff_ids, c.diff_ids);
  EXPECT_EQ(back.healthcheck->test, h.test);
  EXPECT_EQ(back.os, "linux");
}

TEST(ImportChanges, DockerfileSubset) {
  ImageConfig c;
  apply_change(c, R"(CMD ["sh", "-c", "echo hi"])");
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  apply_change(c, "ENTRYPOINT top -b");
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "top -b"}));
  apply_change(c, "ENV A=1 B=\"two\"");
  apply_change(c, "ENV A 3 4");
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=3 4", "B=two"}));
  apply_change(c, "WORKDIR /app");
  apply_change(c, "user app");
  apply_change(c, "EXPOSE 80 53/udp");
  EXPECT_EQ(c.working_dir, "/app");
  EXPECT_EQ(c.user, "app");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_THROW(apply_change(c, "RUN rm -rf /"), berth::UserError);
  EXPECT_THROW(apply_change(c, "CMD [\"unterminated"), berth::UserError);
  EXPECT_THROW(apply_change(c, "EXPOSE http"), berth::UserError);
  EXPECT_THROW(apply_change(c, "WORKDIR"), berth::UserError);
}

TEST(ImageConfig, HistoryAuthorAndOnBuildRoundTrip) {
  ImageConfig c;
  c.created = "2024-01-01T00:00:00Z";
  c.author = "A <a@x>";
  c.onbuild = {"RUN echo child"};
  c.diff_ids = {"sha256:aa"};
  c.history = {HistoryEntry{"2024-01-01T00:00:00Z", "/bin/sh -c make", "built", "", false},
               HistoryEntry{"2024-01-01T00:00:01Z", "CMD [\"x\"]", "", "", true}};
  auto back = parse_image_config(serialize_image_config(c));
  EXPECT_EQ(back.author, "A <a@x>");
  EXPECT_EQ(back.onbuild, c.onbuild);
  EXPECT_EQ(back.history, c.history);
  // No history given: the import entry, as before.
  ImageConfig bare;
  bare.created = "2024-01-01T00:00:00Z";
  auto h = parse_image_config(serialize_image_config(bare)).history;
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].created_by, "berth image import");
}

TEST(ImportChanges, OnBuildKeepsTheTriggerAndRefusesNesting) {
  ImageConfig c;
  apply_change(c, "ONBUILD RUN echo hi");
  EXPECT_EQ(c.onbuild, std::vector<std::string>{"RUN echo hi"});
  EXPECT_THROW(apply_change(c, "ONBUILD ONBUILD RUN x"), berth::UserError);
  EXPECT_THROW(apply_change(c, "ONBUILD"), berth::UserError);
}

// schema::validate against the embedded compose-spec schema: what passes, and the exact one-line
// messages (path + text) for what does not.
#include <chrono>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "schema/validate.hpp"

namespace berth::schema {
namespace {

using nlohmann::json;

std::vector<std::string> rendered(const json& doc) {
    std::vector<std::string> out;
    for (const auto& v : validate(doc)) out.push_back(format_path(v.path) + ": " + v.message);
    return out;
}

std::string first(const json& doc) {
    auto v = rendered(doc);
    return v.empty() ? std::string("<valid>") : v.front();
}

json service(json body) { return json{{"services", {{"web", std::move(body)}}}}; }

// A float too large for any integer type, where the schema wants an integer or a string: judged
// without a cast that would be undefined behaviour (found by fuzzing the loader).
TEST(SchemaValidate, HugeFloatsAreJudgedWithoutOverflow) {
    EXPECT_EQ(first(service({{"image", "x"}, {"oom_score_adj", -4.4e49}})).find("oom_score_adj"), 0u + std::string("services.web.").size());
    EXPECT_EQ(first(service({{"image", "x"}, {"pids_limit", 1e300}})), "<valid>");
}

TEST(SchemaValidate, EmbeddedSchemaIsDraft07Json) {
    auto s = json::parse(kComposeSpecJson);
    EXPECT_EQ(s["$schema"], "http://json-schema.org/draft-07/schema#");
    EXPECT_TRUE(s["definitions"].contains("service"));
}

TEST(SchemaValidate, AcceptsARealisticProject) {
    json doc = json::parse(R"({
      "version": "3.8", "name": "shop", "x-common": {"a": 1},
      "services": {
        "web": {
          "image": "nginx:1.25", "build": {"context": ".", "args": ["A=1"], "dockerfile": "Dockerfile"},
          "ports": ["8080:80", 443, "127.0.0.1::53/udp", "[::1]:9000-9001:9000-9001",
                    {"target": 80, "published": "8081", "protocol": "tcp", "mode": "host"}],
          "expose": ["3000", 4000, "5000-5010/udp"],
          "volumes": ["./html:/usr/share/nginx/html:ro", {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": "64m"}}],
          "environment": {"A": "1", "B": null, "C": true, "D": 2.5},
          "env_file": [".env", {"path": "opt.env", "required": false}],
          "depends_on": {"db": {"condition": "service_healthy", "restart": true}},
          "healthcheck": {"test": ["CMD", "true"], "interval": "1m30s", "timeout": "500ms", "retries": 3},
          "deploy": {"replicas": 2, "resources": {"limits": {"cpus": "0.5", "memory": "512M"}},
                     "restart_policy": {"condition": "on-failure", "delay": "5s"}},
          "ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 512},
          "networks": {"front": {"aliases": ["www"], "ipv4_address": "10.5.0.2"}, "back": null},
          "restart": "on-failure:3", "stop_grace_period": "20s", "mem_limit": "1g", "shm_size": 67108864,
          "command": "nginx -g 'daemon off;'", "entrypoint": null, "x-note": "ok", "labels": ["a=b"]
        },
        "db": {"image": "postgres", "profiles": ["db"], "networks": ["back"], "pull_policy": "missing"}
      },
      "networks": {"front": null, "back": {"driver": "bridge", "ipam": {"config": [{"subnet": "10.5.0.0/16"}]}}},
      "volumes": {"data": null, "ext": {"external": true}},
      "secrets": {"pw": {"file": "./pw.txt"}}, "configs": {"c": {"content": "x"}}
    })");
    EXPECT_EQ(rendered(doc), std::vector<std::string>{});
}

TEST(SchemaValidate, AcceptsFigEraKeysAndNumericVersion) {
    json doc = json::parse(R"({"version": 1, "services": {"web": {
        "build": ".", "dockerfile": "Dockerfile.dev", "net": "host", "mem_limit": 1000000, "cpu_shares": 73,
        "external_links": ["redis_1", "db:postgres"], "volumes_from": ["data"], "links": ["db"],
        "log_driver": "syslog", "log_opt": {"tag": "web"}, "volume_driver": "local", "dns": "8.8.8.8"}}})");
    EXPECT_EQ(rendered(doc), std::vector<std::string>{});
}

TEST(SchemaValidate, UnknownKeySuggestsTheClosestName) {
    EXPECT_EQ(first(service({{"imagee", "nginx"}})),
              R"(services.web.imagee: additional property "imagee" is not allowed (did you mean "image"?))");
    EXPECT_EQ(first(service({{"image", "x"}, {"enviroment", json::array()}})),
              R"(services.web.enviroment: additional property "enviroment" is not allowed (did you mean "environment"?))");
    // Nothing close: no suggestion.
    EXPECT_EQ(first(service({{"image", "x"}, {"frobnicate", 1}})),
              R"(services.web.frobnicate: additional property "frobnicate" is not allowed)");
    EXPECT_EQ(first(json{{"servces", json::object()}}),
              R"(servces: additional property "servces" is not allowed (did you mean "services"?))");
}

TEST(SchemaValidate, UnknownKeyInsideAOneOfBranchIsReportedFromThatBranch) {
    EXPECT_EQ(first(service({{"ports", {{{"targett", 80}}}}})),
              R"(services.web.ports[0].targett: additional property "targett" is not allowed (did you mean "target"?))");
    EXPECT_EQ(first(service({{"build", {{"contxt", "."}}}})),
              R"(services.web.build.contxt: additional property "contxt" is not allowed (did you mean "context"?))");
}

TEST(SchemaValidate, ExtensionKeysAreAllowedInNestedObjectsAndUnknownKeysThereAreNot) {
    json ok = service({{"image", "x"},
                       {"x-top", 1},
                       {"healthcheck", {{"test", "true"}, {"x-why", {{"a", 1}}}}},
                       {"ports", {{{"target", 80}, {"x-note", "n"}}}},
                       {"build", {{"context", "."}, {"x-b", json::array()}}},
                       {"logging", {{"driver", "syslog"}, {"x-l", nullptr}}},
                       {"deploy", {{"resources", {{"limits", {{"cpus", "1"}, {"x-r", 1}}}}}}}});
    EXPECT_EQ(rendered(ok), std::vector<std::string>{});
    EXPECT_EQ(first(service({{"image", "x"}, {"healthcheck", {{"intervall", "1s"}}}})),
              R"(services.web.healthcheck.intervall: additional property "intervall" is not allowed (did you mean "interval"?))");
    EXPECT_EQ(first(service({{"image", "x"}, {"deploy", {{"resources", {{"limits", {{"cpu", "1"}}}}}}}})),
              R"(services.web.deploy.resources.limits.cpu: additional property "cpu" is not allowed (did you mean "cpus"?))");
    EXPECT_EQ(first(service({{"image", "x"}, {"logging", {{"xdriver", "syslog"}}}})),
              R"(services.web.logging.xdriver: additional property "xdriver" is not allowed (did you mean "driver"?))");
    // Only keys that start with "x-" are extensions.
    EXPECT_EQ(first(json{{"services", json::object()}, {"y-common", 1}}),
              R"(y-common: additional property "y-common" is not allowed)");
}

TEST(SchemaValidate, BadPortMappingsNameTheValue) {
    EXPECT_EQ(first(service({{"ports", {"80:80:80"}}})), R"(services.web.ports[0]: "80:80:80" is not a valid port mapping)");
    EXPECT_EQ(first(service({{"ports", {"8080:80", "80000:80"}}})),
              R"(services.web.ports[1]: "80000:80" is not a valid port mapping)");
    EXPECT_EQ(first(service({{"ports", {70000}}})), "services.web.ports[0]: 70000 is not a valid port mapping");
    EXPECT_EQ(first(service({{"ports", {"80/tcpx"}}})), R"(services.web.ports[0]: "80/tcpx" is not a valid port mapping)");
    EXPECT_EQ(first(service({{"expose", {"80x"}}})), R"(services.web.expose[0]: "80x" is not a valid port to expose)");
    EXPECT_EQ(first(service({{"ports", {{{"target", "http"}}}}})),
              R"(services.web.ports[0].target: "http" is not a valid port number)");
}

TEST(SchemaValidate, UninterpolatedValuesAreNotFormatChecked) {
    // `config --no-interpolate` validates "${PORT}:80" as written.
    EXPECT_EQ(first(service({{"ports", {"${PORT}:80"}}, {"stop_grace_period", "${GRACE}"}})), "<valid>");
}

TEST(SchemaValidate, DurationsAndSizes) {
    EXPECT_EQ(first(service({{"healthcheck", {{"interval", "1x"}}}})),
              R"(services.web.healthcheck.interval: "1x" is not a valid duration (like "30s", "1m30s", "500ms"))");
    EXPECT_EQ(first(service({{"mem_limit", "12q"}})),
              R"(services.web.mem_limit: "12q" is not a valid byte size (like "512m", "2g", "1024"))");
}

TEST(SchemaValidate, TypeErrorsListTheAcceptedTypes) {
    EXPECT_EQ(first(service({{"image", 3}})), "services.web.image: must be a string, not an integer");
    EXPECT_EQ(first(service({{"environment", "A=1"}})),
              "services.web.environment: must be a mapping or a list, not a string");
    EXPECT_EQ(first(service({{"environment", {{{"A", "1"}}}}})),
              "services.web.environment[0]: must be a string, not a mapping");
    EXPECT_EQ(first(service({{"command", {{"a", 1}}}})),
              "services.web.command: must be null (empty), a string or a list, not a mapping");
    EXPECT_EQ(first(service({{"tty", json::array()}})), "services.web.tty: must be a boolean or a string, not a list");
    EXPECT_EQ(first(json{{"services", json::array()}}), "services: must be a mapping, not a list");
}

TEST(SchemaValidate, EnumsPatternsRangesRequired) {
    EXPECT_EQ(first(service({{"depends_on", {{"db", {{"condition", "service_healthyy"}}}}}})),
              R"(services.web.depends_on.db.condition: "service_healthyy" is not one of: service_started, service_healthy, service_completed_successfully (did you mean "service_healthy"?))");
    EXPECT_EQ(first(service({{"volumes", {{{"type", "bnd"}, {"source", "."}, {"target", "/x"}}}}})),
              R"(services.web.volumes[0].type: "bnd" is not one of: bind, volume, tmpfs, cluster, npipe, image (did you mean "bind"?))");
    EXPECT_EQ(first(service({{"volumes", {{{"source", "."}, {"target", "/x"}}}}})),
              R"(services.web.volumes[0]: required property "type" is missing)");
    EXPECT_EQ(first(service({{"oom_score_adj", 5000}})),
              "services.web.oom_score_adj: 5000 is greater than the maximum 1000");
    EXPECT_EQ(first(service({{"restart", "sometimes"}})),
              R"(services.web.restart: "sometimes" is not valid here (must match ^(|no|always|unless-stopped|on-failure(:[0-9]+)?)$))");
}

TEST(SchemaValidate, BadNamesAndDuplicates) {
    EXPECT_EQ(first(json{{"services", {{"my app", {{"image", "x"}}}}}}),
              R"(services."my app": "my app" is not a valid name (use only letters, digits, ".", "_" and "-"))");
    EXPECT_EQ(first(service({{"ports", {"80:80", "80:80"}}})),
              R"(services.web.ports[1]: "80:80" is listed twice (also at [0]))");
}

TEST(SchemaValidate, ReportsEveryLocationOnce) {
    auto v = rendered(service({{"imagee", "x"}, {"ports", {"1:2:3"}}}));
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0], R"(services.web.imagee: additional property "imagee" is not allowed (did you mean "image"?))");
    EXPECT_EQ(v[1], R"(services.web.ports[0]: "1:2:3" is not a valid port mapping)");
}

TEST(SchemaValidate, HundredServicesValidateFast) {
    json doc;
    for (int i = 0; i < 100; ++i) {
        doc["services"]["svc" + std::to_string(i)] = json::parse(R"({
          "image": "busybox", "command": ["sleep", "1000"], "ports": ["8080:80"], "environment": {"A": "1"},
          "volumes": ["data:/data"], "depends_on": ["db"], "healthcheck": {"test": "true", "interval": "5s"},
          "labels": {"a": "b"}, "networks": ["default"], "restart": "always"})");
    }
    validate(doc);  // the first call compiles the schema
    auto start = std::chrono::steady_clock::now();
    auto v = validate(doc);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(v.empty());
    RecordProperty("validate_100_services_ms", std::to_string(ms));
    EXPECT_LT(ms, 50.0) << "validating 100 services took " << ms << " ms";
}

}  // namespace
}  // namespace berth::schema

// Key-path rendering, "did you mean" matching and the custom string formats.
#include <gtest/gtest.h>

#include "base/edit_distance.hpp"
#include "schema/formats.hpp"
#include "schema/validate.hpp"

namespace berth::schema {
namespace {

TEST(SchemaPaths, FormatPath) {
    EXPECT_EQ(format_path({}), "");
    EXPECT_EQ(format_path({"services", "web", "ports", "0"}), "services.web.ports[0]");
    EXPECT_EQ(format_path({"services", "my.app", "image"}), R"(services."my.app".image)");
    EXPECT_EQ(format_path({"0", "1"}), "[0][1]");
    EXPECT_EQ(format_path({"x-a", "say \"hi\""}), R"(x-a."say \"hi\"")");
}

TEST(SchemaSuggest, EditDistanceAndClosest) {
    EXPECT_EQ(edit_distance("", "abc"), 3u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("image", "image"), 0u);
    std::vector<std::string> keys{"image", "ports", "volumes", "environment"};
    EXPECT_EQ(closest_match("imag", keys), "image");
    EXPECT_EQ(closest_match("port", keys), "ports");
    EXPECT_EQ(closest_match("volumez", keys), "volumes");
    EXPECT_EQ(closest_match("zzz", keys), "");
    EXPECT_EQ(closest_match("x", keys), "");
}

TEST(SchemaFormats, PortMappings) {
    for (const char* ok : {"80", "8080:80", "8080:80/udp", "127.0.0.1:8080:80", "127.0.0.1::80", "::80",
                           "[::1]:8080:80", "[::1]::80", "::1:8080:80", "8000-8010:8000-8010", "8000-8010:80",
                           "9000-9005/tcp", ":80", "0.0.0.0:80:80/sctp", "0:80"}) {
        EXPECT_TRUE(is_port_mapping(ok)) << ok;
    }
    for (const char* bad : {"", "80:80:80", "80000", "0", "x:80", "80:x", "8080:80/http", "1.2.3:80:80",
                            "80-70", "8000:8000-8010", "8000-8002:9000-9005", "[::1]:80", "[zz]:1:2",
                            "a:b:c:d:e", "80/", "-80"}) {
        EXPECT_FALSE(is_port_mapping(bad)) << bad;
    }
}

TEST(SchemaFormats, ExposeDurationBytes) {
    EXPECT_TRUE(is_exposed_port("80"));
    EXPECT_TRUE(is_exposed_port("53/udp"));
    EXPECT_TRUE(is_exposed_port("8000-8010"));
    EXPECT_FALSE(is_exposed_port("80:80"));
    EXPECT_FALSE(is_exposed_port("0"));

    for (const char* ok : {"0", "30s", "1m30s", "1.5h", "500ms", "10us", "2h45m", ".5s", "1\xC2\xB5s"})
        EXPECT_TRUE(is_duration(ok)) << ok;
    for (const char* bad : {"", "30", "1x", "s", "1m30", "1.s5", "1 s", "-"}) EXPECT_FALSE(is_duration(bad)) << bad;

    for (const char* ok : {"1024", "512m", "512M", "1g", "2GB", "1.5gib", "100 k", "10b"})
        EXPECT_TRUE(is_byte_size(ok)) << ok;
    for (const char* bad : {"", "m", "12q", "1.g", "1gg", "-1"}) EXPECT_FALSE(is_byte_size(bad)) << bad;
}

TEST(SchemaFormats, CheckFormatMessages) {
    using nlohmann::json;
    EXPECT_EQ(check_format("ports", json("8080:80")), "");
    EXPECT_EQ(check_format("ports", json("80:80:80")), R"("80:80:80" is not a valid port mapping)");
    EXPECT_EQ(check_format("ports", json(0)), "0 is not a valid port mapping");
    EXPECT_EQ(check_format("ports", json("${P}")), "");
    EXPECT_EQ(check_format("published_port", json("")), "");
    EXPECT_EQ(check_format("published_port", json("x")), R"("x" is not a valid published port or port range)");
    EXPECT_EQ(check_format("no-such-format", json("x")), "");
    EXPECT_EQ(check_format("bytes", json(-1)), "");
}

}  // namespace
}  // namespace berth::schema

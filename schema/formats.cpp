// Custom string formats of the project-file schema, written to accept exactly what docker compose does.
#include "schema/formats.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace berth::schema {

namespace {

bool parse_uint(std::string_view s, unsigned long& out) {
    if (s.empty() || s.size() > 10) return false;
    if (!std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

struct Range {
    unsigned long start = 0, end = 0;
    bool given = false;
};

// "N" or "N-M" with N <= M <= 65535 (and N >= 1 unless allow_zero).
bool parse_range(std::string_view s, bool allow_zero, Range& r) {
    auto dash = s.find('-');
    std::string_view a = s.substr(0, dash);
    std::string_view b = dash == std::string_view::npos ? a : s.substr(dash + 1);
    if (!parse_uint(a, r.start) || !parse_uint(b, r.end)) return false;
    unsigned long lo = allow_zero ? 0 : 1;
    if (r.start < lo || r.end < lo || r.start > 65535 || r.end > 65535 || r.start > r.end) return false;
    r.given = true;
    return true;
}

bool is_ip(std::string_view s, int family) {
    std::string text(s);
    unsigned char buf[16];
    return inet_pton(family, text.c_str(), buf) == 1;
}

bool valid_protocol(std::string_view p) { return p == "tcp" || p == "udp" || p == "sctp"; }

std::string render(const nlohmann::json& v) {
    std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() > 80) s = s.substr(0, 77) + "...";
    return s;
}

}  // namespace

bool is_port_number(std::string_view s, bool allow_zero) {
    unsigned long n = 0;
    return parse_uint(s, n) && n <= 65535 && (allow_zero || n >= 1);
}

bool is_published_port(std::string_view s) {
    Range r;
    return s.empty() || parse_range(s, true, r);
}

bool is_exposed_port(std::string_view s) {
    auto slash = s.find('/');
    if (slash != std::string_view::npos && !valid_protocol(s.substr(slash + 1))) return false;
    Range r;
    return parse_range(s.substr(0, slash), false, r);
}

bool is_port_mapping(std::string_view s) {
    if (s.empty()) return false;
    auto slash = s.rfind('/');
    if (slash != std::string_view::npos) {
        if (!valid_protocol(s.substr(slash + 1))) return false;
        s = s.substr(0, slash);
    }
    std::string_view ip, host, container;
    if (!s.empty() && s.front() == '[') {
        // "[v6]:host:container" or "[v6]::container"
        auto close = s.find(']');
        if (close == std::string_view::npos) return false;
        ip = s.substr(1, close - 1);
        std::string_view rest = s.substr(close + 1);
        if (rest.empty() || rest.front() != ':') return false;
        rest.remove_prefix(1);
        auto colon = rest.find(':');
        if (colon == std::string_view::npos) return false;
        host = rest.substr(0, colon);
        container = rest.substr(colon + 1);
        if (!is_ip(ip, AF_INET6)) return false;
    } else {
        std::vector<std::string_view> parts;
        std::size_t pos = 0;
        while (true) {
            auto colon = s.find(':', pos);
            parts.push_back(s.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos));
            if (colon == std::string_view::npos) break;
            pos = colon + 1;
        }
        std::size_t n = parts.size();
        container = parts[n - 1];
        if (n >= 2) host = parts[n - 2];
        if (n == 3) {
            ip = parts[0];
            if (!ip.empty() && !is_ip(ip, AF_INET)) return false;
        } else if (n > 3) {
            // Bare IPv6 address: everything before the last two parts (docker's splitParts).
            ip = s.substr(0, s.size() - container.size() - host.size() - 2);
            if (!is_ip(ip, AF_INET6)) return false;
        }
    }
    Range c, h;
    if (!parse_range(container, false, c)) return false;
    if (!host.empty()) {
        if (!parse_range(host, true, h)) return false;
        // Equal-sized ranges, or one container port published from a range of host ports.
        bool container_range = c.end != c.start;
        if (container_range && h.end - h.start != c.end - c.start) return false;
    }
    return true;
}

bool is_duration(std::string_view s) {
    if (s == "0") return true;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    if (s.empty()) return false;
    while (!s.empty()) {
        std::size_t i = 0;
        bool digits = false;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
        if (i < s.size() && s[i] == '.') {
            ++i;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
        }
        if (!digits) return false;
        s.remove_prefix(i);
        static const char* const units[] = {"ns", "us", "\xC2\xB5s", "\xCE\xBCs", "ms", "s", "m", "h"};
        std::size_t best = 0;
        for (const char* u : units) {
            std::string_view unit(u);
            if (s.substr(0, unit.size()) == unit && unit.size() > best) best = unit.size();
        }
        // "ms" must not be read as "m" followed by "s": the longest unit wins.
        if (best == 0) return false;
        s.remove_prefix(best);
    }
    return true;
}

bool is_byte_size(std::string_view s) {
    std::size_t i = 0;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
    if (!digits) return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        bool frac = false;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, frac = true;
        if (!frac) return false;
    }
    if (i < s.size() && s[i] == ' ') ++i;
    auto lower = [&](std::size_t k) { return static_cast<char>(std::tolower(static_cast<unsigned char>(s[k]))); };
    if (i < s.size() && std::string_view("kmgtp").find(lower(i)) != std::string_view::npos) {
        ++i;
        if (i < s.size() && lower(i) == 'i') ++i;
    }
    if (i < s.size() && lower(i) == 'b') ++i;
    return i == s.size();
}

std::string check_format(std::string_view format, const nlohmann::json& value) {
    if (value.is_string()) {
        const auto& s = value.get_ref<const std::string&>();
        if (s.find('$') != std::string::npos) return {};
        if (format == "ports") return is_port_mapping(s) ? "" : render(value) + " is not a valid port mapping";
        if (format == "expose") return is_exposed_port(s) ? "" : render(value) + " is not a valid port to expose";
        if (format == "duration")
            return is_duration(s) ? "" : render(value) + " is not a valid duration (like \"30s\", \"1m30s\", \"500ms\")";
        if (format == "bytes")
            return is_byte_size(s) ? "" : render(value) + " is not a valid byte size (like \"512m\", \"2g\", \"1024\")";
        if (format == "published_port")
            return is_published_port(s) ? "" : render(value) + " is not a valid published port or port range";
        if (format == "port_number") return is_port_number(s) ? "" : render(value) + " is not a valid port number";
        return {};
    }
    if (value.is_number()) {
        bool integral = value.is_number_integer() || value.is_number_unsigned();
        double d = value.get<double>();
        bool port = integral && d >= 1 && d <= 65535;
        if (format == "ports" || format == "port_number")
            return port ? "" : render(value) + " is not a valid port " + (format == "ports" ? "mapping" : "number");
        if (format == "expose") return port ? "" : render(value) + " is not a valid port to expose";
        if (format == "published_port")
            return integral && d >= 0 && d <= 65535 ? "" : render(value) + " is not a valid published port";
        if (format == "bytes") return d >= -1 ? "" : render(value) + " is not a valid byte size";
    }
    return {};
}

}  // namespace berth::schema

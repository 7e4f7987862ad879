#include "compose/load/dotenv.hpp"

#include <cctype>

#include "base/error.hpp"
#include "base/file_io.hpp"

namespace berth::compose::load {
namespace {

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

bool valid_key(const std::string& k) {
    if (k.empty()) return false;
    for (char c : k)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
    return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_dotenv(const std::string& text, const std::string& file,
                                                              const Lookup& lookup) {
    std::vector<std::pair<std::string, std::string>> out;
    std::map<std::string, std::string> seen;
    Lookup chained = [&](const std::string& k) -> std::optional<std::string> {
        if (auto v = lookup ? lookup(k) : std::nullopt) return v;
        auto it = seen.find(k);
        if (it != seen.end()) return it->second;
        return std::nullopt;
    };
    size_t pos = 0;
    int line_no = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        std::string line = text.substr(pos, eol - pos);
        ++line_no;
        int start_line = line_no;
        pos = eol + 1;
        std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        if (t.rfind("export ", 0) == 0) t = trim(t.substr(7));
        size_t eq = t.find('=');
        std::string key = trim(eq == std::string::npos ? t : t.substr(0, eq));
        if (!valid_key(key)) throw ConfigError({file, start_line, 1}, "", "invalid variable name \"" + key + "\"");
        if (eq == std::string::npos) {
            if (auto v = chained(key)) out.emplace_back(key, *v), seen[key] = *v;
            continue;
        }
        std::string raw = t.substr(eq + 1);
        size_t lead = raw.find_first_not_of(" \t");
        raw = lead == std::string::npos ? "" : raw.substr(lead);
        std::string value;
        if (!raw.empty() && raw[0] == '\'') {
            size_t close = raw.find('\'', 1);
            if (close == std::string::npos) throw ConfigError({file, start_line, 1}, key, "unterminated single quote");
            value = raw.substr(1, close - 1);
        } else if (!raw.empty() && raw[0] == '"') {
            // may continue on the following lines
            std::string body = raw.substr(1);
            std::string acc;
            bool closed = false;
            for (;;) {
                for (size_t i = 0; i < body.size(); ++i) {
                    char c = body[i];
                    if (c == '\\' && i + 1 < body.size()) {
                        char n = body[++i];
                        acc += n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n;
                        if (n != 'n' && n != 't' && n != 'r' && n != '"' && n != '\\' && n != '$') acc.insert(acc.size() - 1, "\\");
                    } else if (c == '"') {
                        closed = true;
                        break;
                    } else {
                        acc += c;
                    }
                }
                if (closed || pos >= text.size()) break;
                acc += '\n';
                eol = text.find('\n', pos);
                if (eol == std::string::npos) eol = text.size();
                body = text.substr(pos, eol - pos);
                pos = eol + 1;
                ++line_no;
            }
            if (!closed) throw ConfigError({file, start_line, 1}, key, "unterminated double quote");
            try {
                value = interpolate(acc, chained);
            } catch (const InterpolationError& e) {
                throw ConfigError({file, start_line, 1}, key, e.what());
            }
        } else {
            size_t hash = raw.find(" #");
            if (hash != std::string::npos) raw = raw.substr(0, hash);
            try {
                value = interpolate(trim(raw), chained);
            } catch (const InterpolationError& e) {
                throw ConfigError({file, start_line, 1}, key, e.what());
            }
        }
        seen[key] = value;
        out.emplace_back(key, value);
    }
    return out;
}

std::map<std::string, std::string> read_dotenv(const std::string& path, const Lookup& lookup) {
    auto text = try_read_file(path);
    if (!text) throw UserError("env file " + path + " not found");
    std::map<std::string, std::string> out;
    for (auto& [k, v] : parse_dotenv(*text, path, lookup)) out[k] = v;
    return out;
}

}  // namespace berth::compose::load

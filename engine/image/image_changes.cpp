// Docker's `import --change` instructions, the Dockerfile subset that only touches the config.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "base/error.hpp"
#include "engine/image/image_changes.hpp"

namespace berth::engine {
namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) return s.substr(1, s.size() - 2);
  return s;
}

// JSON form ["a","b"] is exec form; anything else is shell form run by /bin/sh -c.
std::vector<std::string> exec_or_shell(const std::string& arg, const std::string& line) {
  if (!arg.empty() && arg.front() == '[') {
    auto j = nlohmann::json::parse(arg, nullptr, false);
    if (j.is_discarded() || !j.is_array() || !std::all_of(j.begin(), j.end(), [](auto& x) { return x.is_string(); }))
      throw UserError("--change \"" + line + "\": invalid JSON array");
    return j.get<std::vector<std::string>>();
  }
  return {"/bin/sh", "-c", arg};
}

void set_env(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  std::string kv = key + "=" + value;
  for (auto& e : env)
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = kv;
      return;
    }
  env.push_back(kv);
}

}  // namespace

void apply_change(ImageConfig& c, std::string_view line_in) {
  std::string line = trim(line_in);
  auto sp = line.find_first_of(" \t");
  std::string instr = line.substr(0, sp), arg = sp == std::string::npos ? "" : trim(line.substr(sp));
  std::transform(instr.begin(), instr.end(), instr.begin(), ::toupper);
  auto need_arg = [&] {
    if (arg.empty()) throw UserError("--change \"" + line + "\": " + instr + " needs an argument");
  };
  if (instr == "CMD") {
    need_arg();
    c.cmd = exec_or_shell(arg, line);
  } else if (instr == "ENTRYPOINT") {
    need_arg();
    c.entrypoint = exec_or_shell(arg, line);
  } else if (instr == "ENV") {
    need_arg();
    auto ws = words(arg);
    if (ws[0].find('=') == std::string::npos) {  // legacy "ENV KEY value with spaces"
      set_env(c.env, ws[0], trim(arg.substr(ws[0].size())));
    } else {
      for (auto& w : ws) {
        auto eq = w.find('=');
        if (eq == std::string::npos || eq == 0) throw UserError("--change \"" + line + "\": expected KEY=value");
        set_env(c.env, w.substr(0, eq), unquote(w.substr(eq + 1)));
      }
    }
  } else if (instr == "LABEL") {
    need_arg();
    for (auto& w : words(arg)) {
      auto eq = w.find('=');
      if (eq == std::string::npos || eq == 0) throw UserError("--change \"" + line + "\": expected KEY=value");
      c.labels[unquote(w.substr(0, eq))] = unquote(w.substr(eq + 1));
    }
  } else if (instr == "WORKDIR") {
    need_arg();
    c.working_dir = unquote(arg);
  } else if (instr == "USER") {
    need_arg();
    c.user = unquote(arg);
  } else if (instr == "STOPSIGNAL") {
    need_arg();
    c.stop_signal = arg;
  } else if (instr == "EXPOSE") {
    need_arg();
    for (auto w : words(arg)) {
      if (w.find('/') == std::string::npos) w += "/tcp";
      auto port = w.substr(0, w.find('/'));
      if (port.empty() || !std::all_of(port.begin(), port.end(), ::isdigit))
        throw UserError("--change \"" + line + "\": invalid port \"" + w + "\"");
      if (std::find(c.exposed_ports.begin(), c.exposed_ports.end(), w) == c.exposed_ports.end()) c.exposed_ports.push_back(w);
    }
    std::sort(c.exposed_ports.begin(), c.exposed_ports.end());
  } else if (instr == "VOLUME") {
    need_arg();
    auto vols = arg.front() == '[' ? exec_or_shell(arg, line) : words(arg);
    for (auto& v : vols)
      if (std::find(c.volumes.begin(), c.volumes.end(), v) == c.volumes.end()) c.volumes.push_back(v);
    std::sort(c.volumes.begin(), c.volumes.end());
  } else if (instr == "ONBUILD") {
    need_arg();
    // Stored as written (Docker keeps the trigger's text); a builder runs it in a child image.
    auto trigger = words(arg);
    std::string first = trigger[0];
    std::transform(first.begin(), first.end(), first.begin(), ::toupper);
    if (first == "ONBUILD" || first == "FROM" || first == "MAINTAINER")
      throw UserError("--change \"" + line + "\": " + first + " is not allowed as an ONBUILD trigger");
    c.onbuild.push_back(arg);
  } else {
    throw UserError("--change \"" + line + "\": unsupported instruction \"" + instr +
                    "\" (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)");
  }
}

}  // namespace berth::engine

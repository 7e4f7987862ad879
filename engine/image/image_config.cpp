// Reading and writing the image config blob (OCI image-spec config.md; Docker's superset with
// Healthcheck and StopSignal). Absent vs empty matters for Cmd/Entrypoint: nullopt means "not set".
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/image/image_store.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

[[noreturn]] void bad_field(const std::string& field, const std::string& why) {
  throw UserError("image config: " + field + ": " + why);
}

std::vector<std::string> string_array(const json& j, const std::string& field) {
  if (!j.is_array()) bad_field(field, "expected an array of strings");
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) bad_field(field, "expected an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<std::vector<std::string>> opt_array(const json& c, const char* key) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return std::nullopt;
  return string_array(*it, std::string("config.") + key);
}

std::string opt_string(const json& c, const char* key, const std::string& prefix) {
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return {};
  if (!it->is_string()) bad_field(prefix + key, "expected a string");
  return it->get<std::string>();
}

std::vector<std::string> object_keys(const json& c, const char* key) {
  std::vector<std::string> out;
  auto it = c.find(key);
  if (it == c.end() || it->is_null()) return out;
  if (!it->is_object()) bad_field(std::string("config.") + key, "expected an object");
  for (auto& [k, v] : it->items()) out.push_back(k);  // nlohmann objects iterate sorted
  return out;
}

std::int64_t opt_int(const json& h, const char* key) {
  auto it = h.find(key);
  if (it == h.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) bad_field(std::string("config.Healthcheck.") + key, "expected an integer");
  return it->get<std::int64_t>();
}

}  // namespace

ImageConfig parse_image_config(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw UserError("image config: not a JSON object");
  ImageConfig c;
  c.architecture = opt_string(j, "architecture", "");
  c.os = opt_string(j, "os", "");
  c.created = opt_string(j, "created", "");
  if (auto rf = j.find("rootfs"); rf != j.end() && rf->is_object()) {
    if (auto d = rf->find("diff_ids"); d != rf->end() && !d->is_null())
      c.diff_ids = string_array(*d, "rootfs.diff_ids");
  }
  c.author = opt_string(j, "author", "");
  if (auto h = j.find("history"); h != j.end() && !h->is_null()) {
    if (!h->is_array()) bad_field("history", "expected an array");
    for (auto& e : *h) {
      if (!e.is_object()) bad_field("history", "expected objects");
      HistoryEntry he;
      he.created = opt_string(e, "created", "history.");
      he.created_by = opt_string(e, "created_by", "history.");
      he.comment = opt_string(e, "comment", "history.");
      he.author = opt_string(e, "author", "history.");
      if (auto el = e.find("empty_layer"); el != e.end() && el->is_boolean()) he.empty_layer = el->get<bool>();
      c.history.push_back(std::move(he));
    }
  }
  auto cit = j.find("config");
  if (cit == j.end() || cit->is_null()) return c;
  if (!cit->is_object()) bad_field("config", "expected an object");
  const json& cfg = *cit;
  if (auto e = opt_array(cfg, "Env")) c.env = *e;
  c.cmd = opt_array(cfg, "Cmd");
  c.entrypoint = opt_array(cfg, "Entrypoint");
  c.working_dir = opt_string(cfg, "WorkingDir", "config.");
  c.user = opt_string(cfg, "User", "config.");
  c.stop_signal = opt_string(cfg, "StopSignal", "config.");
  c.exposed_ports = object_keys(cfg, "ExposedPorts");
  c.volumes = object_keys(cfg, "Volumes");
  if (auto o = opt_array(cfg, "OnBuild")) c.onbuild = *o;
  if (auto o = opt_array(cfg, "Shell")) c.shell = *o;
  if (auto l = cfg.find("Labels"); l != cfg.end() && !l->is_null()) {
    if (!l->is_object()) bad_field("config.Labels", "expected an object");
    for (auto& [k, v] : l->items()) {
      if (!v.is_string()) bad_field("config.Labels." + k, "expected a string");
      c.labels[k] = v.get<std::string>();
    }
  }
  if (auto h = cfg.find("Healthcheck"); h != cfg.end() && !h->is_null()) {
    if (!h->is_object()) bad_field("config.Healthcheck", "expected an object");
    Healthcheck hc;
    if (auto t = h->find("Test"); t != h->end() && !t->is_null())
      hc.test = string_array(*t, "config.Healthcheck.Test");
    hc.interval_ns = opt_int(*h, "Interval");
    hc.timeout_ns = opt_int(*h, "Timeout");
    hc.start_period_ns = opt_int(*h, "StartPeriod");
    hc.start_interval_ns = opt_int(*h, "StartInterval");
    hc.retries = static_cast<int>(opt_int(*h, "Retries"));
    c.healthcheck = hc;
  }
  return c;
}

std::string serialize_image_config(const ImageConfig& c) {
  json cfg = json::object();
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (c.cmd) cfg["Cmd"] = *c.cmd;
  if (c.entrypoint) cfg["Entrypoint"] = *c.entrypoint;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) cfg["User"] = c.user;
  if (!c.stop_signal.empty()) cfg["StopSignal"] = c.stop_signal;
  if (!c.exposed_ports.empty()) {
    json p = json::object();
    for (auto& k : c.exposed_ports) p[k] = json::object();
    cfg["ExposedPorts"] = p;
  }
  if (!c.volumes.empty()) {
    json v = json::object();
    for (auto& k : c.volumes) v[k] = json::object();
    cfg["Volumes"] = v;
  }
  if (!c.labels.empty()) cfg["Labels"] = c.labels;
  if (!c.onbuild.empty()) cfg["OnBuild"] = c.onbuild;
  if (!c.shell.empty()) cfg["Shell"] = c.shell;
  if (c.healthcheck) {
    json h = json::object();
    h["Test"] = c.healthcheck->test;
    if (c.healthcheck->interval_ns) h["Interval"] = c.healthcheck->interval_ns;
    if (c.healthcheck->timeout_ns) h["Timeout"] = c.healthcheck->timeout_ns;
    if (c.healthcheck->start_period_ns) h["StartPeriod"] = c.healthcheck->start_period_ns;
    if (c.healthcheck->start_interval_ns) h["StartInterval"] = c.healthcheck->start_interval_ns;
    if (c.healthcheck->retries) h["Retries"] = c.healthcheck->retries;
    cfg["Healthcheck"] = h;
  }
  json j = json::object();
  j["architecture"] = c.architecture.empty() ? "amd64" : c.architecture;
  j["os"] = c.os.empty() ? "linux" : c.os;
  if (!c.created.empty()) j["created"] = c.created;
  j["config"] = cfg;
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", c.diff_ids}};
  if (!c.author.empty()) j["author"] = c.author;
  if (c.history.empty()) {
    j["history"] = json::array({json{{"created", c.created}, {"created_by", "berth image import"}}});
  } else {
    j["history"] = json::array();
    for (auto& h : c.history) {
      json e = json::object();
      if (!h.created.empty()) e["created"] = h.created;
      if (!h.created_by.empty()) e["created_by"] = h.created_by;
      if (!h.comment.empty()) e["comment"] = h.comment;
      if (!h.author.empty()) e["author"] = h.author;
      if (h.empty_layer) e["empty_layer"] = true;
      j["history"].push_back(e);
    }
  }
  return j.dump();
}

}  // namespace berth::engine

#pragma once
// Progress of project commands (up, down, start, ...) on stderr, as compose shows it: on a
// terminal one live line per container, network, volume or image with its state and elapsed
// time, redrawn in place; otherwise one plain line per change; nothing with --progress quiet;
// with --progress json one JSON object a line, as compose's json writer: {"id":..,"text":..}.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::cli {

class ProjectProgress {
 public:
  enum class Mode { Tty, Plain, Quiet, Json };
  ProjectProgress(Mode mode, std::FILE* out);
  ~ProjectProgress();  // draws the final state
  ProjectProgress(const ProjectProgress&) = delete;
  ProjectProgress& operator=(const ProjectProgress&) = delete;

  void update(const std::string& object, const std::string& status);

 private:
  struct Row {
    std::string object, status;
    std::chrono::steady_clock::time_point started, changed;
    bool done = false;
  };
  void redraw();  // with m_ held
  Mode mode_;
  std::FILE* out_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<Row> rows_;
  std::size_t drawn_ = 0;  // lines drawn last time (TTY)
  std::thread ticker_;     // refreshes the elapsed times (TTY)
};

}  // namespace berth::cli

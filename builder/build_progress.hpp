#pragma once
// What a build shows while it runs.
// Plain (not a terminal, or --progress plain), BuildKit's form, one line per event, safe to
// interleave between stages built in parallel:
//   #3 [build 2/5] RUN make
//   #3 0.412 cc -o app main.c        (the step's output, seconds since it started)
//   #3 DONE 1.2s                     or  #3 CACHED  /  #3 ERROR: ...
// Tty: each step one line once it ended ("#3 [build 2/5] RUN make  DONE 1.2s"); below them,
// redrawn in place, every running step with its time and its last output lines. A failed step's
// output is printed in full before its error.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::builder {

class BuildProgress {
 public:
  enum class Mode { Plain, Tty, Quiet };
  BuildProgress(std::FILE* out, Mode mode);
  ~BuildProgress();
  BuildProgress(const BuildProgress&) = delete;
  BuildProgress& operator=(const BuildProgress&) = delete;

  class Step {
   public:
    void output(const std::string& text);  // any chunk; split into lines
    void cached();
    void done();
    void error(const std::string& message);

   private:
    friend class BuildProgress;
    Step(BuildProgress& p, int n) : p_(p), n_(n) {}
    BuildProgress& p_;
    int n_;
    std::string partial_;
  };

  Step start(const std::string& title);
  void warn(const std::string& message);
  void print(const std::string& line);

 private:
  struct Active {
    std::string title;
    std::chrono::steady_clock::time_point start;
    std::vector<std::string> lines;  // all output (shown in full when the step fails)
  };
  void step_line(int n, const std::string& line);
  void finish(int n, const std::string& status, bool show_output);
  double seconds(const Active& a) const;
  // Tty: the live area (running steps) is erased, `permanent` printed, the area drawn again.
  void emit(const std::string& permanent);

  std::FILE* out_;
  Mode mode_;
  std::mutex mu_;
  int next_ = 1;
  std::map<int, Active> active_;
  int drawn_ = 0;  // lines of the live area on screen
  // Tty: redraws the running steps' times while they print nothing.
  std::condition_variable tick_cv_;
  bool stopping_ = false;
  std::thread ticker_;
};

}  // namespace berth::builder

#pragma once
// What a build shows while it runs, in BuildKit's plain form (one line per event, safe to
// interleave between stages built in parallel):
//   #3 [build 2/5] RUN make
//   #3 0.412 cc -o app main.c        (the step's output, seconds since it started)
//   #3 DONE 1.2s                     or  #3 CACHED  /  #3 ERROR: ...
// A failed step's output is shown again after the error so that it is next to the message.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace berth::builder {

class BuildProgress {
 public:
  // `quiet`: nothing but warnings (image build -q prints only the id).
  BuildProgress(std::FILE* out, bool quiet) : out_(out), quiet_(quiet) {}

  class Step {
   public:
    void output(const std::string& text);  // any chunk; split into lines
    void cached();
    void done();
    void error(const std::string& message);
    const std::vector<std::string>& lines() const { return lines_; }

   private:
    friend class BuildProgress;
    Step(BuildProgress& p, int n) : p_(p), n_(n), start_(std::chrono::steady_clock::now()) {}
    void line(const std::string& l);
    BuildProgress& p_;
    int n_;
    std::chrono::steady_clock::time_point start_;
    std::string partial_;
    std::vector<std::string> lines_;
  };

  Step start(const std::string& title);
  void warn(const std::string& message);
  void print(const std::string& line);

 private:
  std::FILE* out_;
  bool quiet_;
  std::mutex mu_;
  int next_ = 1;
};

}  // namespace berth::builder

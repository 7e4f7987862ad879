#include "engine/runtime/signal_disposition.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>

#include <string>

namespace berth::engine {
namespace {

std::string status(const std::string& nspid, const std::string& caught, const std::string& blocked = "0000000000000000") {
  return "Name:\tsleep\nState:\tS (sleeping)\nNSpid:\t" + nspid + "\nSigBlk:\t" + blocked +
         "\nSigIgn:\t0000000000000000\nSigCgt:\t" + caught + "\nCapEff:\t0\n";
}

TEST(SignalDisposition, ANamespaceInitWithoutAHandlerDiscardsIt) {
  EXPECT_TRUE(init_discards_signal(status("4242\t1", "0000000000000000"), SIGTERM));
  // busybox httpd catches SIGCHLD and SIGPIPE only (bits 17 and 13)
  EXPECT_TRUE(init_discards_signal(status("4242\t1", "0000000000011000"), SIGTERM));
  EXPECT_FALSE(init_discards_signal(status("4242\t1", "0000000000004000"), SIGTERM));  // bit 15: caught
  EXPECT_TRUE(init_discards_signal(status("4242\t1", "0000000000004000"), SIGQUIT));
  EXPECT_FALSE(init_discards_signal(status("4242\t1", "0000000200000000"), 34));  // a real-time signal, caught
  EXPECT_TRUE(init_discards_signal(status("4242\t1", "0000000000000000"), 64));
  EXPECT_TRUE(init_discards_signal(status("4242\t17\t1", "0000000000000000"), SIGHUP));  // nested, its init
}

// An init that blocks its signals and reads them from a signalfd (berth-init, tini) receives them.
TEST(SignalDisposition, ABlockedSignalIsQueuedNotDiscarded) {
  EXPECT_FALSE(init_discards_signal(status("4242\t1", "0000000000000000", "fffffffe7ffbfeff"), SIGTERM));
  EXPECT_TRUE(init_discards_signal(status("4242\t1", "0000000000000000", "0000000000010000"), SIGTERM));
}

TEST(SignalDisposition, AnyOtherProcessGetsTheSignal) {
  EXPECT_FALSE(init_discards_signal(status("4242", "0000000000000000"), SIGTERM));        // the host's pid namespace
  EXPECT_FALSE(init_discards_signal(status("4242\t7", "0000000000000000"), SIGTERM));     // not the namespace's init
}

TEST(SignalDisposition, AnInitInSigwaitinfoIsWaitingForSignals) {
  EXPECT_TRUE(waits_in_sigtimedwait(std::to_string(SYS_rt_sigtimedwait) + " 0x7ffc6f1e0a40 0x7ffc6f1e09b0 0x0 0x8 0x0 0x0 0x7ffc6f1e0998 0x4a1f3b\n"));
  EXPECT_FALSE(waits_in_sigtimedwait(std::to_string(SYS_wait4) + " 0xffffffffffffffff 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x4a\n"));
  EXPECT_FALSE(waits_in_sigtimedwait("running\n"));
  EXPECT_FALSE(waits_in_sigtimedwait(""));
}

TEST(SignalDisposition, UnreadableStatusMeansWait) {
  EXPECT_FALSE(init_discards_signal(std::string("Name:\tx\n"), SIGTERM));
  EXPECT_FALSE(init_discards_signal(status("4242\t1", "zz"), SIGTERM));
  EXPECT_FALSE(init_discards_signal(status("4242\t1", "0"), 0));
  EXPECT_FALSE(init_discards_signal(status("4242\t1", "0"), 65));
  EXPECT_FALSE(init_discards_signal(pid_t{-1}, SIGTERM));
}

}  // namespace
}  // namespace berth::engine

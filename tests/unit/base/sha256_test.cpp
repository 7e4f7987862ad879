#include "base/sha256.hpp"

#include <gtest/gtest.h>

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(berth::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  berth::Sha256 h;
  h.update("ab");
  h.update("c");
  EXPECT_EQ(h.digest(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The test executables' main: Google Test's, except that a run in which tests were skipped and
// none passed (no GPU, no Chromium) exits 77, which ctest shows as skipped. Reading a skip from
// the output instead would also show as skipped a test that printed it and then failed at exit
// (a leak report, a crash in a destructor).

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  const testing::UnitTest& tests = *testing::UnitTest::GetInstance();
  constexpr int kSkipped = 77;
  if (status == 0 && tests.skipped_test_count() > 0 && tests.successful_test_count() == 0)
    return kSkipped;
  return status;
}

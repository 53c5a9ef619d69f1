// The test executables' main: Google Test's, except that
// - a run in which tests were skipped and none passed (no GPU, no Chromium) exits 77, which ctest
//   shows as skipped;
// - a skipped test is printed "[  SKIP    ]", not "[  SKIPPED ]". gtest_discover_tests gives every
//   test SKIP_REGULAR_EXPRESSION "\[  SKIPPED \]", which ctest applies whatever the exit status
//   and which a later property only adds to: a test that printed a skip and then failed at exit
//   (a leak report, a crash in a destructor) would show as skipped. The exit status alone says.

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

namespace {

std::string test_count(int n) { return std::to_string(n) + (n == 1 ? " test" : " tests"); }

// Google Test's own printer for every event but a skipped test's end and the run's summary.
class SkipsPrintedAsSkip final : public testing::TestEventListener {
 public:
  explicit SkipsPrintedAsSkip(testing::TestEventListener* printer) : printer_(printer) {}

  void OnTestProgramStart(const testing::UnitTest& u) override { printer_->OnTestProgramStart(u); }
  void OnTestIterationStart(const testing::UnitTest& u, int i) override {
    printer_->OnTestIterationStart(u, i);
  }
  void OnEnvironmentsSetUpStart(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsSetUpStart(u);
  }
  void OnEnvironmentsSetUpEnd(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsSetUpEnd(u);
  }
  void OnTestSuiteStart(const testing::TestSuite& s) override { printer_->OnTestSuiteStart(s); }
  void OnTestStart(const testing::TestInfo& t) override { printer_->OnTestStart(t); }
  void OnTestDisabled(const testing::TestInfo& t) override { printer_->OnTestDisabled(t); }
  void OnTestPartResult(const testing::TestPartResult& r) override {
    printer_->OnTestPartResult(r);
  }
  void OnTestEnd(const testing::TestInfo& t) override {
    if (!t.result()->Skipped()) return printer_->OnTestEnd(t);
    std::printf("[  SKIP    ] %s.%s (%lld ms)\n", t.test_suite_name(), t.name(),
                static_cast<long long>(t.result()->elapsed_time()));
    std::fflush(stdout);
  }
  void OnTestSuiteEnd(const testing::TestSuite& s) override { printer_->OnTestSuiteEnd(s); }
  void OnEnvironmentsTearDownStart(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsTearDownStart(u);
  }
  void OnEnvironmentsTearDownEnd(const testing::UnitTest& u) override {
    printer_->OnEnvironmentsTearDownEnd(u);
  }
  void OnTestIterationEnd(const testing::UnitTest& u, int) override {
    std::printf("[==========] %s from %d test suites ran. (%lld ms total)\n",
                test_count(u.test_to_run_count()).c_str(), u.test_suite_to_run_count(),
                static_cast<long long>(u.elapsed_time()));
    std::printf("[  PASSED  ] %s.\n", test_count(u.successful_test_count()).c_str());
    const auto list = [&](const char* tag, int count, bool (testing::TestResult::*is)() const) {
      if (count == 0) return;
      std::printf("[%s] %s, listed below:\n", tag, test_count(count).c_str());
      for (int s = 0; s < u.total_test_suite_count(); ++s) {
        const testing::TestSuite& suite = *u.GetTestSuite(s);
        for (int t = 0; t < suite.total_test_count(); ++t) {
          const testing::TestInfo& info = *suite.GetTestInfo(t);
          if (info.should_run() && (info.result()->*is)())
            std::printf("[%s] %s.%s\n", tag, suite.name(), info.name());
        }
      }
    };
    list("  SKIP    ", u.skipped_test_count(), &testing::TestResult::Skipped);
    list("  FAILED  ", u.failed_test_count(), &testing::TestResult::Failed);
    if (u.failed_test_count() > 0)
      std::printf("\n%2d FAILED TEST%s\n", u.failed_test_count(),
                  u.failed_test_count() == 1 ? "" : "S");
    std::fflush(stdout);
  }
  void OnTestProgramEnd(const testing::UnitTest& u) override { printer_->OnTestProgramEnd(u); }

 private:
  std::unique_ptr<testing::TestEventListener> printer_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  testing::TestEventListeners& listeners = testing::UnitTest::GetInstance()->listeners();
  if (testing::TestEventListener* printer = listeners.default_result_printer()) {
    listeners.Append(new SkipsPrintedAsSkip(listeners.Release(printer)));
  }
  const int status = RUN_ALL_TESTS();
  const testing::UnitTest& tests = *testing::UnitTest::GetInstance();
  constexpr int kSkipped = 77;
  if (status == 0 && tests.skipped_test_count() > 0 && tests.successful_test_count() == 0)
    return kSkipped;
  return status;
}

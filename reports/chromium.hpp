#pragma once

// Headless Chromium: renders an HTML file to PDF (`flopbench sheet --pdf`) or to a PNG
// screenshot (the report's rendering test). Chromium is optional; find_chromium() says whether
// it is there.

#include <array>
#include <filesystem>
#include <optional>
#include <string_view>

namespace flopbench {

// The names find_chromium looks for, in its order.
inline constexpr std::array<std::string_view, 4> kChromiumNames = {
    "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"};

// The first of kChromiumNames on PATH.
std::optional<std::filesystem::path> find_chromium();

// Prints `html` to `pdf` (A4 as the page's CSS asks, no header or footer). Throws IoError (the
// system failed, not the input) with Chromium's last message when it fails or takes longer than
// timeout_s; an earlier `pdf` is then left as it was.
void print_to_pdf(const std::filesystem::path& chromium, const std::filesystem::path& html,
                  const std::filesystem::path& pdf, double timeout_s = 120);

// The pages of a PDF that Chromium printed: its page objects ("/Type /Page"), counted; 0 where it
// writes them in a form this does not read (compressed object streams). Throws IoError when the
// file cannot be read.
int pdf_page_count(const std::filesystem::path& pdf);

// Renders `html` in a window of width x height pixels and saves it as a PNG. Throws as above.
void screenshot(const std::filesystem::path& chromium, const std::filesystem::path& html,
                const std::filesystem::path& png, int width, int height, double timeout_s = 120);

}  // namespace flopbench

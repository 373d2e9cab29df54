// Unit tests of the settings table: the README documents exactly its variables with
// its defaults, --help lists every one, and every shown default parses.
#include "server/settings.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

using namespace flexilib::server;

namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  return std::string(text);
}

// "`PORT`" -> "PORT"; "`0.0.0.0`" -> "0.0.0.0".
std::string without_backticks(std::string text) {
  std::erase(text, '`');
  return text;
}

// Every row "| `NAME` | default | meaning |" of the README's tables headed
// "| variable | default | meaning |". A row naming several variables at once is a
// pointer to another table, not a definition, and is skipped.
std::multimap<std::string, std::string> readme_settings() {
  std::ifstream file(FLEXILIB_SOURCE_DIR "/README.md");
  REQUIRE(file);
  std::multimap<std::string, std::string> found;
  bool in_table = false;
  for (std::string line; std::getline(file, line);) {
    if (line.starts_with("| variable | default |")) {
      in_table = true;
      continue;
    }
    if (!line.starts_with("|")) in_table = false;
    if (!in_table || line.starts_with("|---")) continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');)
      cells.push_back(trimmed(cell));
    REQUIRE(cells.size() >= 2);
    if (cells[0].find(',') != std::string::npos) continue;
    found.emplace(without_backticks(cells[0]), without_backticks(cells[1]));
  }
  return found;
}

} // namespace

TEST_CASE("the README's settings tables list exactly the table's names and defaults",
          "[settings]") {
  const std::multimap<std::string, std::string> readme = readme_settings();
  std::multimap<std::string, std::string> table;
  for (const SettingRow &row : setting_rows())
    table.emplace(std::string(row.name), std::string(row.default_text));
  CHECK(readme == table);
  for (const auto &[name, default_text] : table) {
    INFO(name);
    CHECK(readme.count(name) == 1);
    CHECK((readme.contains(name) && readme.find(name)->second == default_text));
  }
}

TEST_CASE("--help lists every setting with its default", "[settings]") {
  const std::string usage = usage_text();
  for (const SettingRow &row : setting_rows()) {
    INFO(row.name);
    const size_t at = usage.find("  " + std::string(row.name) + " ");
    REQUIRE(at != std::string::npos);
    CHECK(usage.find("(default " + std::string(row.default_text) + ")", at) != std::string::npos);
  }
}

TEST_CASE("every setting is named once and every shown default parses", "[settings]") {
  std::map<std::string, int> seen;
  for (const SettingRow &row : setting_rows())
    CHECK(++seen[std::string(row.name)] == 1);
  const auto no_environment = [](const char *) -> const char * { return nullptr; };
  CHECK(parse_settings({}, no_environment, 4, false).errors.empty());
}

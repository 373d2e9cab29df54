// Which Accept headers get the dashboard page and which keep the JSON answer.
#include "admin/content_negotiation.hpp"

#include <catch2/catch.hpp>

using flexilib::admin::prefers_html;

TEST_CASE("browsers' Accept headers get the page", "[admin][dashboard]") {
  // Chromium's and Firefox's navigation requests.
  CHECK(prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                     "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"));
  CHECK(prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
  CHECK(prefers_html("application/xhtml+xml"));
  CHECK(prefers_html("TEXT/HTML"));
  CHECK(prefers_html(" text/html ; level=1 ; q=0.5 "));
  CHECK(prefers_html("text/html, application/json")); // a tie goes to the page
}

TEST_CASE("curl, scripts and JSON-first clients keep JSON", "[admin][dashboard]") {
  CHECK_FALSE(prefers_html(""));    // no Accept header
  CHECK_FALSE(prefers_html("*/*")); // curl
  CHECK_FALSE(prefers_html("application/json"));
  CHECK_FALSE(prefers_html("application/json, text/html;q=0.9"));
  CHECK_FALSE(prefers_html("application/*, text/html;q=0.5"));
  CHECK_FALSE(prefers_html("text/*"));
  CHECK_FALSE(prefers_html("text/html;q=0"));
  CHECK_FALSE(prefers_html("text/html;q=nonsense"));
  CHECK_FALSE(prefers_html("text/htmlx"));
}

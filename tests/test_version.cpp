#include <poolify/poolify.hpp>

#include <string>  // std::string, std::to_string

#include "catch.hpp"

TEST_CASE("POOLIFY_VERSION_STRING spells out the three version macros", "[version]") {
  const std::string expected = std::to_string(POOLIFY_VERSION_MAJOR) + "." +
                               std::to_string(POOLIFY_VERSION_MINOR) + "." +
                               std::to_string(POOLIFY_VERSION_PATCH);
  CHECK(std::string(POOLIFY_VERSION_STRING) == expected);
}

TEST_CASE("POOLIFY_VERSION orders versions as major, then minor, then patch", "[version]") {
  STATIC_REQUIRE(POOLIFY_VERSION == POOLIFY_VERSION_MAJOR * 10000 + POOLIFY_VERSION_MINOR * 100 +
                                        POOLIFY_VERSION_PATCH);
}

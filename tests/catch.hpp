/// @file catch.hpp
/// @brief Catch2 for poolify's tests, v2 or v3: tests include this, never Catch2 directly.
#pragma once

// tests/CMakeLists.txt defines POOLIFY_CATCH2_MAJOR for the Catch2 it linked; without it
// (a test compiled by hand), the include path decides.
#if defined(POOLIFY_CATCH2_MAJOR) && POOLIFY_CATCH2_MAJOR >= 3
#include <catch2/catch_all.hpp>  // Catch2 v3: TEST_CASE, TEMPLATE_TEST_CASE, REQUIRE, SECTION, ...
#elif !defined(POOLIFY_CATCH2_MAJOR) && __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>  // Catch2 v3
#else
#include <catch2/catch.hpp>  // Catch2 v2: TEST_CASE, TEMPLATE_TEST_CASE, REQUIRE, SECTION, ...
#endif

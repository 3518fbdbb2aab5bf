// Catch2 v2's main(), compiled once into the poolify_catch2 library. With Catch2 v3 this file
// is not built: the tests link Catch2::Catch2WithMain instead.
#define CATCH_CONFIG_MAIN
#include "catch.hpp"

#if CATCH_VERSION_MAJOR >= 3
#error "tests/catch_main.cpp is for Catch2 v2; with v3 link Catch2::Catch2WithMain"
#endif

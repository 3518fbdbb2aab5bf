/// @file version.hpp
/// @brief poolify's version: the one place it is written (CMake reads it from here).
#pragma once

/// Major version: changes when the public API breaks.
#define POOLIFY_VERSION_MAJOR 0
/// Minor version: changes when features are added.
#define POOLIFY_VERSION_MINOR 1
/// Patch version: changes for fixes only.
#define POOLIFY_VERSION_PATCH 0

/// The version as one integer, `major * 10000 + minor * 100 + patch`.
#define POOLIFY_VERSION (POOLIFY_VERSION_MAJOR * 10000 + POOLIFY_VERSION_MINOR * 100 + POOLIFY_VERSION_PATCH)

#define POOLIFY_DETAIL_STRINGIFY_IMPL(x) #x
#define POOLIFY_DETAIL_STRINGIFY(x) POOLIFY_DETAIL_STRINGIFY_IMPL(x)

/// The version as a string literal, "major.minor.patch".
#define POOLIFY_VERSION_STRING                                                                   \
  POOLIFY_DETAIL_STRINGIFY(POOLIFY_VERSION_MAJOR)                                                \
  "." POOLIFY_DETAIL_STRINGIFY(POOLIFY_VERSION_MINOR) "." POOLIFY_DETAIL_STRINGIFY(POOLIFY_VERSION_PATCH)

/// poolify's public names live in `poolify`, inside this inline versioned namespace.
#define POOLIFY_NAMESPACE_BEGIN                                                                   \
  namespace poolify {                                                                            \
  inline namespace v0 {
/// Closes what `POOLIFY_NAMESPACE_BEGIN` opened.
#define POOLIFY_NAMESPACE_END                                                                     \
  }                                                                                              \
  }

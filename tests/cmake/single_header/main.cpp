// poolify used through single header: prints the version it was built against.
#include <poolify/poolify.hpp>

#include <cstdio>   // std::printf, std::fprintf
#include <cstring>  // std::strcmp

int main() {
  std::printf("poolify %s via single_header\n", POOLIFY_VERSION_STRING);
#ifdef POOLIFY_EXPECTED_VERSION
  // The test passes the version CMake read from version.hpp; the header seen here must match.
  if (std::strcmp(POOLIFY_VERSION_STRING, POOLIFY_EXPECTED_VERSION) != 0) {
    std::fprintf(stderr, "expected poolify %s\n", POOLIFY_EXPECTED_VERSION);
    return 1;
  }
#endif
  return 0;
}

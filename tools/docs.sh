#!/usr/bin/env bash
# Builds poolify's API reference from the public headers' /// comments with Doxygen (installed
# with apt-get when missing) and fails when Doxygen warns: every public declaration must be
# documented, and every documentation comment must be well formed.
#
#   tools/docs.sh        # -> build/docs/html/index.html
#
# The configuration is docs/Doxyfile; the implementation (include/poolify/detail/, namespace
# detail) is left out of the reference.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "docs.sh: $*" >&2; }
# shellcheck source=tools/lib/apt.sh
source tools/lib/apt.sh

command -v doxygen >/dev/null 2>&1 || apt_install doxygen || {
  say "error: doxygen is needed (apt-get install doxygen)"
  exit 1
}
mkdir -p build/docs
rm -f build/docs/warnings.log
if ! doxygen docs/Doxyfile || [[ -s build/docs/warnings.log ]]; then
  say "error: Doxygen reported problems:"
  sort -u build/docs/warnings.log >&2 || true
  exit 1
fi
say "API reference: build/docs/html/index.html"

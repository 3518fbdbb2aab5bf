# Sourced by tools/setup.sh and tools/bench.sh: installing Debian packages the project needs.
# The caller defines say() (how it prints a message).

# installed PACKAGE: whether the Debian package is installed.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# apt_install PACKAGE...: installs Debian packages, through sudo when not root; returns non-zero
# (after saying why, with the end of apt's log) when it cannot.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || {
    say "apt-get is not available to install: $*"
    return 1
  }
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || {
      say "not root and no sudo: run 'apt-get install $*' as root"
      return 1
    }
    sudo=(sudo -n)
  fi
  say "installing with apt-get: $*"
  local log
  log=$(mktemp)
  local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@")
  if ! "${install[@]}" >>"${log}" 2>&1; then
    # The package lists may be missing or stale on a fresh machine: refresh them, then try again.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"${log}" 2>&1 || true
    if ! "${install[@]}" >>"${log}" 2>&1; then
      tail -n 20 "${log}" >&2
      rm -f "${log}"
      return 1
    fi
  fi
  rm -f "${log}"
}

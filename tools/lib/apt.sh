# Sourced by tools/setup.sh and tools/oracles/setup.sh. install_debian_packages PKG...: installs the
# packages that dpkg does not list as installed (one apt-get update, no Recommends), says which.
#   needs: $SUDO (empty as root), log()

install_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages already installed"
    return 0
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

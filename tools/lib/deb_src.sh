# Sourced by tools/setup.sh and tools/gpu/pack_deps.sh. ensure_deb_src: gives apt a deb-src entry for
# every Debian binary source this machine already uses, so `apt-get source` works, following whatever
# mirror the machine is configured with (the repository names no host). The entries are derived from
# the `Types: deb` stanzas of /etc/apt/sources.list.d/*.sources and the `deb` lines of sources.list whose
# suites are this release's (bookworm, bookworm-updates, bookworm-security): third-party repositories
# rarely publish sources, and a missing Sources index would fail `apt-get update`.
#   needs: $SUDO (empty as root)

deb_src_stanzas() {  # deb822 stanzas on stdin -> deb-src copies of this release's `deb` stanzas
  awk -v rel="$1" '
    function flush() {
      if (isdeb && suites ~ ("(^| )" rel "(-[a-z]+)?( |$)")) { print "Types: deb-src"; printf "%s", body; print "" }
      isdeb = 0; suites = ""; body = ""
    }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^Types:/ { isdeb = ($0 ~ /(^Types:| )deb( |$)/); next }
    /^Suites:/ { suites = $0; sub(/^Suites:[ \t]*/, "", suites) }
    { body = body $0 "\n" }
    END { flush() }'
}

deb_src_lines() {  # one-line sources.list on stdin -> deb-src lines of this release
  awk -v rel="$1" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ ("^" rel "(-[a-z]+)?$")) { $1 = "deb-src"; print; break } }'
}

ensure_deb_src() {
  if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then return 0; fi
  local rel; rel="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
  local stanzas lines
  # `cat` fails on a missing file (a machine with only deb822 sources has no sources.list): under the
  # callers' `set -o pipefail` that would end setup without a word, so a missing file reads as empty.
  # Each .sources file is followed by a blank line: a file whose last stanza has no trailing blank line
  # would otherwise merge with the next file's first stanza.
  stanzas="$(for f in /etc/apt/sources.list.d/*.sources; do if [ -f "$f" ]; then cat "$f"; echo; fi; done | deb_src_stanzas "$rel")"
  lines="$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | deb_src_lines "$rel")"
  if [ -z "$stanzas" ] && [ -z "$lines" ]; then
    echo "no Debian '$rel' entry in /etc/apt/sources.list{,.d}: cannot add deb-src for apt-get source" >&2
    return 1
  fi
  [ -n "$stanzas" ] && printf '%s\n' "$stanzas" | $SUDO tee /etc/apt/sources.list.d/inst3d-src.sources >/dev/null
  [ -n "$lines" ] && printf '%s\n' "$lines" | $SUDO tee /etc/apt/sources.list.d/inst3d-src.list >/dev/null
  $SUDO apt-get update -qq
}

#!/usr/bin/env bash
# The .deb: cpack builds it into a temporary directory; it holds the expected files, marks the
# config as a conffile, depends on the shared libraries, and the extracted binary runs
# (`dualwrite --version`). As root on a machine without dualwrite installed, and when CI is set
# or DUALWRITE_TEST_DPKG_INSTALL=1, it is also installed for real with dpkg -i, run, and purged.
#   package_test.sh BUILD_DIR
set -euo pipefail
build=$1
for tool in cpack dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "$tool missing"; exit 1; }
done
work=$(mktemp -d)
installed_here=0
cleanup() {
  if [ "$installed_here" = 1 ]; then dpkg --purge dualwrite >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"; exit 1; }
deb=$(find "$work/out" -maxdepth 1 -name 'dualwrite_*.deb' | head -n 1)
[ -n "$deb" ] || { echo "no .deb produced"; cat "$work/cpack.log"; exit 1; }
echo "built $(basename "$deb")"

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
fail=0
for f in ./usr/bin/dualwrite ./lib/systemd/system/dualwrite.service ./etc/dualwrite/dualwrite.toml \
         ./usr/share/dualwrite/dashboards/dualwrite.json ./usr/share/dualwrite/dashboards/alerts.yml \
         ./usr/share/dualwrite/dashboards/alerts_test.yml ./usr/share/dualwrite/sql/README.md \
         ./usr/share/dualwrite/sql/phase2/switch.sql ./usr/share/dualwrite/sql/phase2/rollback.sql \
         ./usr/share/dualwrite/sql/phase3/20261125900000_phase3_cleanup.sql \
         ./usr/share/doc/dualwrite/cutover.md; do
  grep -qxF "$f" "$work/files" || { echo "missing from the package: $f"; fail=1; }
done
grep -q '^./usr/share/dualwrite/sql/migrations/.*\.sql$' "$work/files" || {
  echo "no SQL migrations in the package"; fail=1; }

dpkg-deb -e "$deb" "$work/control"
grep -qxF /etc/dualwrite/dualwrite.toml "$work/control/conffiles" || {
  echo "dualwrite.toml is not a conffile"; fail=1; }
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for pkg in libpq5 libspdlog1.10 systemd; do
  grep -q "\b$pkg" <<<"$depends" || { echo "Depends lacks $pkg"; fail=1; }
done
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || { echo "control script $script missing or not executable"; fail=1; }
done
[ $fail = 0 ] || exit 1

dpkg-deb -x "$deb" "$work/root"
# Every shared library the packaged binary links directly comes from a package named in Depends.
while read -r path; do
  pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null) || {
    echo "no package owns $path"; fail=1; continue; }
  pkg=${pkg%%:*}
  grep -q "\b$pkg\b" <<<"$depends" || { echo "Depends lacks $pkg (for $path)"; fail=1; }
done < <(
  bin=$work/root/usr/bin/dualwrite
  ldd "$bin" >"$work/ldd"
  # Direct dependencies only (NEEDED), resolved to paths as the loader would.
  objdump -p "$bin" | awk '/NEEDED/ {print $2}' | while read -r so; do
    awk -v so="$so" '$1 == so && $3 ~ /^\// {print $3}' "$work/ldd"
  done)
[ $fail = 0 ] || exit 1

version=$("$work/root/usr/bin/dualwrite" --version)
echo "extracted: $version"
expected=$(dpkg-deb -f "$deb" Version)
expected=${expected%-*}
[ "$version" = "dualwrite $expected" ] || { echo "expected \"dualwrite $expected\""; exit 1; }

if [ "$(id -u)" = 0 ] && { [ -n "${CI:-}" ] || [ "${DUALWRITE_TEST_DPKG_INSTALL:-0}" = 1 ]; }; then
  if dpkg-query -W -f='${Status}' dualwrite 2>/dev/null | grep -q 'installed'; then
    echo "dualwrite is already installed on this machine: skipping the real dpkg -i"
  else
    # dpkg's file dependencies (libraries) are installed: they are the build's own.
    installed_here=1
    dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
    version=$(/usr/bin/dualwrite --version)
    echo "installed: $version"
    [ "$version" = "dualwrite $expected" ] || exit 1
    [ "$(stat -c %a /etc/dualwrite/source-password)" = 600 ] || {
      echo "postinst did not create /etc/dualwrite/source-password with mode 0600"; exit 1; }
    dpkg -r dualwrite >/dev/null
    [ ! -e /usr/bin/dualwrite ] || { echo "dpkg -r left /usr/bin/dualwrite"; exit 1; }
    [ -e /etc/dualwrite/dualwrite.toml ] || { echo "dpkg -r removed the conffile"; exit 1; }
    dpkg --purge dualwrite >/dev/null
    installed_here=0
    [ ! -e /etc/dualwrite ] || { echo "dpkg --purge left /etc/dualwrite"; exit 1; }
    echo "dpkg -i / -r / --purge: ok"
  fi
fi
echo "ok"

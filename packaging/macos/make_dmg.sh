#!/usr/bin/env bash
# Make a compressed disk image from Paceline.app: the app next to a link to /Applications,
# so installing is one drag. packaging/build.py calls it on macOS after PyInstaller:
#   bash packaging/macos/make_dmg.sh packaging/out/dist/Paceline.app packaging/out/Paceline-0.1.0.dmg
# The app is ad-hoc signed by PyInstaller only; signing with a Developer ID and notarising
# (codesign, xcrun notarytool) belong here once the project has a certificate.
set -euo pipefail

app=${1:?usage: make_dmg.sh PATH/Paceline.app OUT.dmg}
dmg=${2:?usage: make_dmg.sh PATH/Paceline.app OUT.dmg}
if [ ! -d "$app/Contents/MacOS" ]; then
  echo "make_dmg.sh: $app is not an application bundle" >&2
  exit 1
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
ditto "$app" "$staging/Paceline.app"        # keeps symlinks, permissions and signatures
ln -s /Applications "$staging/Applications"

rm -f "$dmg"
hdiutil create -volname "Paceline" -srcfolder "$staging" -fs HFS+ \
  -format UDZO -imagekey zlib-level=9 -ov "$dmg"
hdiutil verify "$dmg"
echo "wrote $dmg"

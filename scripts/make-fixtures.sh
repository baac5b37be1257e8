#!/usr/bin/env bash
# Regenerates fixtures/submissions/*.eml and expected.json with real tools:
#   plan.py      the fixture table → HTML sources of forms/reports (exact 字数) + plan.json
#   soffice      HTML → .docx / .doc / .pdf (LibreOffice headless, private profile)
#   images.sh    logos, scans (image-only PDF with a red seal), a screenshot (ImageMagick)
#   derive.py    GBK-named zip without the UTF-8 flag, truncated .docx, a PE "截图.jpg"
#   verify.py    re-reads every report through LibreOffice's text export and recounts 字
#   compose.mjs  nodemailer MailComposer → .eml (+ raw GBK headers, Received: headers)
# Deterministic except for what LibreOffice stamps into documents (zip times, rsids).
# Usage: scripts/make-fixtures.sh [OUT_DIR]   (default fixtures/submissions; keep = leave BUILD)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kit="$root/scripts/fixtures"
out=${1:-"$root/fixtures/submissions"}
build=$(mktemp -d /tmp/make-fixtures.XXXXXX)
profile="file:///tmp/lo-profile-$$"
cleanup() { [ -n "${KEEP_BUILD:-}" ] || rm -rf "$build" "/tmp/lo-profile-$$"; }
trap cleanup EXIT

for tool in soffice convert identify python3 node unzip; do
  command -v "$tool" >/dev/null || { echo "make-fixtures: $tool is required" >&2; exit 1; }
done

# soffice FORMAT FILTER SRC_DIR: convert every HTML source of that folder into BUILD/docs.
soffice_convert() {
  local files=("$3"/*.html)
  [ -e "${files[0]}" ] || return 0
  # The HTML (StarWriter) import filter makes a Writer document, not a Writer/Web one, so the
  # Word export filters are available (without it: "no export filter").
  soffice -env:UserInstallation="$profile" --headless --infilter="HTML (StarWriter)" \
    --convert-to "$1:$2" --outdir "$build/docs" "${files[@]}" >/dev/null 2>&1
}

echo "make-fixtures: build dir $build"
python3 "$kit/plan.py" "$build"
mkdir -p "$build/docs" "$build/derived" "$build/txt"
soffice_convert docx "MS Word 2007 XML" "$build/src-docx"
soffice_convert doc "MS Word 97" "$build/src-doc"
soffice_convert pdf "writer_pdf_Export" "$build/src-pdf"
bash "$kit/images.sh" "$build/img"
python3 "$kit/derive.py" "$build"

# Recount every report the way the service will see it: LibreOffice's plain-text export.
soffice -env:UserInstallation="$profile" --headless --convert-to "txt:Text (encoded):UTF8" \
  --outdir "$build/txt" "$build"/docs/*.docx "$build"/docs/*.doc >/dev/null 2>&1
python3 "$kit/verify.py" "$build"

mkdir -p "$out"
rm -f "$out"/*.eml
node "$kit/compose.mjs" "$build" "$out"
du -sh "$out"

#!/usr/bin/env bash
# Builds the small real files under fixtures/documents/ that test/documents/ reads.
# Needs python3, LibreOffice (soffice) with its Python bridge (Debian's python3-uno, for the
# system python3), ImageMagick (convert) and zip. Re-run to regenerate;
# the outputs are committed so tests do not depend on these tools.
set -euo pipefail
OUT="$(cd "$(dirname "$0")/.." && pwd)/fixtures/documents"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
cd "$WORK"

# ── Word: a label/value form with ☑/□ choices, a w14 checkbox content control and a header
# (which must not be read), hand-written OOXML so every element is known.
python3 - "$OUT" <<'PY'
import sys, zipfile
out = sys.argv[1]
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
def p(text, style=None):
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ''
    return f'<w:p>{ppr}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
def sdt_checkbox(checked):
    val, glyph = ('1', '☒') if checked else ('0', '☐')
    return (f'<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="{val}"/></w14:checkbox></w:sdtPr>'
            f'<w:sdtContent><w:r><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>')
def cell(inner):
    return f'<w:tc><w:tcPr><w:tcW w:w="3000" w:type="dxa"/></w:tcPr>{inner}</w:tc>'
def row(*cells):
    return '<w:tr>' + ''.join(cell(c) for c in cells) + '</w:tr>'
rows = [
    row(p('案例名称'), p('基于大模型的智能风控平台')),
    row(p('申报单位'), p('示例银行股份有限公司')),
    row(p('联系人'), p('张三')),
    row(p('联系电话'), p('13800138000')),
    row(p('申报主体类型'), p('☑持牌金融机构 □金融科技公司 □学术研究机构')),
    row(p('是否首次申报'), '<w:p><w:r><w:t xml:space="preserve">是 </w:t></w:r>' + sdt_checkbox(True)
        + '<w:r><w:t xml:space="preserve">  否 </w:t></w:r>' + sdt_checkbox(False) + '</w:p>'),
]
table = '<w:tbl><w:tblPr><w:tblW w:w="6000" w:type="dxa"/></w:tblPr><w:tblGrid><w:gridCol w:w="3000"/><w:gridCol w:w="3000"/></w:tblGrid>' + ''.join(rows) + '</w:tbl>'
body = (p('案例申报表', 'Heading1') + p('一、基本信息') + table + p('二、案例报告') +
        p('本案例介绍“智能风控”的背景与目标。') + '<w:sectPr><w:headerReference w:type="default" r:id="rIdH"/></w:sectPr>')
document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}</w:body></w:document>'
header = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:hdr {W}>{p("页眉不计入字数")}</w:hdr>'
styles = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {W}><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>'
def content_types(main):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main}"/>'
            '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'
            '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>')
rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rIdH" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>'
            '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
def write(name, main):
    with zipfile.ZipFile(f'{out}/{name}', 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', content_types(main))
        z.writestr('_rels/.rels', rels)
        z.writestr('word/_rels/document.xml.rels', doc_rels)
        z.writestr('word/document.xml', document)
        z.writestr('word/header1.xml', header)
        z.writestr('word/styles.xml', styles)
write('form.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml')
write('macro.docm', 'application/vnd.ms-word.document.macroEnabled.main+xml')
PY
cp "$OUT/form.docx" form.docx
soffice --headless --convert-to doc form.docx --outdir . >/dev/null 2>&1
cp form.doc "$OUT/form.doc"
# The same Word 97 file under a .wps name (WPS Office saves Word-compatible OLE files).
cp form.doc "$OUT/form.wps"
# A text PDF with Chinese text, and the same form saved with an open password.
soffice --headless --convert-to pdf form.docx --outdir . >/dev/null 2>&1
cp form.pdf "$OUT/form-text.pdf"
soffice --headless --convert-to 'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},"DocumentOpenPassword":{"type":"string","value":"secret"}}' \
  form.docx --outdir enc >/dev/null 2>&1
cp enc/form.pdf "$OUT/encrypted.pdf"
# The form as Word 97 with an open password: only LibreOffice's API takes a password for it.
/usr/bin/python3 - "$PWD/form.docx" "$OUT/encrypted.doc" secret <<'PY'
import os, subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue
def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p
pipe = f'fixtures-{os.getpid()}'
profile = uno.systemPathToFileUrl(sys.argv[1] + '.profile')
office = subprocess.Popen(['soffice', '--headless', '--norestore', '--invisible',
    f'--accept=pipe,name={pipe};urp;', f'-env:UserInstallation={profile}'])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext('com.sun.star.bridge.UnoUrlResolver', local)
    for _ in range(150):
        try:
            ctx = resolver.resolve(f'uno:pipe,name={pipe};urp;StarOffice.ComponentContext')
            break
        except Exception:
            time.sleep(0.2)
    else:
        sys.exit('LibreOffice did not accept a connection')
    desktop = ctx.ServiceManager.createInstanceWithContext('com.sun.star.frame.Desktop', ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(sys.argv[1]), '_blank', 0, (prop('Hidden', True),))
    doc.storeToURL(uno.systemPathToFileUrl(sys.argv[2]), (prop('FilterName', 'MS Word 97'), prop('Password', sys.argv[3])))
    doc.close(True)
finally:
    office.terminate()
    office.wait()
PY

# ── images: a JPEG logo, a PNG named .jpg, a truncated JPEG, a red-seal scan, a plain scan.
convert -size 600x600 plasma:red-blue -quality 85 logo.jpg
cp logo.jpg "$OUT/logo.jpg"
convert -size 500x500 xc:steelblue png:"$OUT/png-named.jpg"
head -c 20000 logo.jpg > "$OUT/truncated.jpg"
convert -size 600x800 xc:white -fill black -pointsize 28 -annotate +60+120 'APPLICATION FORM' \
  -fill none -stroke '#d01010' -strokewidth 10 -draw 'circle 420,620 420,530' \
  -stroke '#d01010' -strokewidth 6 -draw 'line 380,620 460,620' seal.png
convert seal.png -quality 80 "$OUT/seal-scan.jpg"
convert -size 600x800 xc:white -fill black -pointsize 28 -annotate +60+120 'APPLICATION FORM' plain.png
# Image-only PDFs (what a scanner writes): with and without a red seal.
# (ImageMagick's PDF writer is disabled by policy here, so the JPEG is wrapped by hand.)
convert seal.png -quality 80 seal.jpg
convert plain.png -quality 80 plain.jpg
python3 - seal.jpg "$OUT/scan-seal.pdf" plain.jpg "$OUT/scan-plain.pdf" <<'PY'
import sys
def jpeg_pdf(jpg, pdf, w=600, h=800):
    img = open(jpg, 'rb').read()
    content = f'q {w} 0 0 {h} 0 0 cm /Im0 Do Q'.encode()
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
            b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            f'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>'.encode(),
            f'<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {len(img)} >>\nstream\n'.encode() + img + b'\nendstream',
            f'<< /Length {len(content)} >>\nstream\n'.encode() + content + b'\nendstream']
    out, offsets = bytearray(b'%PDF-1.4\n'), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f'{i} 0 obj\n'.encode() + o + b'\nendobj\n'
    xref = len(out)
    out += f'xref\n0 {len(objs) + 1}\n0000000000 65535 f \n'.encode()
    out += b''.join(f'{o:010d} 00000 n \n'.encode() for o in offsets)
    out += f'trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n'.encode()
    open(pdf, 'wb').write(out)
jpeg_pdf(sys.argv[1], sys.argv[2]); jpeg_pdf(sys.argv[3], sys.argv[4])
PY

# ── archives
printf '申报材料\n' > a.txt
# GBK names without the UTF-8 flag, as Windows' "send to compressed folder" writes them.
python3 - "$OUT" <<'PY'
import sys, zipfile
out = sys.argv[1]
# zipfile flags every non-ASCII name as UTF-8, so write same-length ASCII placeholders and
# patch the raw GBK bytes into the local and central headers afterwards.
names = ['材料/申报表说明.txt', '商标.txt']
raw = [n.encode('gbk') for n in names]
holders = [bytes([0x41 + i]) * len(r) for i, r in enumerate(raw)]
with zipfile.ZipFile(f'{out}/gbk-names.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr(holders[0].decode(), '申报材料说明\n'.encode('utf-8'))
    z.writestr(holders[1].decode(), b'logo')
    z.writestr('../evil.txt', b'path traversal')
data = open(f'{out}/gbk-names.zip', 'rb').read()
for h, r in zip(holders, raw):
    assert data.count(h) == 2
    data = data.replace(h, r)
open(f'{out}/gbk-names.zip', 'wb').write(data)
# A zip bomb: 100 MB of zeros deflates to ~100 KB.
with zipfile.ZipFile(f'{out}/bomb.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr('zeros.bin', bytes(100 * 1024 * 1024))
# Nested: a 20 MB bomb inside a zip inside a zip.
import io
inner = io.BytesIO()
with zipfile.ZipFile(inner, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr('zeros.bin', bytes(20 * 1024 * 1024))
middle = io.BytesIO()
with zipfile.ZipFile(middle, 'w', zipfile.ZIP_STORED) as z:
    z.writestr('inner.zip', inner.getvalue())
with zipfile.ZipFile(f'{out}/nested-bomb.zip', 'w', zipfile.ZIP_STORED) as z:
    z.writestr('middle.zip', middle.getvalue())
# Five levels deep, harmless content: deeper than limits.archive.maxDepth (3).
data = None
for level in range(5, 0, -1):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        if data is None: z.writestr('deep.txt', b'deep')
        else: z.writestr(f'level{level + 1}.zip', data)
    data = buf.getvalue()
open(f'{out}/deep.zip', 'wb').write(data)
# 250 tiny entries: more than limits.archive.maxEntries (200).
with zipfile.ZipFile(f'{out}/many.zip', 'w', zipfile.ZIP_STORED) as z:
    for i in range(250): z.writestr(f'f{i}.txt', b'x')
PY
# An attachment archive holding the real form and logo.
cp "$OUT/form.docx" 申报表.docx && cp "$OUT/logo.jpg" 商标.jpg
zip -q -X "$OUT/submission.zip" 申报表.docx 商标.jpg
zip -q -X -P secret "$OUT/encrypted-entry.zip" a.txt
# What macOS's Finder adds to a zip beside the files: each file's resource fork under __MACOSX/
# (AppleDouble, named ._ and the file's name) and the folder's .DS_Store.
mkdir -p __MACOSX
python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex('0005160700020000') + b'Mac OS X        ' + bytes(2))" > __MACOSX/._申报表.docx
printf 'Bud1' > .DS_Store
zip -q -X "$OUT/macos.zip" 申报表.docx .DS_Store __MACOSX/._申报表.docx
# 7z is not supported: its magic and a little junk is all detection needs.
printf '7z\xbc\xaf\x27\x1c\x00\x04junkjunkjunkjunk' > "$OUT/archive.7z"
# A Windows executable renamed to a picture: the MZ/PE header is what matters.
python3 -c "import sys; sys.stdout.buffer.write(b'MZ' + bytes(58) + (64).to_bytes(4, 'little') + b'PE\0\0' + bytes(200))" > "$OUT/photo.jpg.exe"
cp "$OUT/photo.jpg.exe" "$OUT/exe-named.jpg"
rm "$OUT/photo.jpg.exe"
ls -la "$OUT"

"""Realistic bench documents: one LibreOffice run for the bases, then cheap byte-level variants.

Usage: python3 make-docs.py OUT_DIR COUNT BASE_DIR   (BASE_DIR is reused when it is complete)

Writes OUT_DIR/plan.json: one entry per message with its subject, sender and attachment paths.
- bases (made once): per organisation of scripts/fixtures/orgs.py a .docx form (LibreOffice from
  the fixtures' HTML); one 案例报告 .docx of 4200 字 with three embedded photos (~2 MB); an
  800x800 JPEG logo of ~150 KB; an A4 300 dpi image-only scanned PDF (~3 MB) with a red seal.
- variants (per message, no LibreOffice): the form's case name gets a number (same text run, so
  subject and form still match); the report's docProps/core.xml, the logo (a JPEG comment) and
  the scan's CreationDate differ, so no two messages share a blob; every 4th message is zipped.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))

import docs  # noqa: E402
from jpeg2pdf import jpeg_size  # noqa: E402
from jpeg2pdf import pdf as jpeg_pdf  # noqa: E402
from jpeg2pdf import serialize  # noqa: E402
from kit import fields  # noqa: E402
from orgs import ORGS  # noqa: E402

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"


def run(*args: str) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def photos(base: str) -> list[str]:
    """Three 'photos' (noise defeats JPEG compression, as real photos do) of ~600 KB each."""
    out = []
    for i, colours in enumerate(["#355070-#e56b6f", "#2a9d8f-#e9c46a", "#264653-#f4a261"]):
        path = f"{base}/photo{i}.jpg"
        run("convert", "-seed", str(i + 3), "-size", "1800x1200", f"plasma:{colours}",
            "-attenuate", "0.6", "+noise", "Gaussian", "-quality", "85", path)
        out.append(path)
    return out


def report_docx(base: str, pictures: list[str]) -> None:
    html, _ = docs.report_html(fields(0), 4200, seed=0)
    paragraphs = html.split("</p>\n")
    imgs = [
        f'<p><img src="data:image/jpeg;base64,{base64.b64encode(open(p, "rb").read()).decode()}" '
        'width="560" height="350"/></p>\n'
        for p in pictures
    ]
    # A picture after roughly every third of the text (figures carry no text: 字数 unchanged).
    step = max(1, len(paragraphs) // (len(imgs) + 1))
    for n, img in enumerate(imgs, start=1):
        paragraphs[step * n] = img + paragraphs[step * n]
    with open(f"{base}/src/report.html", "w", encoding="utf-8") as fh:
        fh.write("</p>\n".join(paragraphs))


def forms(base: str) -> None:
    for i in range(len(ORGS)):
        with open(f"{base}/src/form{i}.html", "w", encoding="utf-8") as fh:
            fh.write(docs.form_html(fields(i)))


def soffice(base: str) -> None:
    profile = f"file://{base}/lo-profile"
    sources = sorted(f"{base}/src/{n}" for n in os.listdir(f"{base}/src"))
    run("soffice", f"-env:UserInstallation={profile}", "--headless", "--infilter=HTML (StarWriter)",
        "--convert-to", "docx:MS Word 2007 XML", "--outdir", base, *sources)


def logo(base: str) -> None:
    run("convert", "-seed", "11", "-size", "800x800", "plasma:#1d4e89-#2a9d8f", "-blur", "0x2",
        "-fill", "white", "-font", FONT, "-pointsize", "136", "-gravity", "center", "-annotate",
        "+0+0", "金融", "-attenuate", "0.5", "+noise", "Gaussian", "-quality", "85",
        "-sampling-factor", "4:2:0", "-strip", f"{base}/logo.jpg")


def scan(base: str) -> None:
    seal = ["-stroke", "#d11a1a", "-strokewidth", "20", "-fill", "none", "-draw",
            "circle 1680,2610 1680,2280", "-stroke", "none", "-fill", "#d11a1a", "-font", FONT,
            "-pointsize", "60", "-annotate", "+1530+2850", "申报专用章"]
    text = ["-font", FONT, "-fill", "#222", "-pointsize", "78", "-annotate", "+570+330",
            "2025金融新质生产力优秀案例申报表", "-pointsize", "48"]
    for n, label in enumerate(["案例名称", "申报单位", "申报主体类型", "征集方向", "联系人", "联系电话", "邮箱", "实施时间"]):
        text += ["-annotate", f"+240+{570 + n * 186}", label]
    run("convert", "-size", "2480x3508", "xc:#f4f4f2", "-draw", "stroke #333 fill none rectangle 180,450 2300,2280",
        *text, *seal, "-attenuate", "0.6", "+noise", "Gaussian", "-quality", "87", "-strip", f"{base}/scan.jpg")
    with open(f"{base}/scan.jpg", "rb") as src, open(f"{base}/scan.pdf", "wb") as dst:
        dst.write(jpeg_pdf(src.read()))


def big_pdf(base: str, megabytes: int) -> None:
    """An image-only PDF of scanned pages (the scan, each page a distinct JPEG) of ~`megabytes` MB."""
    jpeg = open(f"{base}/scan.jpg", "rb").read()
    width, height, _ = jpeg_size(jpeg)
    pages = max(1, megabytes * 1024 * 1024 // len(jpeg))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for n in range(pages):
        page = jpeg[:2] + b"\xff\xfe\x00\x08" + f"p{n:05d}".encode() + jpeg[2:]
        first = len(objects) + 1
        kids.append(f"{first} 0 R")
        content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
        objects += [
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 {first + 1} 0 R >> >> /Contents {first + 2} 0 R >>".encode(),
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {len(page)} >>\nstream\n".encode() + page + b"\nendstream",
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
        ]
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    with open(f"{base}/evidence-big.pdf", "wb") as fh:
        fh.write(serialize(objects))


def rewrite_zip(src: str, dst: str, edit) -> None:
    """Copies a .docx entry by entry; `edit(name, data)` may change an entry's bytes."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, edit(info.filename, zin.read(info.filename)), compress_type=info.compress_type)


def usable_forms(base: str) -> list[int]:
    """Organisations whose case name LibreOffice kept in one text run (most; escaping splits a few)."""
    ok = []
    for i, org in enumerate(ORGS):
        with zipfile.ZipFile(f"{base}/form{i}.docx") as z:
            if org[-1].encode() in z.read("word/document.xml"):
                ok.append(i)
    return ok


def variant(base: str, out: str, k: int, forms_ok: list[int]) -> dict:
    i = forms_ok[k % len(forms_ok)]
    org, short, domain, contact, *_rest, title = ORGS[i]
    numbered = f"{title}（{k + 1}）"
    d = f"{out}/m{k:04d}"
    os.makedirs(d, exist_ok=True)

    def form_edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        return data.replace(title.encode(), numbered.encode(), 1)

    def report_edit(name: str, data: bytes) -> bytes:
        return data.replace(b"</cp:coreProperties>", f"<dc:identifier>{k}</dc:identifier></cp:coreProperties>".encode()) if name == "docProps/core.xml" else data

    files = {
        "form": (f"{d}/form.docx", f"2025金融新质生产力优秀案例申报表-{short}.docx"),
        "report": (f"{d}/report.docx", f"案例报告-{short}.docx"),
        "logo": (f"{d}/logo.jpg", "商标.jpg"),
        "scan": (f"{d}/scan.pdf", "盖章扫描件.pdf"),
    }
    rewrite_zip(f"{base}/form{i}.docx", files["form"][0], form_edit)
    rewrite_zip(f"{base}/report.docx", files["report"][0], report_edit)
    jpeg = open(f"{base}/logo.jpg", "rb").read()
    comment = f"bench {k}".encode()
    with open(files["logo"][0], "wb") as fh:
        fh.write(jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:])
    scan_pdf = open(f"{base}/scan.pdf", "rb").read()
    with open(files["scan"][0], "wb") as fh:
        fh.write(scan_pdf.replace(b"D:20251015093000", f"D:2025101509{k % 10000:04d}".encode()))
    attachments = [{"path": p, "filename": n} for p, n in files.values()]
    if k % 4 == 3:
        bundle = f"{d}/bundle.zip"
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
            for a in attachments:
                z.write(a["path"], f"{short}申报材料/{a['filename']}")
        attachments = [{"path": bundle, "filename": f"{short}申报材料.zip"}]
    return {
        "subject": f"{org}+{numbered}",
        # One sender per message: the per-recipient reply limits must not suppress bench replies.
        "from": f"{contact} <fintech{k}@{domain}>",
        "attachments": attachments,
    }


def main() -> None:
    out, count, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(f"{base}/src", exist_ok=True)
    if not os.path.exists(f"{base}/evidence-big.pdf"):
        report_docx(base, photos(base))
        forms(base)
        soffice(base)
        logo(base)
        scan(base)
        big_pdf(base, 30)
        shutil.rmtree(f"{base}/lo-profile", ignore_errors=True)
    forms_ok = usable_forms(base)
    plan = {"messages": [variant(base, out, k, forms_ok) for k in range(count)], "bigPdf": f"{base}/evidence-big.pdf"}
    with open(f"{out}/plan.json", "w", encoding="utf-8") as fh:
        json.dump(plan, fh, ensure_ascii=False)


if __name__ == "__main__":
    main()

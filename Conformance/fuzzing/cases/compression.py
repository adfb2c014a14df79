"""Sections 12 and 13, permessage-deflate, as Autobahn|Testsuite plays them."""
from __future__ import annotations

import hashlib
import json
import math
import random
import struct

from ..case import CASES, Case, SUBCATEGORIES, expect_normal_close, register
from ..verdicts import FAILED, UNIMPLEMENTED
from ..wire import CLOSE_NORMAL


MSG_SIZES = [  # (payload length, message count, autofragment size), Autobahn's MSG_SIZES
    (16, 1000, 0), (64, 1000, 0), (256, 1000, 0), (1024, 1000, 0), (4096, 1000, 0), (8192, 1000, 0),
    (16384, 1000, 0), (32768, 1000, 0), (65536, 1000, 0), (131072, 1000, 0),
    (8192, 1000, 256), (16384, 1000, 256), (32768, 1000, 256), (65536, 1000, 256), (131072, 1000, 256),
    (131072, 1000, 1024), (131072, 1000, 4096), (131072, 1000, 32768),
]
QUICK_PMD_COUNT = 20


def _rng(seed: str) -> random.Random:
    return random.Random(hashlib.sha256(seed.encode()).digest())


def data_json() -> str:
    """Like Autobahn's data1.json (a test report, 194 KB): JSON text with a little non-ASCII."""
    r = _rng("json")
    agents = ["AutobahnPython/0.6.0", "kstlib-swift/1.0", "Ågent µWS/2.1", "libwebsockets/4.1.6", "Ölberg/0.3"]
    behaviors = ["OK", "OK", "OK", "NON-STRICT", "FAILED", "INFORMATIONAL"]
    report: dict = {}
    for agent in agents:
        cases = {}
        for cls in CASES[:190]:
            cases[cls.ID] = {"behavior": r.choice(behaviors), "behaviorClose": r.choice(["OK", "OK", "WRONG CODE"]),
                             "duration": r.randint(0, 3000), "remoteCloseCode": r.choice([1000, 1002, 1007, None]),
                             "reportfile": f"{agent.lower().replace('/', '_')}_case_{cls.ID.replace('.', '_')}.json"}
        report[agent] = cases
    return json.dumps(report, indent=3, ensure_ascii=False)


def data_bitmap() -> bytes:
    """Like lena512.bmp (263 KB): a 512x512 8-bit grey bitmap with smooth shapes and noise."""
    r = _rng("bitmap")
    w = h = 512
    palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
    header = b"BM" + struct.pack("<IHHI", 14 + 40 + 1024 + w * h, 0, 0, 14 + 40 + 1024)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 0, w * h, 2835, 2835, 256, 256)
    rows = []
    for y in range(h):
        row = bytearray(w)
        for x in range(w):
            v = 128 + 55 * math.sin(x / 23.0 + y / 71.0) + 45 * math.cos(y / 17.0) * math.sin(x / 97.0)
            row[x] = max(0, min(255, int(v + r.gauss(0, 6))))
        rows.append(bytes(row))
    return header + info + palette + b"".join(rows)


def data_german_text() -> bytes:
    """Like pg2229.txt (Goethe's Faust, 222 KB): German verse, UTF-8, sent as binary."""
    r = _rng("faust")
    words = ("ich du er sie es wir ihr und oder aber doch nicht nun schon noch wohl ach weh Herz Geist Welt Natur "
             "Himmel Erde Nacht Tag Licht Schatten Liebe Leben Tod Seele Wissen Kunst Gott Teufel Mensch Zeit "
             "Stunde Augenblick verweile bist schön möchte wüßte fühlt glüht träumt schwört über für Mädchen "
             "Gretchen Faust Mephistopheles Schüler Wagner Bürger Straße Kirche Brunnen Garten Höhle Wald Blätter "
             "Flüsse Göttin Träne Glück Unglück Schmerz Freude Müh Sorge Größe heißt weiß Spaß Fuß süß groß").split()
    speakers = ["FAUST.", "MEPHISTOPHELES.", "MARGARETE.", "WAGNER.", "CHOR DER ENGEL.", "MARTHE."]
    out = []
    size = 0
    while size < 222000:
        lines = [r.choice(speakers)]
        for _ in range(r.randint(2, 8)):
            n = r.randint(4, 9)
            line = " ".join(r.choice(words) for _ in range(n))
            lines.append(line[0].upper() + line[1:] + r.choice([",", ".", "!", "?", ";", ""]))
        block = "\n".join(lines) + "\n\n"
        out.append(block)
        size += len(block.encode())
    return "".join(out).encode()


def data_html() -> str:
    """Like data1.html (264 KB): an HTML report page, CSS plus a big table."""
    r = _rng("html")
    head = ("<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset=\"utf-8\" />\n      <style lang=\"css\">\n"
            "body {\n   background-color: #F4F4F4;\n   color: #333;\n   font-family: Segoe UI,Tahoma,Arial,Verdana,"
            "sans-serif;\n}\n.case_ok { background-color: #0a0; }\n.case_failed { background-color: #900; }\n"
            "      </style>\n   </head>\n   <body>\n      <table id=\"agent_case_results\">\n")
    rows = []
    size = len(head)
    i = 0
    while size < 263000:
        cid = CASES[i % len(CASES)].ID
        res = r.choice(["Pass", "Pass", "Pass", "Non-Strict", "Fail", "Info"])
        cls = {"Pass": "case_ok", "Fail": "case_failed"}.get(res, "case_info")
        row = (f"         <tr class=\"agent_case_result_row\">\n            <td class=\"case\"><a href=\"#case_desc_"
               f"{cid.replace('.', '_')}\">Case {cid}</a></td>\n            <td class=\"{cls}\"><a href=\"agent_"
               f"case_{cid.replace('.', '_')}.html\">{res}</a><br/><span class=\"case_duration\">{r.randint(0, 999)}"
               f" ms</span></td><td class=\"close close_hide {cls}\"><span class=\"close_code\">"
               f"{r.choice([1000, 1002, 1007])}</span></td>\n         </tr>\n")
        rows.append(row)
        size += len(row)
        i += 1
    return head + "".join(rows) + "      </table>\n   </body>\n</html>\n"


def data_pdf() -> bytes:
    """Like the 1 MB PDF: text objects mixed with incompressible (already compressed) streams."""
    r = _rng("pdf")
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    size = 0
    n = 1
    while size < 1042000:
        if r.random() < 0.5:
            stream = r.randbytes(r.randint(2000, 12000))
            obj = (b"%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % (n, len(stream))) + stream + \
                b"\nendstream\nendobj\n"
        else:
            text = " ".join(f"({w}) Tj" for w in r.choices(["WebSocket", "protocol", "latency", "frame", "the",
                                                               "of", "and", "message", "server", "client"], k=300))
            obj = (b"%d 0 obj\n<< /Type /Page /Contents [ BT /F1 12 Tf 72 712 Td " % n) + text.encode() + \
                b" ET ] >>\nendobj\n"
        out.append(obj)
        size += len(obj)
        n += 1
    out.append(b"trailer\n<< /Size %d >>\n%%%%EOF\n" % n)
    return b"".join(out)


TESTDATA_SPECS = [  # Autobahn's WS_COMPRESSION_TESTDATA_KEYS order
    ("json_data1", "Large JSON data file", False, data_json),
    ("lena512", "Bitmap 512x512 grey (synthetic)", True, data_bitmap),
    ("gutenberg_faust", "Human readable text, German verse (synthetic)", True, data_german_text),
    ("html_data1", "Large HTML file", False, data_html),
    ("ooms", "A larger PDF-like file (synthetic)", True, data_pdf),
]
_TESTDATA_CACHE: dict[str, object] = {}


def testdata(name: str):
    if name not in _TESTDATA_CACHE:
        fn = next(s[3] for s in TESTDATA_SPECS if s[0] == name)
        _TESTDATA_CACHE[name] = fn()
    return _TESTDATA_CACHE[name]


class Compressed(Case):
    """12.x/13.x: COUNT messages through permessage-deflate, each echo checked by SHA-1."""
    LIMIT = 120.0
    LEN = 0
    COUNT = 1000
    AUTOFRAGSIZE = 0
    DATA = "json_data1"
    BINARY = False

    def init(self):
        self.count_total = QUICK_PMD_COUNT if self.quick else self.COUNT
        self.ptr = 0
        self.data = testdata(self.DATA)

    def on_open(self):
        expect_normal_close(self)
        self.p.auto_fragment_size = self.AUTOFRAGSIZE
        if self.p.pmd is None:
            self.behavior = UNIMPLEMENTED
            self.result = "permessage-deflate was not negotiated"
            self.p.send_close(CLOSE_NORMAL)
            return
        self.behavior = FAILED
        self.result = "Case did not finish in time."
        self.count = 0
        self.send_one()

    def send_one(self):
        data = self.data
        if self.LEN > 0:
            a = self.ptr
            b = (self.ptr + self.LEN) % len(data)
            msg = data[a:b] if b > a else data[a:] + data[:b]
            self.ptr = b
        else:
            msg = data[:0]
        if isinstance(msg, str):
            msg = msg.encode()
        self.expected_hash = hashlib.sha1(msg).digest()
        self.expected_len = len(msg)
        self.p.send_message(msg, binary=self.BINARY)
        self.count += 1

    def on_message(self, payload, binary):
        digest = hashlib.sha1(payload).digest()
        if binary != self.BINARY or len(payload) != self.expected_len or digest != self.expected_hash:
            self.behavior = FAILED
            if binary != self.BINARY:
                self.result = f"Echo'ed message type differs (got binary {binary}, expected {self.BINARY})."
            elif len(payload) != self.expected_len:
                self.result = f"Echo'ed message length differs (got {len(payload)}, expected {self.expected_len})."
            else:
                self.result = f"Echo'ed message contents differ (SHA1 {digest.hex()}, expected " \
                              f"{self.expected_hash.hex()})."
            self.p.send_close(CLOSE_NORMAL)
        else:
            self.send_next_or_pass()


# 13.N: the permessage-deflate answer (Autobahn's DEFLATE_PARAMS, see the module docstring).
# (server_no_context_takeover, server_max_window_bits, client_no_context_takeover, client_max_window_bits)
PMD_13 = [
    ("server accepts the offer as is", False, 0, False, 0),
    ("server_no_context_takeover; client_no_context_takeover", True, 0, True, 0),
    ("server_max_window_bits=9; client_max_window_bits=9", False, 9, False, 9),
    ("server_max_window_bits=15; client_max_window_bits=15", False, 15, False, 15),
    ("no context takeover and max_window_bits=9 for both sides", True, 9, True, 9),
    ("no context takeover and max_window_bits=15 for both sides", True, 15, True, 15),
    ("asymmetric: client_no_context_takeover; client_max_window_bits=9 (server keeps its context, 15 bits)",
     False, 0, True, 9),
]


def register_cases() -> None:
    for j, (name, desc, binary, _) in enumerate(TESTDATA_SPECS, 1):
        SUBCATEGORIES[f"12.{j}"] = f"{desc} ({'binary' if binary else 'utf8'})"
        for i, (n, count, frag) in enumerate(MSG_SIZES, 1):
            register(f"12.{j}.{i}", Compressed, LEN=n, COUNT=count, AUTOFRAGSIZE=frag, DATA=name, BINARY=binary,
                     PMD={"snct": False, "sbits": 0, "cnct": False, "cbits": 0},
                     DESCRIPTION=f"Send {count} compressed messages each of payload size {n}, auto-fragment to "
                                 f"{frag} octets. Use default permessage-deflate offer.",
                     EXPECTATION="Receive echo'ed messages (with payload as sent).")
    for j, (desc, snct, sbits, cnct, cbits) in enumerate(PMD_13, 1):
        SUBCATEGORIES[f"13.{j}"] = f"Large JSON data file (utf8) - {desc}"
        for i, (n, count, frag) in enumerate(MSG_SIZES, 1):
            register(f"13.{j}.{i}", Compressed, LEN=n, COUNT=count, AUTOFRAGSIZE=frag, DATA="json_data1",
                     BINARY=False, PMD={"snct": snct, "sbits": sbits, "cnct": cnct, "cbits": cbits},
                     DESCRIPTION=f"Send {count} compressed messages each of payload size {n}, auto-fragment to "
                                 f"{frag} octets. permessage-deflate answer: {desc}.",
                     EXPECTATION="Receive echo'ed messages (with payload as sent).")

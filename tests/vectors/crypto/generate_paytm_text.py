"""Known answers for Paytm's string checksum (generateSignatureByString), which Paytm's
JSON APIs (Refund, Refund Status) put in `head.signature` over the exact text of the
request's `body` member. Made with Paytm's own library, paytmchecksum 1.7.0 (PyPI,
pinned in tests/python/requirements.txt), its `calculateChecksum(text, key, salt)` with
fixed salts (the library's `generateSignatureByString` draws the salt at random).

Run: ~/.cache/kassa/venv-*/bin/python tests/vectors/crypto/generate_paytm_text.py
"""
import json
import os

from paytmchecksum import PaytmChecksum

KEY16 = "kbzk1DSbJiV_O3p5"
KEY32 = "kbzk1DSbJiV_O3p5kbzk1DSbJiV_O3p5"
TEXTS = [
    json.dumps({"mid": "SHAREI30408276217840", "txnType": "REFUND", "orderId": "USHARE-1",
                "txnId": "20261206111212800110168", "refId": "REF-1", "refundAmount": "1.00"}),
    json.dumps({"mid": "SHAREI30408276217840", "txnType": "REFUND", "orderId": "USHARE-1",
                "txnId": "20261206111212800110168", "refId": "REF-1", "refundAmount": "1.00"},
               separators=(",", ":")),
    json.dumps({"mid": "SHAREI30408276217840", "orderId": "USHARE-1", "refId": "REF-1"},
               separators=(",", ":")),
    "",
    "₹ non-ASCII text",
]
cases = []
for key in (KEY16, KEY32):
    for salt in ("aB3x", "ZZ09"):
        for text in TEXTS:
            cases.append({"text": text, "merchant_key": key, "salt": salt,
                          "checksum": PaytmChecksum.calculateChecksum(text, key, salt)})
out = {"source": "paytmchecksum 1.7.0 (PyPI), PaytmChecksum.calculateChecksum(text, key, salt)",
       "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paytm_checksum_text.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")

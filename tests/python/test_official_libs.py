"""The providers' own client libraries, unchanged, against Kassa's provider sandbox.

Run by ``tests/tests/sandbox_official_libs.rs``, which starts the sandbox and a request
recorder and passes their URLs and the keys in the environment. Ping++'s Python SDK
(``pingpp`` 2.7.2) creates, retrieves and refunds charges with ``api_base`` pointed at
the sandbox and verifies the sandbox's webhooks; Paytm's ``paytmchecksum`` 1.7.0 makes
the checksums the sandbox must accept and verifies every checksum the sandbox makes,
including the ``head.signature`` of the Refund and Refund Status APIs, called exactly as
Paytm's documentation samples call them (``generateSignature(json.dumps(body), key)``).
Where a library and the sandbox disagree, the sandbox is wrong.
"""

import base64
import html.parser
import json
import os
import time
import urllib.parse
import uuid

import pingpp
import pytest
import requests
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import PKCS1_v1_5
from paytmchecksum import PaytmChecksum

SANDBOX = os.environ["KASSA_SANDBOX_URL"]
RECORDER = os.environ["KASSA_RECORDER_URL"]
PAYTM_MID = os.environ["KASSA_PAYTM_MID"]
PAYTM_KEY = os.environ["KASSA_PAYTM_KEY"]
APP_ID = os.environ["KASSA_PINGPP_APP_ID"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(autouse=True)
def pingpp_configured():
    """The SDK's global configuration, as a merchant sets it, pointed at the sandbox."""
    pingpp.api_base = SANDBOX + "/pingpp"
    pingpp.api_key = os.environ["KASSA_PINGPP_API_KEY"]
    pingpp.private_key = read(os.environ["KASSA_PINGPP_REQUEST_PRIVATE_KEY"])
    pingpp.private_key_path = None
    yield
    pingpp.private_key = None


def order_no():
    # Ping++ order numbers are letters and digits only.
    return "k" + uuid.uuid4().hex[:20]


def recorded(path_prefix):
    r = requests.get(RECORDER + "/recorded", timeout=10)
    r.raise_for_status()
    return [x for x in r.json() if x["path"].startswith(path_prefix)]


def wait_for(what, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def verify_pingpp_webhook(delivery):
    """Ping++'s documented check: base64 RSA-SHA256 of the raw body, Ping++'s public key
    (pingpp-python 2.7.2 ships no webhook helper, so pycryptodome directly)."""
    key = RSA.import_key(read(os.environ["KASSA_PINGPP_WEBHOOK_PUBLIC_KEY"]))
    sig = base64.b64decode(delivery["headers"]["x-pingplusplus-signature"])
    return PKCS1_v1_5.new(key).verify(SHA256.new(delivery["body"].encode("utf-8")), sig)


def webhook_for(event_type, object_id):
    def find():
        for d in recorded("/pingpp/webhooks"):
            event = json.loads(d["body"])
            if event["type"] == event_type and event["data"]["object"]["id"] == object_id:
                return d, event
        return None

    return wait_for(event_type + " webhook for " + object_id, find)


def create_charge(channel, extra, amount=100):
    return pingpp.Charge.create(
        order_no=order_no(),
        app=dict(id=APP_ID),
        channel=channel,
        amount=amount,
        client_ip="127.0.0.1",
        currency="cny",
        subject="Kassa test",
        body="official library test",
        extra=extra,
    )


def mock_url(ch):
    """Where pingpp-js (src/testmode.js) sends a shopper for a test-mode charge: the
    sandbox's stand-in for http://sissi.pingxx.com/mock.php, same query (stringifyData:
    values as they are, `extra` pre-encoded with encodeURIComponent)."""
    assert ch.livemode is False
    params = [
        ("ch_id", ch.id),
        ("scheme", "http"),
        ("channel", ch.channel),
        ("order_no", ch.order_no),
        ("time_expire", str(ch.time_expire)),
        ("extra", urllib.parse.quote(json.dumps(ch.extra, separators=(",", ":")), safe="")),
    ]
    return SANDBOX + "/pingpp/mock.php?" + "&".join(k + "=" + v for k, v in params)


class Forms(html.parser.HTMLParser):
    """Every <form> of a page: action, method and its inputs."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"), "fields": {}})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")


def forms(page):
    p = Forms()
    p.feed(page)
    return p.forms


def shopper_decides(ch, result, referer="http://127.0.0.1:9/shop"):
    """A shopper opens the Ping++ page from the merchant's page and clicks a button."""
    r = requests.get(mock_url(ch), headers={"Referer": referer}, timeout=10)
    assert r.status_code == 200, r.text
    assert "<h1>" in r.text and ch.order_no in r.text
    form = next(f for f in forms(r.text) if f["fields"].get("result") == result)
    return requests.post(
        urllib.parse.urljoin(SANDBOX, form["action"]),
        data=form["fields"],
        allow_redirects=False,
        timeout=10,
    )


# --- Ping++ -----------------------------------------------------------------------


def test_pingpp_alipay_wap_charge_create_and_retrieve():
    extra = {"success_url": "http://127.0.0.1:9/shop/done"}
    ch = create_charge("alipay_wap", extra)
    assert isinstance(ch, pingpp.Charge)
    assert ch.object == "charge"
    assert ch.id.startswith("ch_")
    assert ch.livemode is False
    assert ch.paid is False and ch.refunded is False
    assert ch.amount == 100 and ch.amount_refunded == 0
    assert ch.channel == "alipay_wap" and ch.currency == "cny"
    assert ch.app == APP_ID
    assert ch.extra["success_url"] == extra["success_url"]
    assert ch.time_paid is None and ch.transaction_no is None
    assert "credential" in ch
    assert ch.refunds.object == "list" and len(ch.refunds.data) == 0

    again = pingpp.Charge.retrieve(ch.id)
    assert isinstance(again, pingpp.Charge)
    assert again.id == ch.id and again.order_no == ch.order_no
    assert again.paid is False


def test_pingpp_wx_pub_charge_credential_and_declined_on_the_mock_page():
    ch = create_charge("wx_pub", {"open_id": "o_kassa_test_openid"})
    assert ch.channel == "wx_pub"
    assert ch.extra["open_id"] == "o_kassa_test_openid"
    cred = ch.credential.wx_pub
    for k in ("appId", "timeStamp", "nonceStr", "package", "signType", "paySign"):
        assert cred[k], k
    assert cred.package.startswith("prepay_id=")

    r = shopper_decides(ch, "fail", referer="http://127.0.0.1:9/shop/cart")
    assert r.status_code == 303 and r.headers["Location"] == "http://127.0.0.1:9/shop/cart"
    ch = pingpp.Charge.retrieve(ch.id)
    assert ch.paid is False and ch.failure_code == "user_cancelled" and ch.failure_msg
    time.sleep(0.3)
    assert not [
        d for d in recorded("/pingpp/webhooks") if json.loads(d["body"])["data"]["object"]["id"] == ch.id
    ], "Ping++ sends no webhook for an unpaid charge"
    # Opening the page again: the charge is closed.
    assert requests.get(mock_url(ch), timeout=10).status_code == 409

    with pytest.raises(pingpp.error.InvalidRequestError) as e:
        create_charge("wx_pub", {})
    assert e.value.param == "extra[open_id]"


def test_pingpp_alipay_wap_live_credential_reaches_the_gateway_page():
    ch = create_charge("alipay_wap", {"success_url": "http://127.0.0.1:9/paid"})
    cred = ch.credential.alipay_wap
    assert cred.channel_url == SANDBOX + "/pingpp/alipay/gateway.do"
    assert cred.service == "alipay.wap.create.direct.pay.by.user"
    assert cred.out_trade_no == ch.order_no and cred.total_fee == "1.00"
    assert cred.return_url == "http://127.0.0.1:9/paid" and cred.sign_type == "RSA"
    # pingpp-js alipay_wap.js: channel_url + "?" + the other fields, URI-encoded.
    query = "&".join(
        k + "=" + urllib.parse.quote(str(v), safe="") for k, v in cred.items() if k != "channel_url"
    )
    r = requests.get(cred.channel_url + "?" + query, timeout=10)
    assert r.status_code == 200 and ch.order_no in r.text
    form = next(f for f in forms(r.text) if f["fields"].get("result") == "success")
    assert form["fields"]["ch_id"] == ch.id
    assert requests.get(cred.channel_url + "?" + query.replace("total_fee=1.00", "total_fee=0.01"), timeout=10).status_code == 400


def test_pingpp_unknown_charge_is_an_invalid_request():
    with pytest.raises(pingpp.error.InvalidRequestError) as e:
        pingpp.Charge.retrieve("ch_does_not_exist")
    assert e.value.http_status == 404


def test_pingpp_paid_charge_webhook_verifies_and_refunds_follow_the_sdk():
    ch = create_charge("alipay_wap", {"success_url": "http://127.0.0.1:9/done"}, amount=100)
    r = shopper_decides(ch, "success")
    assert r.status_code == 303 and r.headers["Location"] == "http://127.0.0.1:9/done"
    delivery, event = webhook_for("charge.succeeded", ch.id)
    assert verify_pingpp_webhook(delivery)
    assert event["object"] == "event" and event["livemode"] is False
    paid = event["data"]["object"]
    assert paid["paid"] is True and paid["time_paid"] and paid["transaction_no"]

    ch = pingpp.Charge.retrieve(ch.id)
    assert ch.paid is True and ch.time_paid

    # Partial refund through the charge's own refund list (the list's `url`).
    re1 = ch.refunds.create(amount=40, description="partial")
    assert isinstance(re1, pingpp.Refund)
    assert re1.object == "refund" and re1.charge == ch.id
    assert re1.amount == 40 and re1.succeed is False and re1.status == "pending"

    # The rest through the class method 2.7.2 offers.
    re2 = pingpp.Charge.refund(ch.id, amount=60, description="rest")
    assert re2.amount == 60 and re2.status == "pending"

    # Over-refunding names the parameter, as Ping++ does.
    with pytest.raises(pingpp.error.InvalidRequestError) as e:
        pingpp.Charge.refund(ch.id, amount=1)
    assert e.value.param == "amount"

    for re in (re1, re2):
        delivery, event = webhook_for("refund.succeeded", re.id)
        assert verify_pingpp_webhook(delivery)
        done = pingpp.Charge.retrieve_refund(ch.id, re.id)
        assert isinstance(done, pingpp.Refund)
        assert done.status == "succeeded" and done.succeed is True and done.time_succeed
        assert ch.refunds.retrieve(re.id).id == re.id

    ch = pingpp.Charge.retrieve(ch.id)
    assert ch.amount_refunded == 100 and ch.refunded is True
    listed = pingpp.Charge.list_refunds(ch.id)
    assert listed.object == "list" and len(listed.data) == 2


def test_pingpp_request_signatures_are_checked():
    # The sandbox verifies `Pingplusplus-Signature` (configured by the Rust test):
    # a key the app does not know, or none, is refused.
    pingpp.private_key = read(os.environ["KASSA_PINGPP_WRONG_PRIVATE_KEY"])
    with pytest.raises(pingpp.error.AuthenticationError):
        create_charge("alipay_wap", {"success_url": "http://127.0.0.1:9/x"})
    pingpp.private_key = None
    with pytest.raises(pingpp.error.AuthenticationError):
        pingpp.Charge.retrieve("ch_any")


def test_pingpp_wrong_api_key_is_refused():
    pingpp.api_key = "sk_test_not_ours"
    with pytest.raises(pingpp.error.AuthenticationError):
        pingpp.Charge.retrieve("ch_any")


# --- Paytm ------------------------------------------------------------------------


def paytm_form(order_id, callback_url):
    params = {
        "MID": PAYTM_MID,
        "ORDER_ID": order_id,
        "CUST_ID": "CUST001",
        "TXN_AMOUNT": "1.00",
        "CHANNEL_ID": "WAP",
        "INDUSTRY_TYPE_ID": "Retail",
        "WEBSITE": "WEBSTAGING",
        "CALLBACK_URL": callback_url,
    }
    params["CHECKSUMHASH"] = PaytmChecksum.generateSignature(params, PAYTM_KEY)
    return params


def paytm_order():
    return str(int(time.time() * 1000)) + "A" + str(uuid.uuid4().int % 10**12 + 1)


def process(form):
    return requests.post(
        SANDBOX + "/paytm/theia/processTransaction",
        data=form,
        allow_redirects=False,
        timeout=10,
    )


def verify_paytm(fields):
    fields = dict(fields)
    checksum = fields.pop("CHECKSUMHASH")
    try:
        return PaytmChecksum.verifySignature(fields, PAYTM_KEY, checksum)
    except (ValueError, UnicodeDecodeError):
        # The library raises on a checksum that does not even decrypt to text.
        return False


def test_paytm_accepts_the_library_checksum_and_refuses_a_tampered_form():
    order = paytm_order()
    r = process(paytm_form(order, RECORDER + "/paytm/callback"))
    assert r.status_code == 200, r.text
    assert order in r.text

    tampered = paytm_form(paytm_order(), RECORDER + "/paytm/callback")
    tampered["TXN_AMOUNT"] = "100.00"
    r = process(tampered)
    assert r.status_code == 400 and "checksum" in r.text.lower()


def status_query(order, checksum=None, form=False):
    body = {"MID": PAYTM_MID, "ORDERID": order}
    body["CHECKSUMHASH"] = checksum or PaytmChecksum.generateSignature(body, PAYTM_KEY)
    url = SANDBOX + "/paytm/merchant-status/getTxnStatus"
    if form:
        r = requests.post(url, data={"JsonData": json.dumps(body)}, timeout=10)
    else:
        r = requests.post(url, json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_paytm_shopper_page_returns_through_the_browser():
    order = paytm_order()
    cb_path = "/paytm/browser/" + order
    r = process(paytm_form(order, RECORDER + cb_path))
    assert r.status_code == 200 and order in r.text
    pay = next(f for f in forms(r.text) if f["fields"].get("result") == "success")
    r = requests.post(urllib.parse.urljoin(SANDBOX, pay["action"]), data=pay["fields"], timeout=10)
    assert r.status_code == 200, r.text
    assert "document.forms[0].submit()" in r.text
    # The status API knows the outcome before the browser posts it.
    assert status_query(order)["STATUS"] == "TXN_SUCCESS"
    time.sleep(0.2)
    assert not recorded(cb_path), "nothing server to server"
    (back,) = forms(r.text)
    assert back["method"] == "post" and back["action"] == RECORDER + cb_path
    fields = back["fields"]
    assert fields["ORDERID"] == order and fields["STATUS"] == "TXN_SUCCESS"
    assert fields["TXNAMOUNT"] == "1.00" and fields["MID"] == PAYTM_MID
    assert verify_paytm(fields), "paytmchecksum verifies the form the browser carries"
    # The browser posts it.
    assert requests.post(back["action"], data=fields, timeout=10).status_code == 200
    (posted,) = recorded(cb_path)
    assert verify_paytm(dict(urllib.parse.parse_qsl(posted["body"], keep_blank_values=True)))


def test_paytm_server_callback_and_status_api_checksums():
    order = paytm_order()
    cb_path = "/paytm/callback/" + order
    assert process(paytm_form(order, RECORDER + cb_path)).status_code == 200
    assert status_query(order)["STATUS"] == "PENDING"

    r = requests.post(
        SANDBOX + "/_control/paytm/complete",
        json={"id": order, "result": "success"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    posted = wait_for("the Paytm callback", lambda: recorded(cb_path))
    fields = dict(urllib.parse.parse_qsl(posted[0]["body"], keep_blank_values=True))
    assert fields["ORDERID"] == order and fields["STATUS"] == "TXN_SUCCESS"
    assert verify_paytm(fields)
    fields["TXNAMOUNT"] = "2.00"
    assert not verify_paytm(fields)

    answer = status_query(order)
    assert answer["STATUS"] == "TXN_SUCCESS" and answer["TXNAMOUNT"] == "1.00"
    assert answer["ORDERID"] == order and answer["MID"] == PAYTM_MID
    assert status_query(order, form=True)["STATUS"] == "TXN_SUCCESS"
    bad = status_query(order, checksum=PaytmChecksum.generateSignature({"MID": "x"}, PAYTM_KEY))
    assert bad["RESPCODE"] == "330"


def test_paytm_tampered_callback_does_not_verify_with_the_library():
    order = paytm_order()
    cb_path = "/paytm/callback/" + order
    assert process(paytm_form(order, RECORDER + cb_path)).status_code == 200
    r = requests.post(
        SANDBOX + "/_control/paytm/complete",
        json={"id": order, "result": "fail", "tamper": "signature"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    posted = wait_for("the Paytm callback", lambda: recorded(cb_path))
    fields = dict(urllib.parse.parse_qsl(posted[0]["body"], keep_blank_values=True))
    assert fields["STATUS"] == "TXN_FAILURE"
    assert not verify_paytm(fields)


# --- Paytm refunds (Refund API, Refund Status API) ----------------------------------


def paid_paytm_order():
    """A Paytm transaction of 1.00 paid on the shopper's page; its ORDERID and TXNID."""
    order = paytm_order()
    r = process(paytm_form(order, RECORDER + "/paytm/refunds/" + order))
    assert r.status_code == 200, r.text
    pay = next(f for f in forms(r.text) if f["fields"].get("result") == "success")
    r = requests.post(urllib.parse.urljoin(SANDBOX, pay["action"]), data=pay["fields"], timeout=10)
    assert r.status_code == 200, r.text
    answer = status_query(order)
    assert answer["STATUS"] == "TXN_SUCCESS" and answer["REFUNDAMT"] == "0.00"
    return order, answer["TXNID"]


def raw_member(text, name):
    """The exact text of the top-level member ``name`` of the JSON object ``text``, as
    received: Paytm signs the text of ``body``, not a re-serialisation of it."""
    decoder = json.JSONDecoder()

    def skip(i, also=""):
        while i < len(text) and (text[i].isspace() or text[i] in also):
            i += 1
        return i

    i = skip(text.index("{") + 1)
    while i < len(text) and text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        start = skip(i, ":")
        _, end = decoder.raw_decode(text, start)
        if key == name:
            return text[start:end]
        i = skip(end, ",")
    raise AssertionError("no member " + name + " in " + text)


def paytm_json_api(path, body, separators=None):
    """Paytm's documentation sample for its JSON APIs (Refund, Refund Status), as
    written there: the checksum of ``json.dumps(body)`` in ``head.signature``. The
    answer's ``head.signature`` is verified with the library over the answer's body text.
    ``separators`` re-spells the request so that its body is no longer the signed text."""
    paytmParams = dict()
    paytmParams["body"] = body
    checksum = PaytmChecksum.generateSignature(json.dumps(paytmParams["body"]), PAYTM_KEY)
    paytmParams["head"] = {"signature": checksum}
    post_data = json.dumps(paytmParams, separators=separators)
    url = SANDBOX + "/paytm/" + path
    response = requests.post(
        url, data=post_data, headers={"Content-type": "application/json"}, timeout=10
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    raw = raw_member(response.text, "body")
    assert json.loads(raw) == answer["body"]
    signature = answer["head"]["signature"]
    assert PaytmChecksum.verifySignature(raw, PAYTM_KEY, signature), response.text
    assert not PaytmChecksum.verifySignature(raw + " ", PAYTM_KEY, signature)
    assert answer["head"]["version"] == "v1"
    assert answer["head"]["responseTimestamp"].isdigit()
    return answer["body"]


def result(body):
    info = body["resultInfo"]
    return info["resultStatus"], info["resultCode"]


def refund_body(order, txn_id, ref_id, amount):
    return {
        "mid": PAYTM_MID,
        "txnType": "REFUND",
        "orderId": order,
        "txnId": txn_id,
        "refId": ref_id,
        "refundAmount": amount,
    }


def refund_status(order, ref_id):
    return paytm_json_api(
        "v2/refund/status", {"mid": PAYTM_MID, "orderId": order, "refId": ref_id}
    )


def refund_outcome(outcome):
    r = requests.post(
        SANDBOX + "/_control/paytm/refund_outcome", json={"outcome": outcome}, timeout=10
    )
    assert r.status_code == 200, r.text


def test_paytm_refund_apply_then_status_pending_then_success():
    order, txn_id = paid_paytm_order()
    ref_id = "REFUNDID_" + uuid.uuid4().hex[:12]
    refund_outcome("pending")
    try:
        body = paytm_json_api("refund/apply", refund_body(order, txn_id, ref_id, "0.40"))
    finally:
        refund_outcome("success")
    assert result(body) == ("PENDING", "601")
    assert body["refundId"].startswith("REF")
    assert body["orderId"] == order and body["txnId"] == txn_id and body["mid"] == PAYTM_MID
    assert body["refId"] == ref_id and body["refundAmount"] == "0.40"

    pending = refund_status(order, ref_id)
    assert result(pending) == ("PENDING", "601")
    assert pending["refundId"] == body["refundId"] and pending["txnAmount"] == "1.00"
    r = requests.post(
        SANDBOX + "/_control/paytm/refund_complete",
        json={"ref_id": ref_id, "outcome": "success"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    done = refund_status(order, ref_id)
    assert result(done) == ("TXN_SUCCESS", "10")
    assert done["resultInfo"]["resultMsg"] == "Refund Successfull"
    assert done["refundId"] == body["refundId"] and done["refundAmount"] == "0.40"
    assert status_query(order)["REFUNDAMT"] == "0.40"

    # The rest, settling by itself (the sandbox runs with paytm.refund_settle_ms set).
    rest_id = ref_id + "_2"
    rest = paytm_json_api("refund/apply", refund_body(order, txn_id, rest_id, "0.6"))
    assert result(rest) == ("PENDING", "601")
    wait_for(
        "the second refund to settle",
        lambda: result(refund_status(order, rest_id))[0] == "TXN_SUCCESS",
    )
    assert status_query(order)["REFUNDAMT"] == "1.00"


def test_paytm_refund_retry_excess_and_signature_are_answered_as_paytm_does():
    order, txn_id = paid_paytm_order()
    ref_id = "REFUNDID_" + uuid.uuid4().hex[:12]
    first = paytm_json_api("refund/apply", refund_body(order, txn_id, ref_id, "1"))
    assert result(first) == ("PENDING", "601")
    # A retried request is harmless: already raised, the same refund named.
    again = paytm_json_api("refund/apply", refund_body(order, txn_id, ref_id, "1"))
    assert result(again) == ("TXN_FAILURE", "617")
    assert again["refundId"] == first["refundId"]
    over = paytm_json_api("refund/apply", refund_body(order, txn_id, ref_id + "b", "0.01"))
    assert result(over) == ("TXN_FAILURE", "619")
    # The signature covers the body's text as sent: the same members re-spelled
    # compactly no longer match the json.dumps text that was signed.
    respelled = paytm_json_api(
        "refund/apply",
        refund_body(order, txn_id, ref_id + "c", "0.01"),
        separators=(",", ":"),
    )
    assert result(respelled) == ("TXN_FAILURE", "330")
    unknown = refund_status(order, "no_such_refund")
    assert result(unknown) == ("TXN_FAILURE", "631")
